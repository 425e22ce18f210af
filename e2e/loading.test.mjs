// Which modules the page loads when: the lessons' modules (lesson-core.js, lessons.js) are not
// needed to use the page, so they are requested only once it is usable, and the panel then
// lists the lessons; a lesson link needs them at once, before the page is usable. Each request
// is held by a route that reads the page's `data-ready` at the moment it is made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, ready, run } from './browser.mjs';

let env;

before(async () => {
  env = await launch();
});

after(async () => {
  await env?.close();
});

/** Opens the page at `hash`, recording for each lesson module whether the page was usable. */
async function openRecording(hash = '') {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const requested = [];
  await context.route(/\/(lesson-core|lessons)\.js$/, async (route) => {
    const usable = await page.evaluate(() => document.body?.dataset.ready ?? null);
    requested.push({ file: new URL(route.request().url()).pathname, usable });
    await route.continue();
  });
  await page.goto(env.server.url + hash);
  await ready(page);
  return { context, page, problems, requested };
}

test('the lesson modules are requested only once the page is usable, then the lessons are listed', async () => {
  const { context, page, problems, requested } = await openRecording();
  try {
    // The page works before they are there.
    await run(page, 'rm /etc/passwd');
    await page.waitForFunction(() => document.querySelectorAll('#lesson-list button').length > 0);
    assert.deepEqual(requested.map((r) => r.file).sort(), ['/lesson-core.js', '/lessons.js']);
    for (const r of requested) assert.equal(r.usable, 'true', `${r.file} was requested before the page was usable`);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a lesson link loads the lesson modules at once and opens the lesson', async () => {
  const { context, page, problems, requested } = await openRecording('#lesson=copy-on-write');
  try {
    assert.deepEqual(requested.map((r) => r.file).sort(), ['/lesson-core.js', '/lessons.js']);
    for (const r of requested) assert.notEqual(r.usable, 'true', `${r.file} was requested only after the page was usable`);
    const title = await page.locator('#lesson-body .lesson-title').first().textContent();
    assert.notEqual(title, 'Learn how image layers work, one goal at a time', 'the lesson is open');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
