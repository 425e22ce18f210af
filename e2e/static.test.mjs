// Checks of the page's source that need no browser: data only ever reaches the DOM as text,
// and nothing in the HTML needs 'unsafe-inline' or 'unsafe-eval'.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { WWW } from './server.mjs';

const own = readdirSync(WWW).filter((f) => f.endsWith('.js'));

test('the page never parses strings as HTML or code', () => {
  assert.ok(own.length >= 8, own.join(' '));
  for (const f of own) {
    const src = readFileSync(`${WWW}/${f}`, 'utf8');
    for (const bad of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'setAttribute(\'style\'', 'srcdoc']) {
      assert.ok(!src.includes(bad), `${f} uses ${bad}`);
    }
  }
});

test('index.html has a strict Content-Security-Policy and nothing inline', () => {
  const html = readFileSync(`${WWW}/index.html`, 'utf8');
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script');
  assert.doesNotMatch(html, /\sstyle=/, 'a style attribute');
  assert.doesNotMatch(html, /<style/, 'a style element');
  assert.doesNotMatch(html, /\son[a-z]+=/, 'an inline event handler');
});
