// Shared set-up of the browser tests: Debian's Chromium through playwright-core (never a
// downloaded browser), one static server, and pages that collect every console warning and
// error and every dialog, so each test can assert there were none.

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve, SITE } from './server.mjs';

export const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const SHOTS = fileURLToPath(new URL('../target/screenshots/', import.meta.url));

export async function launch() {
  if (!existsSync(`${SITE}/pkg/layerlab_bg.wasm`)) {
    throw new Error('target/site/pkg/ has no wasm: build the page first with `cargo xtask build`');
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
  const server = await serve();
  return {
    browser,
    server,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * A fresh context and a blank page in it that records console warnings and errors and page
 * errors in `page.problems`, and dismisses dialogs, recording them in `page.dialogs`.
 * Options go to `browser.newContext`; the viewport is 1440 x 1000 unless they say otherwise.
 */
export async function watchedPage(env, options = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1440, height: 1000 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.dialogs = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') page.problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => {
    page.dialogs.push(d.message());
    await d.dismiss();
  });
  return { context, page };
}

/**
 * A fresh context and page, with console problems and dialogs recorded in `page.problems`
 * and `page.dialogs`. Options go to `browser.newContext` (reducedMotion, colorScheme, ...).
 */
export async function open(env, options = {}, hash = '') {
  const { context, page } = await watchedPage(env, options);
  await page.goto(env.server.url + hash);
  await ready(page);
  return { context, page };
}

export async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30000 });
}

/** Types a command line into the terminal and waits for it to be in the transcript. */
export async function run(page, line) {
  const before = await page.locator('.t-entry').count();
  await page.fill('[aria-label="command"]', line);
  await page.press('[aria-label="command"]', 'Enter');
  await page.waitForFunction((n) => document.querySelectorAll('.t-entry').length > n, before);
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

/**
 * Scrolls the matrix until the column of `path` is rendered (the matrix renders only the
 * columns on screen). Resolves to whether it was found.
 */
export async function reveal(page, path) {
  return page.evaluate(async (p) => {
    const m = document.querySelector('#matrix');
    const sel = `[data-col-path="${CSS.escape(p)}"]`;
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    if (m.querySelector(sel)) return true;
    for (let x = 0; x <= m.scrollWidth; x += Math.max(200, m.clientWidth / 2)) {
      m.scrollLeft = x;
      await frame();
      if (m.querySelector(sel)) return true;
    }
    return false;
  }, path);
}

/** A cell of the matrix: `layer` is merged, container or an image layer index. */
export function cell(page, layer, path) {
  return page.locator(`[data-layer="${layer}"] [data-path="${cssString(path)}"]`);
}

export function cssString(s) {
  return s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
}
