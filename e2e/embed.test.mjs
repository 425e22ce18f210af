// End-to-end tests of the <layer-lab> embed on www/embed-example.html and on small host pages
// made up here (served with page.route, so they need no files in www/): every embed renders
// and plays; the one in a closed <details> renders when opened; no wasm is fetched for an
// embed that was never shown, and ten embeds share one module; theme changes on the host
// restyle the embeds without a reload; "Open in Layer Lab" reproduces the state; the host's
// storage and URL are untouched; re-attaching re-initialises; bad attributes get a message
// inside the embed; the iframe mode sizes itself across origins. No console warning or error
// anywhere, except where a test feeds a missing file on purpose.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { launch, shot, ready, reveal, cell, watchedPage } from './browser.mjs';
import { serve, WWW } from './server.mjs';
import { readFileSync } from 'node:fs';

let env;
const opened = [];

before(async () => {
  env = await launch();
});

after(async () => {
  await env?.close();
});

afterEach(async () => {
  for (const { page, context, allow } of opened.splice(0)) {
    const problems = page.problems.filter((p) => !allow.some((re) => re.test(p)));
    assert.deepEqual(problems, [], 'no console warnings or errors');
    assert.deepEqual(page.dialogs, [], 'no dialogs');
    await context.close();
  }
});

/**
 * A fresh context and page on `path` of the served www/. `html` (optional) is served at that
 * path instead of a file: a host page written by the test. Requests are counted by file name.
 */
async function openPage(path, { html = null, options = {}, allow = [], base = env.server.url } = {}) {
  const { context, page } = await watchedPage(env, { viewport: { width: 1280, height: 900 }, ...options });
  page.requests = [];
  page.on('request', (r) => page.requests.push(new URL(r.url()).pathname.replace(/^\//, '')));
  if (html !== null) {
    await page.route(base + path, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  }
  await page.goto(base + path);
  opened.push({ page, context, allow });
  return { page, context };
}

function count(page, file) {
  return page.requests.filter((r) => r === file).length;
}

function status(page, id) {
  return page.evaluate((i) => document.getElementById(i).status, id);
}

async function waitStatus(page, id, want, timeout = 20000) {
  await page.waitForFunction(([i, w]) => document.getElementById(i)?.status === w, [id, want], { timeout });
}

/** The state a cell of an embed's matrix shows: layer is merged, container or an index. */
function embedCell(page, id, layer, path) {
  return page.locator(`#${id} td[data-layer="${layer}"][data-path="${path}"]`).getAttribute('data-state');
}

async function playAll(page, id) {
  // An autoplaying embed above grows as it plays and moves everything below it; a click
  // aimed while that happens can land on the neighbouring button. Wait for playback to end.
  await page.waitForFunction(() => [...document.querySelectorAll('layer-lab')].every((e) => !e.shadowRoot.querySelector('button[aria-pressed="true"]')), null, { timeout: 20000 });
  const n = await page.evaluate((i) => document.getElementById(i).shadowRoot.querySelectorAll('.log > li').length, id);
  await page.locator(`#${id} .controls button[aria-label="play"]`).click();
  await page.waitForFunction(([i, k]) => document.getElementById(i).shadowRoot.querySelector('.pos')?.textContent === `${k} of ${k} commands run`, [id, n], { timeout: 20000 });
}

function hostPage(body, head = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host</title><link rel="icon" href="favicon.svg">${head}<script type="module" src="embed.js"></script></head><body>${body}</body></html>`;
}

test('every embed of the example page renders and plays; the one in <details> only once opened', async () => {
  const { page } = await openPage('embed-example.html');
  // The autoplaying one is on screen: it goes live and plays its four commands by itself.
  await waitStatus(page, 'embed-cow', 'live');
  await page.waitForFunction(() => document.getElementById('embed-cow').shadowRoot.querySelector('.pos')?.textContent === '4 of 4 commands run', null, { timeout: 20000 });
  assert.equal(await embedCell(page, 'embed-cow', 'container', '/etc/passwd'), 'whiteout');
  assert.equal(await embedCell(page, 'embed-cow', 'container', '/etc/hosts'), 'file');
  assert.equal(await embedCell(page, 'embed-cow', '0', '/etc/hosts'), 'file');
  assert.equal(await embedCell(page, 'embed-cow', 'merged', '/etc/passwd'), 'none');
  const cowLog = await page.locator('#embed-cow .log').innerText();
  assert.match(cowLog, /copy-up/);
  assert.match(cowLog, /\/etc\/passwd of layer 0 is hidden by a whiteout/);
  assert.match(cowLog, /10\.0\.0\.2 db/, 'cat prints the appended line');
  assert.match(cowLog, /Deleting a file of the image leaves a whiteout/, 'comments are captions');

  // The embed in the closed <details> has no box: it stays a preview, whatever else loads.
  assert.equal(await status(page, 'embed-details'), 'preview');
  await page.locator('#embed-own').scrollIntoViewIfNeeded();
  await waitStatus(page, 'embed-own', 'live');
  await playAll(page, 'embed-own');
  assert.equal(await embedCell(page, 'embed-own', 'container', '/app/static/index.html'), 'whiteout');
  assert.equal(await embedCell(page, 'embed-own', '1', '/app/conf/server.conf'), 'file');
  assert.equal(await embedCell(page, 'embed-own', 'merged', '/app/conf/server.conf'), 'file');
  assert.match(await page.locator('#embed-own .log').innerText(), /listen 443/, 'the upper layer\'s file wins');
  const legend = await page.locator('#embed-own .layers').innerText();
  assert.match(legend, /ADD app\.tar/);
  assert.match(legend, /RUN configure for production/);
  assert.equal(await status(page, 'embed-details'), 'preview');

  await page.locator('#advanced summary').click();
  await waitStatus(page, 'embed-details', 'live');
  await playAll(page, 'embed-details');
  assert.equal(await embedCell(page, 'embed-details', 'container', '/app/config'), 'opaque');
  assert.match(await page.locator('#embed-details .log').innerText(), /opaque/);

  await page.locator('#embed-metacopy').scrollIntoViewIfNeeded();
  await waitStatus(page, 'embed-metacopy', 'live');
  await playAll(page, 'embed-metacopy');
  const meta = await page.locator('#embed-metacopy .log').innerText();
  assert.match(meta, /metadata/i);
  assert.equal(await embedCell(page, 'embed-metacopy', 'container', '/app/start.sh'), 'file');

  // Back and reset undo the scenario line by line.
  await page.locator('#embed-metacopy button[aria-label="back"]').click();
  assert.equal(await page.locator('#embed-metacopy .pos').innerText(), '1 of 2 commands run');
  await page.locator('#embed-metacopy button[aria-label="reset"]').click();
  assert.equal(await page.locator('#embed-metacopy .pos').innerText(), '0 of 2 commands run');
  assert.equal(await embedCell(page, 'embed-metacopy', 'container', '/app/start.sh'), 'none');

  // One wasm module for all of them.
  assert.equal(count(page, 'pkg/layerlab_bg.wasm'), 1, page.requests.join(' '));
  assert.equal(count(page, 'embed-live.js'), 1);
});

test('the lesson embed checks the goal after each command and says when it is met', async () => {
  const lesson = JSON.parse(readFileSync(`${WWW}/lessons/copy-on-write.json`, 'utf8'));
  const { page } = await openPage('embed-example.html');
  await page.locator('#embed-lesson').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.getElementById('embed-lesson').shadowRoot.querySelector('.goal .state'), null, { timeout: 20000 });
  const box = page.locator('#embed-lesson .goal');
  assert.match(await box.innerText(), new RegExp(lesson.title.slice(0, 20)));
  assert.match(await box.innerText(), /goal not met yet/);
  assert.match(await page.locator('#embed-lesson a.open').getAttribute('href') ?? '', /index\.html#lesson=copy-on-write$/);
  await page.locator('#embed-lesson .goal button').click();
  assert.ok((await box.innerText()).includes(`Hint: ${lesson.hints[0]}`));
  // A wrong attempt does not meet it; the reference solution, typed, does.
  const input = page.locator('#embed-lesson input[aria-label="command"]');
  await input.fill('cat /app/config.ini');
  await input.press('Enter');
  await page.waitForFunction(() => /port=8080/.test(document.getElementById('embed-lesson').shadowRoot.querySelector('.log').textContent));
  assert.match(await box.innerText(), /goal not met yet/);
  for (const line of lesson.solution.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    assert.ok(!line.startsWith('@'), 'the solution is typed, not a page action');
    await input.fill(line);
    await input.press('Enter');
  }
  await page.waitForFunction(() => /goal met/.test(document.getElementById('embed-lesson').shadowRoot.querySelector('.goal .state').textContent) && !/not/.test(document.getElementById('embed-lesson').shadowRoot.querySelector('.goal .state').textContent));
  assert.match(await page.locator('#embed-lesson a.open').getAttribute('href'), /index\.html#s=1\./);
  // Back (undo) leaves the goal again.
  await page.locator('#embed-lesson button[aria-label="back"]').click();
  assert.match(await box.innerText(), /goal not met yet/);
});

test('a lesson that does not exist gets a message in the embed', async () => {
  const { page } = await openPage('nolesson.html', { html: hostPage('<layer-lab id="l" lesson="no-such-lesson"></layer-lab>'), allow: [/404/] });
  await page.waitForFunction(() => /could not be loaded/.test(document.getElementById('l').shadowRoot.textContent), null, { timeout: 20000 });
  assert.match(await page.locator('#l .msg').innerText(), /no-such-lesson.*HTTP 404/);
});

test('the terminal runs typed commands; read-only embeds have none', async () => {
  const { page } = await openPage('embed-example.html');
  await page.locator('#embed-own').scrollIntoViewIfNeeded();
  await waitStatus(page, 'embed-own', 'live');
  const input = page.locator('#embed-own input[aria-label="command"]');
  await input.fill('mkdir /srv && touch /srv/new');
  await input.press('Enter');
  await page.waitForFunction(() => /touch \/srv\/new/.test(document.getElementById('embed-own').shadowRoot.querySelector('.log').textContent));
  assert.equal(await embedCell(page, 'embed-own', 'container', '/srv/new'), 'file');
  await input.fill('cat /nope');
  await input.press('Enter');
  await page.waitForFunction(() => /No such file or directory/.test(document.getElementById('embed-own').shadowRoot.querySelector('.log').textContent));
  assert.equal(await page.locator('#embed-cow input[aria-label="command"]').count(), 0);
  // Tab completes paths; with nothing left to complete it moves the focus on.
  await input.fill('cat /app/co');
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'cat /app/conf/');
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'cat /app/conf/server.conf ');
  await input.press('Tab');
  assert.equal(await page.evaluate(() => document.getElementById('embed-own').shadowRoot.activeElement?.getAttribute('aria-label') ?? null), null, 'focus moved on');
  // Up recalls the history.
  await input.fill('');
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'cat /nope');
  // Text stays text: a file named like markup is shown, never parsed.
  await input.fill('touch "/<img src=x onerror=alert(1)>"');
  await input.press('Enter');
  await page.waitForFunction(() => document.getElementById('embed-own').shadowRoot.querySelector('tbody').textContent.includes('<img src=x onerror=alert(1)>'));
  assert.equal(await page.evaluate(() => document.getElementById('embed-own').shadowRoot.querySelectorAll('img').length), 0);
});

test('no wasm is fetched for embeds never shown; opening or scrolling loads it once', async () => {
  const html = hostPage(`
    <h1>Hidden embeds</h1>
    <details id="d"><summary>more</summary><layer-lab id="a" scenario="rm /etc/hosts"></layer-lab></details>
    <div id="tab" hidden><layer-lab id="t" scenario="rm /etc/passwd"></layer-lab></div>
    <div style="height: 3000px"></div>
    <layer-lab id="b" scenario="touch /x"></layer-lab>`);
  const { page } = await openPage('hidden.html', { html });
  await page.waitForFunction(() => ['a', 't', 'b'].every((i) => document.getElementById(i).status === 'preview'));
  await page.waitForTimeout(1000);
  assert.equal(count(page, 'pkg/layerlab_bg.wasm'), 0, page.requests.join(' '));
  assert.equal(count(page, 'embed-live.js'), 0);
  assert.equal(count(page, 'pkg/layerlab.js'), 0);
  // The preview already shows the scenario.
  assert.match(await page.locator('#a .log').innerText({ timeout: 1000 }).catch(() => ''), /^$/, 'closed details: nothing laid out');
  assert.equal(await page.evaluate(() => document.getElementById('b').shadowRoot.querySelector('.cmd').textContent), 'touch /x');

  await page.locator('#d summary').click();
  await waitStatus(page, 'a', 'live');
  assert.equal(count(page, 'pkg/layerlab_bg.wasm'), 1);
  // A hidden tab that is shown later.
  await page.evaluate(() => { document.getElementById('tab').hidden = false; });
  await waitStatus(page, 't', 'live');
  await page.locator('#b').scrollIntoViewIfNeeded();
  await waitStatus(page, 'b', 'live');
  assert.equal(await status(page, 'b'), 'live');
  assert.equal(count(page, 'pkg/layerlab_bg.wasm'), 1);
  assert.equal(count(page, 'embed-live.js'), 1);
});

test('a click on the preview loads it before it is scrolled to', async () => {
  const html = hostPage('<layer-lab id="a" scenario="rm /etc/hosts"></layer-lab><div style="height: 3000px"></div>');
  const { page } = await openPage('click.html', { html, options: { viewport: { width: 800, height: 200 } } });
  // 200 px of viewport: the preview's top is visible, so it loads by itself; a second embed
  // added below the fold is loaded by a click instead (its button, reached by script).
  await waitStatus(page, 'a', 'live');
  await page.evaluate(() => {
    const e = document.createElement('layer-lab');
    e.id = 'c';
    e.setAttribute('scenario', 'touch /clicked');
    document.body.append(e);
  });
  await waitStatus(page, 'c', 'preview');
  await page.evaluate(() => document.getElementById('c').shadowRoot.querySelector('button.load').click());
  await waitStatus(page, 'c', 'live');
});

test('ten embeds on one page load one wasm module and all become usable', async () => {
  const body = Array.from({ length: 10 }, (_, i) => `<layer-lab id="e${i}" readonly layers='[{"createdBy":"base","script":"mkdir /d\\necho ${i} > /d/f"}]' scenario="rm /d/f"></layer-lab>`).join('\n');
  const { page } = await openPage('ten.html', { html: hostPage(body), options: { viewport: { width: 1280, height: 8000 } } });
  for (let i = 0; i < 10; i += 1) await waitStatus(page, `e${i}`, 'live');
  assert.equal(count(page, 'pkg/layerlab_bg.wasm'), 1);
  assert.equal(count(page, 'pkg/layerlab.js'), 1);
  assert.equal(count(page, 'embed-live.js'), 1);
  for (let i = 0; i < 10; i += 1) {
    await page.locator(`#e${i} button[aria-label="next command"]`).click();
    assert.equal(await embedCell(page, `e${i}`, 'container', '/d/f'), 'whiteout');
  }
});

test('theme="auto" follows the host: the media query and documentation generators\' attributes, live', async () => {
  const { page } = await openPage('embed-example.html', { options: { colorScheme: 'light' } });
  await waitStatus(page, 'embed-cow', 'live');
  const look = () => page.evaluate(() => {
    const w = document.getElementById('embed-cow').shadowRoot.querySelector('.ll');
    return { theme: w.dataset.theme, bg: getComputedStyle(w).backgroundColor, preview: document.getElementById('embed-own').shadowRoot.querySelector('.ll').dataset.theme };
  });
  const light = await look();
  assert.equal(light.theme, 'light');
  assert.equal(light.preview, 'light', 'previews follow too');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => document.getElementById('embed-cow').shadowRoot.querySelector('.ll').dataset.theme === 'dark');
  const dark = await look();
  assert.notEqual(dark.bg, light.bg, 'the dark theme restyles the embed');
  assert.equal(dark.preview, 'dark');
  await shot(page, 'embed-example-dark-system');

  const setAndRead = async (f) => {
    await page.evaluate(f);
    await page.waitForTimeout(50);
    return (await look()).theme;
  };
  // The page's own switch (Docusaurus style, data-theme on <html>) wins over the media query.
  assert.equal(await setAndRead(() => document.documentElement.setAttribute('data-theme', 'light')), 'light');
  assert.equal(await setAndRead(() => document.documentElement.setAttribute('data-theme', 'dark')), 'dark');
  assert.equal(await setAndRead(() => document.documentElement.removeAttribute('data-theme')), 'dark');
  await page.emulateMedia({ colorScheme: 'light' });
  assert.equal(await setAndRead(() => {}), 'light');
  assert.equal(await setAndRead(() => document.documentElement.classList.add('dark')), 'dark', 'VitePress / Tailwind');
  assert.equal(await setAndRead(() => document.documentElement.classList.remove('dark')), 'light');
  assert.equal(await setAndRead(() => document.body.setAttribute('data-md-color-scheme', 'slate')), 'dark', 'MkDocs Material');
  assert.equal(await setAndRead(() => document.body.setAttribute('data-md-color-scheme', 'default')), 'light');
  assert.equal(await setAndRead(() => { document.body.removeAttribute('data-md-color-scheme'); document.documentElement.setAttribute('data-bs-theme', 'dark'); }), 'dark', 'Bootstrap');
  await page.evaluate(() => document.documentElement.removeAttribute('data-bs-theme'));

  // The example page's own switch button cycles auto, light, dark.
  await page.locator('#theme-switch').click();
  await page.locator('#theme-switch').click();
  await page.waitForFunction(() => document.getElementById('embed-cow').shadowRoot.querySelector('.ll').dataset.theme === 'dark');

  // A fixed theme ignores the host; custom properties restyle.
  await page.evaluate(() => document.getElementById('embed-cow').setAttribute('theme', 'light'));
  assert.equal((await look()).theme, 'light');
  await page.evaluate(() => document.getElementById('embed-cow').style.setProperty('--layerlab-bg', 'rgb(1, 2, 3)'));
  assert.equal((await look()).bg, 'rgb(1, 2, 3)');
});

test('"Open in Layer Lab" opens the full page with the embed\'s state', async () => {
  const { page, context } = await openPage('embed-example.html');
  await page.locator('#embed-own').scrollIntoViewIfNeeded();
  await waitStatus(page, 'embed-own', 'live');
  await playAll(page, 'embed-own');
  const input = page.locator('#embed-own input[aria-label="command"]');
  await input.fill('echo extra > /app/extra');
  await input.press('Enter');
  await page.waitForFunction(() => document.getElementById('embed-own').shadowRoot.querySelector('.open').href.includes('#s=1.'));
  // The link is built after each change: wait for the one with the last command.
  await page.waitForTimeout(200);
  const href = await page.locator('#embed-own a.open').getAttribute('href');
  assert.ok(href.startsWith(env.server.url + 'index.html#s=1.'), href);
  assert.equal(await page.locator('#embed-own a.open').getAttribute('target'), '_blank');
  const [full] = await Promise.all([context.waitForEvent('page'), page.locator('#embed-own a.open').click()]);
  full.problems = [];
  full.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && full.problems.push(m.text()));
  await ready(full);
  const transcript = await full.locator('.t-entry').allInnerTexts();
  assert.equal(transcript.length, 4, transcript.join('\n'));
  assert.match(transcript.join('\n'), /rm \/app\/static\/index\.html/);
  assert.match(transcript.join('\n'), /echo extra > \/app\/extra/);
  for (const [layer, path, want] of [['container', '/app/static/index.html', 'whiteout'], ['container', '/app/extra', 'file'], ['1', '/app/conf/server.conf', 'file'], ['0', '/app/conf/server.conf', 'file']]) {
    assert.ok(await reveal(full, path), path);
    assert.equal(await cell(full, layer, path).getAttribute('data-state'), want, `${layer} ${path}`);
  }
  const rows = await full.locator('[role=row][data-layer]').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
  assert.deepEqual(rows, ['merged', 'container', '1', '0'], 'the embed\'s own two image layers');
  assert.deepEqual(full.problems, []);
});

test('the host\'s storage and URL are untouched; persist="key" opts in to one key', async () => {
  const { page } = await openPage('embed-example.html#intro?x=1');
  const url = page.url();
  await waitStatus(page, 'embed-cow', 'live');
  await page.locator('#embed-own').scrollIntoViewIfNeeded();
  await waitStatus(page, 'embed-own', 'live');
  await playAll(page, 'embed-own');
  await page.locator('#embed-own input[aria-label="command"]').fill('touch /t');
  await page.locator('#embed-own input[aria-label="command"]').press('Enter');
  await page.locator('#embed-metacopy').scrollIntoViewIfNeeded();
  await waitStatus(page, 'embed-metacopy', 'live');
  await playAll(page, 'embed-metacopy');
  await page.waitForTimeout(300);
  const after = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, href: location.href }));
  assert.deepEqual(after, { local: 0, session: 0, cookie: '', href: url });

  const html = hostPage('<layer-lab id="p" persist="demo" scenario="touch /a\ntouch /b"></layer-lab>');
  const { page: p2 } = await openPage('persist.html', { html });
  await waitStatus(p2, 'p', 'live');
  await p2.locator('#p button[aria-label="next command"]').click();
  await p2.locator('#p input[aria-label="command"]').fill('touch /mine');
  await p2.locator('#p input[aria-label="command"]').press('Enter');
  await p2.waitForFunction(() => document.getElementById('p').shadowRoot.querySelector('td[data-layer="container"][data-path="/mine"]')?.dataset.state === 'file');
  assert.deepEqual(await p2.evaluate(() => Object.keys(localStorage)), ['layerlab.embed.demo']);
  await p2.reload();
  await waitStatus(p2, 'p', 'live');
  assert.equal(await p2.locator('#p .pos').innerText(), '1 of 2 commands run');
  assert.equal(await embedCell(p2, 'p', 'container', '/mine'), 'file');
  assert.equal(await p2.locator('#p td[data-path="/b"]').count(), 0, 'the second scenario line has not run');
});

test('a client-side navigation that detaches and re-attaches an embed re-initialises it', async () => {
  const html = hostPage('<main id="m"><layer-lab id="a" scenario="rm /etc/hosts"></layer-lab></main><template id="next"><layer-lab id="n" autoplay scenario="touch /from-template"></layer-lab></template>');
  const { page } = await openPage('spa.html', { html });
  await waitStatus(page, 'a', 'live');
  await page.locator('#a button[aria-label="next command"]').click();
  // Navigate away (the router swaps the content), then back: the same element re-attached.
  await page.evaluate(() => {
    const m = document.getElementById('m');
    window.kept = document.getElementById('a');
    m.replaceChildren(document.getElementById('next').content.cloneNode(true));
  });
  assert.equal(await page.evaluate(() => window.kept.status), 'idle');
  await waitStatus(page, 'n', 'live');
  await page.waitForFunction(() => document.getElementById('n').shadowRoot.querySelector('.pos')?.textContent === '1 of 1 commands run');
  await page.evaluate(() => document.getElementById('m').replaceChildren(window.kept));
  await waitStatus(page, 'a', 'live');
  assert.equal(await page.locator('#a .pos').innerText(), '0 of 1 commands run', 'a fresh start');
  await page.locator('#a button[aria-label="next command"]').click();
  assert.equal(await embedCell(page, 'a', 'container', '/etc/hosts'), 'whiteout');
  // height caps the matrix, which then scrolls; theme and height change without a restart.
  await page.evaluate(() => document.getElementById('a').setAttribute('height', '100'));
  const view = await page.evaluate(() => {
    const v = document.getElementById('a').shadowRoot.querySelector('.view');
    return { max: getComputedStyle(v).maxHeight, scrolls: v.scrollHeight > v.clientHeight };
  });
  assert.deepEqual(view, { max: '100px', scrolls: true });
  assert.equal(await embedCell(page, 'a', 'container', '/etc/hosts'), 'whiteout', 'still the same lab');
  // Changing an attribute is a new embed too.
  await page.evaluate(() => document.getElementById('a').setAttribute('scenario', 'rm /etc/passwd'));
  await waitStatus(page, 'a', 'live');
  await page.locator('#a button[aria-label="next command"]').click();
  assert.equal(await embedCell(page, 'a', 'container', '/etc/passwd'), 'whiteout');
  assert.equal(count(page, 'pkg/layerlab_bg.wasm'), 1);
});

test('bad attributes get a clear message inside the embed and the host page goes on', async () => {
  const html = hostPage(`
    <p id="before">before</p>
    <layer-lab id="json" layers="[{oops"></layer-lab>
    <layer-lab id="shape" layers='[{"createdBy": 1}]'></layer-lab>
    <layer-lab id="script" layers='[{"createdBy":"broken","script":"mkdir /a\\nnosuchcmd"}]'></layer-lab>
    <layer-lab id="soft" theme="purple" height="tall" options="metacopy turbo" scenario="touch /ok"></layer-lab>
    <layer-lab id="lesson" lesson="../../etc"></layer-lab>
    <p id="after">after</p>`);
  const { page } = await openPage('bad.html', { html, options: { viewport: { width: 1280, height: 4000 } } });
  await waitStatus(page, 'json', 'error');
  assert.match(await page.locator('#json .msg').innerText(), /not valid JSON/);
  assert.match(await page.locator('#shape .msg').innerText(), /needs a "script"/);
  assert.match(await page.locator('#lesson .msg').innerText(), /not a lesson id/);
  await waitStatus(page, 'script', 'error');
  assert.match(await page.locator('#script .msg').innerText(), /could not be built.*nosuchcmd/s);
  await waitStatus(page, 'soft', 'live');
  const soft = await page.locator('#soft .msg').allInnerTexts();
  assert.equal(soft.length, 3, soft.join('\n'));
  assert.match(soft.join('\n'), /theme="purple"/);
  assert.match(soft.join('\n'), /height="tall"/);
  assert.match(soft.join('\n'), /turbo/);
  await page.locator('#soft button[aria-label="next command"]').click();
  assert.equal(await embedCell(page, 'soft', 'container', '/ok'), 'file');
  assert.equal(await page.locator('#after').innerText(), 'after');
});

test('reduced motion: autoplay shows the whole scenario at once', async () => {
  const { page } = await openPage('embed-example.html', { options: { reducedMotion: 'reduce' } });
  await waitStatus(page, 'embed-cow', 'live');
  assert.equal(await page.locator('#embed-cow .pos').innerText(), '4 of 4 commands run');
  assert.equal(await page.locator('#embed-cow button[aria-label="play"]').getAttribute('aria-pressed'), 'false');
});

test('iframe mode: the embed on another origin reports its height and the host checks where it comes from', async () => {
  const other = await serve();
  let page;
  let context;
  try {
    const src = `${other.url}embed.html?autoplay&scenario=${encodeURIComponent('rm /etc/hosts\nls /etc')}`;
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>frame host</title><link rel="icon" href="favicon.svg"><script type="module" src="embed-host.js"></script></head>
      <body><p>above</p><iframe id="f" data-layerlab src="${src}" title="Layer Lab" style="width: 700px; height: 150px; border: 0"></iframe><p>below</p>
      <iframe id="g" data-layerlab src="${other.url}embed.html?origin=${encodeURIComponent('http://example.invalid')}&amp;scenario=touch%20/x" title="Layer Lab, told another origin" style="width: 700px; height: 150px; border: 0"></iframe></body></html>`;
    env.server.pages.set('/frame-host.html', html);
    // The frame told a wrong host origin makes the browser warn that it dropped the message:
    // the proof that nothing went to this page. Only that warning is allowed.
    ({ page, context } = await openPage('frame-host.html', { allow: [/target origin provided \('http:\/\/example\.invalid'\) does not match/] }));
    assert.notEqual(new URL(src).origin, new URL(page.url()).origin);
    const frame = page.frameLocator('#f');
    await frame.locator('layer-lab').waitFor({ state: 'attached' });
    const inner = page.frames().find((f) => f.url().startsWith(other.url));
    await inner.waitForFunction(() => document.querySelector('layer-lab').status === 'live', null, { timeout: 20000 });
    await inner.waitForFunction(() => document.querySelector('layer-lab').shadowRoot.querySelector('.pos')?.textContent === '2 of 2 commands run', null, { timeout: 20000 });
    // The iframe takes the content's height: no inner scrollbar.
    await page.waitForFunction(() => document.getElementById('f').getBoundingClientRect().height > 300);
    await page.waitForTimeout(300);
    const sizes = await inner.evaluate(() => ({ content: Math.ceil(document.documentElement.getBoundingClientRect().height), scroll: document.documentElement.scrollHeight, client: document.documentElement.clientHeight }));
    const frameHeight = await page.evaluate(() => document.getElementById('f').getBoundingClientRect().height);
    assert.equal(frameHeight, sizes.content);
    assert.ok(sizes.scroll <= sizes.client, `no inner scrollbar: ${JSON.stringify(sizes)}`);
    // An embed told that its host is another origin posts to that origin only: the browser
    // does not deliver it here, so this frame keeps its height.
    const g = page.frames().find((f) => f.url().includes('origin='));
    await g.waitForFunction(() => document.querySelector('layer-lab')?.status === 'live', null, { timeout: 20000 });
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => document.getElementById('g').getBoundingClientRect().height), 150);
    // A message from anywhere else (here the host itself) does not resize it.
    await page.evaluate(() => window.postMessage({ type: 'layerlab:height', height: 5 }, '*'));
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => document.getElementById('f').getBoundingClientRect().height), frameHeight);
    // The host's theme reaches the embed in the frame.
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await inner.waitForFunction(() => document.querySelector('layer-lab').shadowRoot.querySelector('.ll').dataset.theme === 'dark');
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'));
    await inner.waitForFunction(() => document.querySelector('layer-lab').shadowRoot.querySelector('.ll').dataset.theme === 'light');
  } finally {
    // The frame's connections to the other server end with the context.
    await context?.close();
    await other.close();
  }
});

test('screenshots of the example page in light and dark', async () => {
  for (const scheme of ['light', 'dark']) {
    const { page } = await openPage('embed-example.html', { options: { colorScheme: scheme, reducedMotion: 'reduce' } });
    await waitStatus(page, 'embed-cow', 'live');
    await page.locator('#advanced summary').click();
    for (const id of ['embed-own', 'embed-details', 'embed-metacopy']) {
      await page.locator(`#${id}`).scrollIntoViewIfNeeded();
      await waitStatus(page, id, 'live');
    }
    await playAll(page, 'embed-own');
    await page.locator('#embed-frame').scrollIntoViewIfNeeded();
    await page.waitForTimeout(1500);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, `embed-example-${scheme}`);
  }
});
