// Which modules the page loads when. A plain visit fetches the page's own modules and the
// lesson list (lessons/index.json, drawn by lesson-list.js) and nothing else: the lesson engine
// (lesson-page.js, which holds lesson-core.js and lessons.js in the built page) is fetched only
// when a lesson is opened, a lesson link is followed or author mode starts, or on the intent to
// do so (hovering or focusing a lesson button or the author button). The list itself is fetched
// only once the page is usable. Each request is held by a route that reads the page's
// `data-ready` at the moment it is made.
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

// The lesson engine's modules, bundled (target/site: lesson-page.js) or not (www/: all three).
const ENGINE = /\/(lesson-page|lesson-core|lessons)\.js$/;

/**
 * Opens the page at `hash`, recording for each request of the lesson engine or the lesson list
 * whether the page was usable.
 */
async function openRecording(hash = '') {
  const context = await env.browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const requested = [];
  await context.route(/\/(lesson-page|lesson-core|lessons)\.js$|\/lessons\/index\.json$/, async (route) => {
    const usable = await page.evaluate(() => document.body?.dataset.ready ?? null);
    requested.push({ file: new URL(route.request().url()).pathname, usable });
    await route.continue();
  });
  await page.goto(env.server.url + hash);
  await ready(page);
  return { context, page, problems, requested };
}

const engineFiles = (requested) => requested.map((r) => r.file).filter((f) => ENGINE.test(f));

test('a plain visit lists the lessons once the page is usable and never fetches the lesson engine', async () => {
  const { context, page, problems, requested } = await openRecording();
  try {
    // The page works before the list is there.
    await run(page, 'rm /etc/passwd');
    await page.waitForFunction(() => document.querySelectorAll('#lesson-list button[data-lesson]').length > 0);
    assert.equal(await page.locator('#lesson-list button[data-lesson]').count(), 9);
    assert.match(await page.locator('#lesson-count').textContent(), /^0 of 8 solved$/);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(500);
    assert.deepEqual(requested.map((r) => r.file), ['/lessons/index.json']);
    assert.equal(requested[0].usable, 'true', 'the lesson list was requested before the page was usable');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('hovering a lesson button fetches the lesson engine; clicking it opens the lesson', async () => {
  const { context, page, problems, requested } = await openRecording();
  try {
    const button = page.locator('#lesson-list button[data-lesson="delete-does-not-shrink"]');
    await button.waitFor();
    assert.deepEqual(engineFiles(requested), []);
    await button.hover();
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => /\/lesson-page\.js$/.test(r.name)));
    assert.ok(engineFiles(requested).includes('/lesson-page.js'), 'hovering fetched the lesson engine');
    await button.click();
    await page.waitForFunction(() => document.querySelector('#lesson-main .lesson-title')?.textContent === 'Deleting a file does not shrink the image');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('author mode loads the lesson engine on its first click and works from a fresh page', async () => {
  const { context, page, problems, requested } = await openRecording();
  try {
    await page.locator('#lesson-list button[data-lesson]').first().waitFor();
    // A click without a hover first (the keyboard's Enter): the click itself loads it.
    await page.focus('#btn-author');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('#author').hidden);
    assert.ok(engineFiles(requested).includes('/lesson-page.js'));
    await page.click('#au-start');
    assert.match(await page.locator('#au-start-status').textContent(), /^Start set: 3 image layers and 0 earlier actions/);
    await run(page, 'rm /etc/hosts');
    assert.equal(await page.locator('#au-solution').inputValue(), 'rm /etc/hosts\n');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a lesson link loads the lesson engine at once and opens the lesson', async () => {
  const { context, page, problems, requested } = await openRecording('#lesson=copy-on-write');
  try {
    const engine = requested.filter((r) => ENGINE.test(r.file));
    assert.ok(engine.some((r) => r.file === '/lesson-page.js'), 'the lesson engine was fetched');
    for (const r of engine) assert.notEqual(r.usable, 'true', `${r.file} was requested only after the page was usable`);
    const title = await page.locator('#lesson-body .lesson-title').first().textContent();
    assert.equal(title, 'Copy-on-write: the first write copies the file up');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a lesson in progress comes back after a reload, loading the lesson engine before the page is usable', async () => {
  const { context, page, problems, requested } = await openRecording('#lesson=opaque-dirs');
  try {
    await run(page, 'ls /');
    requested.length = 0;
    await page.reload();
    await ready(page);
    const engine = requested.filter((r) => ENGINE.test(r.file));
    assert.ok(engine.some((r) => r.file === '/lesson-page.js'), 'the lesson engine was fetched');
    for (const r of engine) assert.notEqual(r.usable, 'true', `${r.file} was requested only after the page was usable`);
    assert.equal(await page.locator('#lesson-main .lesson-title').textContent(), 'Opaque directories: rm -rf d; mkdir d');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('saved-state validation and the share codec (session-io.js) load only for a session, a link or a share', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const requested = [];
  await context.route(/\/session-io\.js$/, async (route) => {
    const usable = await page.evaluate(() => document.body?.dataset.ready ?? null);
    requested.push(usable);
    await route.continue();
  });
  try {
    // A first visit: nothing saved, no link. A command does not need it either.
    await page.goto(env.server.url);
    await ready(page);
    await run(page, 'echo hello > /greeting');
    await page.waitForLoadState('networkidle');
    assert.deepEqual(requested, [], 'a first visit fetched session-io.js');
    // The share button: fetched on its first use, and the link works.
    await page.click('#btn-share');
    await page.waitForFunction(() => document.querySelector('#share-url').value.includes('#s=1.'));
    assert.equal(requested.length, 1);
    const link = await page.inputValue('#share-url');
    // A reload with the session saved: fetched before the page is usable, and the session is back.
    await page.waitForFunction(() => (localStorage.getItem('layerlab.session.v1') ?? '').includes('greeting'));
    requested.length = 0;
    await page.reload();
    await ready(page);
    assert.equal(requested.length, 1);
    assert.notEqual(requested[0], 'true', 'the saved session was read only after the page was usable');
    assert.match(await page.locator('.term-out').innerText(), /echo hello > \/greeting/);
    // The share link in a fresh browser (no saved session): fetched before usable, replayed.
    const other = await env.browser.newContext({ viewport: { width: 1440, height: 1000 } });
    try {
      const fresh = await other.newPage();
      const seen = [];
      await other.route(/\/session-io\.js$/, async (route) => {
        seen.push(await fresh.evaluate(() => document.body?.dataset.ready ?? null));
        await route.continue();
      });
      await fresh.goto(link);
      await ready(fresh);
      assert.equal(seen.length, 1);
      assert.notEqual(seen[0], 'true');
      assert.match(await fresh.locator('#notice').innerText(), /Opened a shared session: 1 action replayed/);
      assert.match(await fresh.locator('.term-out').innerText(), /echo hello > \/greeting/);
    } finally {
      await other.close();
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('export after a fresh load downloads the session, and importing it back works', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  try {
    await page.goto(env.server.url);
    await ready(page);
    await run(page, 'rm /etc/hosts');
    const download = page.waitForEvent('download');
    await page.click('#btn-export');
    const file = await (await download).path();
    // A fresh page (nothing saved, so session-io.js not loaded yet) imports the file.
    const other = await env.browser.newContext({ viewport: { width: 1440, height: 1000 } });
    try {
      const fresh = await other.newPage();
      fresh.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      await fresh.goto(env.server.url);
      await ready(fresh);
      await fresh.setInputFiles('#import', file);
      await fresh.waitForFunction(() => /Loaded a session: 1 action replayed/.test(document.querySelector('#notice').textContent));
      assert.match(await fresh.locator('.term-out').innerText(), /rm \/etc\/hosts/);
    } finally {
      await other.close();
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a lesson engine or session module that cannot be fetched gets a clear message and changes nothing', async () => {
  const { context, page, problems } = await openRecording();
  try {
    const button = page.locator('#lesson-list button[data-lesson="copy-on-write"]');
    await button.waitFor();
    await run(page, 'echo mine > /mine');
    await context.route(/\/(lesson-page|session-io)\.js$/, (route) => route.abort());
    await button.click();
    await page.waitForFunction(() => /could not be opened: the lessons could not be loaded \(.*\); reload the page to try again/.test(document.querySelector('#notice').textContent));
    assert.equal(await page.locator('#lesson-main .lesson-title').textContent(), 'Learn how image layers work, one goal at a time');
    await page.click('#btn-share');
    await page.waitForFunction(() => /A share link could not be made: .*reload the page to try again/.test(document.querySelector('#notice').textContent));
    assert.equal(await page.isHidden('#share-out'), true);
    // The session is untouched: the command is still there, and still saved.
    assert.match(await page.locator('.term-out').innerText(), /echo mine > \/mine/);
    await page.waitForFunction(() => (localStorage.getItem('layerlab.session.v1') ?? '').includes('mine'));
    // The failed fetches are the browser's only console errors.
    assert.ok(problems.length > 0 && problems.every((p) => /net::ERR_FAILED/.test(p)), problems.join('\n'));
  } finally {
    await context.close();
  }
});
