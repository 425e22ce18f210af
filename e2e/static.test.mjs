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

for (const page of ['index.html', 'embed.html', 'embed-example.html']) test(`${page} has a strict Content-Security-Policy and nothing inline`, () => {
  const html = readFileSync(`${WWW}/${page}`, 'utf8');
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  // Data blocks (the embed's scenario scripts, type text/x-layerlab) never run.
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)(?![^>]*type="text\/x-layerlab")[^>]*>/, 'an inline script');
  assert.doesNotMatch(html, /\sstyle=/, 'a style attribute');
  assert.doesNotMatch(html, /<style/, 'a style element');
  assert.doesNotMatch(html, /\son[a-z]+=/, 'an inline event handler');
});

test('the embed\'s preview path imports nothing heavy: only the theme watcher, and the live view by import()', () => {
  const src = readFileSync(`${WWW}/embed.js`, 'utf8');
  const imports = [...src.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
  assert.deepEqual(imports, ['./embed-theme.js']);
  assert.match(src, /import\(new URL\('\.\/embed-live\.js', HERE\)\.href\)/);
  for (const f of ['embed.js', 'embed-theme.js', 'embed-live.js', 'embed-frame.js', 'embed-host.js']) {
    const s = readFileSync(`${WWW}/${f}`, 'utf8');
    assert.doesNotMatch(s, /sessionStorage|document\.cookie|history\.(push|replace)State|location\.(assign|replace)\(|location\.href\s*=/, `${f} touches the host's URL or storage`);
  }
});
