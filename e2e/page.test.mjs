// End-to-end tests of the page in Debian's Chromium: the matrix, "why" and the timeline after
// each kind of copy-on-write change, time travel, undo and redo, share links, persistence,
// hostile input, reduced motion, keyboard use; and no console warning or error anywhere.
// Run with `node --test e2e/` after building the wasm into www/pkg.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, run, shot, cell, ready, reveal } from './browser.mjs';

let env;
const pages = [];

before(async () => {
  env = await launch();
});

after(async () => {
  await env?.close();
});

async function fresh(options, hash) {
  const o = await open(env, options, hash);
  pages.push(o);
  return o;
}

afterEach(async () => {
  for (const { page, context } of pages.splice(0)) {
    assert.deepEqual(page.problems, [], 'no console warnings or errors');
    assert.deepEqual(page.dialogs, [], 'no dialogs');
    await context.close();
  }
});

async function state(page, layer, path) {
  await reveal(page, path);
  return cell(page, layer, path).getAttribute('data-state');
}

/** Ends any running animation, as the Skip button does. */
async function settle(page) {
  await page.evaluate(() => {
    const b = document.querySelector('#btn-skip');
    if (!b.hidden) b.click();
  });
  await page.waitForFunction(() => !document.body.classList.contains('animating'));
}

async function selectCell(page, layer, path) {
  await settle(page);
  await reveal(page, path);
  await cell(page, layer, path).click();
  await page.waitForFunction((p) => document.querySelector('.why-path')?.textContent === p, path);
  return page.locator('#why').innerText();
}

test('the default scenario shows every layer, with a whiteout and an opaque directory already there', async () => {
  const { page } = await fresh();
  const rows = await page.locator('[role=row][data-layer]').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
  assert.deepEqual(rows, ['merged', 'container', '2', '1', '0']);
  assert.equal(await state(page, '1', '/var/log/boot.log'), 'whiteout');
  assert.equal(await state(page, '2', '/usr/share/doc/base'), 'opaque');
  assert.equal(await state(page, 'merged', '/var/log/boot.log'), 'none');
  assert.equal(await state(page, 'merged', '/etc/hosts'), 'file');
  assert.equal(await state(page, '0', '/bin/sh'), 'symlink');
  // Row labels: short digest, created-by and size.
  const label = await page.locator('[data-layer="1"] [role=rowheader]').innerText();
  assert.match(label, /L1/);
  assert.match(label, /[0-9a-f]{12}/);
  assert.match(label, /RUN install the app/);
  assert.match(label, /\d+ B/);
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp, /'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  await shot(page, '01-default');
});

test('a copy-up: the matrix, why and the timeline agree, and the copy is animated', async () => {
  const { page } = await fresh();
  await run(page, 'echo 10.0.0.2 db >> /etc/hosts');
  assert.equal(await state(page, 'container', '/etc/hosts'), 'file');
  assert.equal(await state(page, 'container', '/etc'), 'dir');
  assert.equal(await cell(page, 'merged', '/etc/hosts').getAttribute('data-src'), 'C');
  // A cell is one element: its glyph and text are its own text, the merged row's source tag
  // its ::after, drawn from data-src.
  assert.equal(await cell(page, 'container', '/etc/hosts').evaluate((e) => e.childElementCount), 0);
  assert.match(await cell(page, 'container', '/etc/hosts').innerText(), /^▤ \d+ B$/);
  assert.match(await cell(page, 'merged', '/etc/hosts').evaluate((e) => getComputedStyle(e, '::after').content), /^"C"/);
  assert.ok(await cell(page, '0', '/etc/hosts').evaluate((e) => e.classList.contains('masked')));
  const kinds = await page.locator('#timeline [data-kind]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
  assert.deepEqual(kinds, ['copy-up', 'copy-up', 'write']);
  assert.match(await page.locator('#timeline').innerText(), /copied from layer 0 into the container layer/);
  // Screen readers hear one summary for the command, from the ARIA log.
  assert.deepEqual(await page.locator('[role=log] > *').allTextContents(), ['echo 10.0.0.2 db >> /etc/hosts: 2 × copy-up, 1 write · 61 B copied up']);
  // The copy-up animates: a ghost flies up, counted on the body.
  await page.waitForFunction(() => Number(document.body.dataset.animations ?? 0) >= 1);
  await page.waitForTimeout(300);
  await shot(page, '02-copy-up-animating');
  await page.click('#btn-skip').catch(() => {});
  await page.waitForFunction(() => !document.body.classList.contains('animating'));
  const why = await selectCell(page, 'container', '/etc/hosts');
  assert.match(why, /The container layer wins/);
  assert.match(why, /L0/);
  assert.match(why, /masked/);
  // The masked lower file's own content is shown beside the merged view's (readFile of a layer;
  // the headings are upper-cased by CSS, hence /i).
  assert.match(why, /Content \(merged view\)\s+127\.0\.0\.1\tlocalhost[^]*10\.0\.0\.2 db/i);
  assert.match(why, /Content in layer 0 \(masked\)/i);
  assert.match(await page.locator('#why .why-masked').innerText(), /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n?$/);
  // The cell, its events and the command that caused them highlight each other.
  assert.equal(await page.locator('#timeline .tl-event.related').count(), 2);
  assert.equal(await page.locator('.t-entry.related').count(), 1);
  await shot(page, '03-copy-up-why');
});

test('the animations fly over the cells they are about: a copy-up from the lower cell up to the container layer, a whiteout over the merged cell', async () => {
  // The ghosts are placed from the matrix's own geometry (no layout is read when an animation
  // starts): held at their first and last keyframes, they must sit on the real cells.
  const { page } = await fresh();
  const ghostAt = (cls, progress) => page.evaluate(([c, p]) => {
    const g = document.querySelector(`.ghost.${c}`);
    if (!g) return null;
    for (const a of g.getAnimations()) {
      a.pause();
      a.currentTime = p * a.effect.getComputedTiming().duration;
    }
    const r = g.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height };
  }, [cls, progress]);
  const cellAt = (layer, path) => cell(page, layer, path).evaluate((e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    // The ghost covers the cell's slot: the cell with its margin (left) and inset (top, bottom).
    return { left: r.left - parseFloat(s.marginLeft), top: r.top - parseFloat(s.top) };
  });
  const near = (a, b, what) => {
    assert.ok(Math.abs(a.left - b.left) < 1.5 && Math.abs(a.top - b.top) < 1.5, `${what}: ghost at ${JSON.stringify(a)}, cell slot at ${JSON.stringify(b)}`);
  };
  await page.fill('[aria-label="command"]', 'echo 10.0.0.2 db >> /etc/hosts');
  await page.press('[aria-label="command"]', 'Enter');
  // The first copy-up is the parent directory's, /etc from layer 0.
  await page.waitForSelector('.ghost.ghost-copy', { state: 'attached' });
  const start = await ghostAt('ghost-copy', 0);
  near(start, await cellAt('0', '/etc'), 'copy-up start');
  assert.ok(start.width > 60 && start.height > 30, JSON.stringify(start));
  near(await ghostAt('ghost-copy', 1), await cellAt('container', '/etc'), 'copy-up end');
  await settle(page);

  await page.fill('[aria-label="command"]', 'rm /etc/passwd');
  await page.press('[aria-label="command"]', 'Enter');
  await page.waitForSelector('.ghost.ghost-fade', { state: 'attached' });
  near(await ghostAt('ghost-fade', 0), await cellAt('merged', '/etc/passwd'), 'whiteout');
  await settle(page);
});

test('a whiteout: the deleted file stays in its layer and disappears from the merged view', async () => {
  const { page } = await fresh();
  await run(page, 'rm /etc/passwd');
  assert.equal(await state(page, 'container', '/etc/passwd'), 'whiteout');
  assert.equal(await state(page, 'merged', '/etc/passwd'), 'none');
  assert.equal(await state(page, '0', '/etc/passwd'), 'file');
  assert.equal(await cell(page, 'container', '/etc/passwd').innerText(), '✕ whiteout');
  assert.equal(await page.locator('#timeline [data-kind="whiteout"]').count(), 1);
  const why = await selectCell(page, 'merged', '/etc/passwd');
  assert.match(why, /Nothing is visible here: the container layer deletes it/);
  // The deleted file still has its content in layer 0.
  assert.match(why, /Content in layer 0 \(masked\)\s+root:x:0:0:root/i);
  await page.waitForFunction(() => !document.body.classList.contains('animating'));
  await shot(page, '04-whiteout');
});

test('an opaque directory: rm -rf d; mkdir d hides everything the image had under d', async () => {
  const { page } = await fresh();
  await run(page, 'rm -rf /app/config; mkdir /app/config');
  assert.equal(await state(page, 'container', '/app/config'), 'opaque');
  assert.equal(await state(page, 'merged', '/app/config'), 'dir');
  assert.equal(await state(page, 'merged', '/app/config/app.conf'), 'none');
  assert.equal(await state(page, '1', '/app/config/app.conf'), 'file');
  const kinds = await page.locator('#timeline [data-kind]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
  assert.ok(kinds.includes('opaque'), kinds.join(' '));
  assert.ok(kinds.includes('whiteout'), kinds.join(' '));
  const why = await selectCell(page, '1', '/app/config/app.conf');
  assert.match(why, /opaque/);
  await page.waitForFunction(() => !document.body.classList.contains('animating'));
  await shot(page, '05-opaque');
});

test('EXDEV: mv of an image directory copies the tree and deletes the source', async () => {
  const { page } = await fresh();
  await run(page, 'mv /app/data /app/records');
  const kinds = await page.locator('#timeline [data-kind]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
  assert.ok(kinds.includes('exdev-fallback'), kinds.join(' '));
  assert.equal(await state(page, 'container', '/app/data'), 'whiteout');
  assert.equal(await state(page, 'container', '/app/records/seed.csv'), 'file');
  assert.equal(await state(page, 'merged', '/app/records/seed.csv'), 'file');
  assert.equal(await state(page, 'merged', '/app/data'), 'none');
  assert.match(await page.locator('#timeline [data-kind="exdev-fallback"]').innerText(), /EXDEV|copied|cross/i);
  const why = await selectCell(page, 'container', '/app/records/seed.csv');
  assert.match(why, /container layer wins/i);
  await page.waitForFunction(() => !document.body.classList.contains('animating'));
  await shot(page, '06-exdev');
});

test('stepping: the state at step N is the state after the first N events; replay reaches the end', async () => {
  const { page } = await fresh({ reducedMotion: 'reduce' });
  await run(page, 'echo a >> /etc/hosts');
  await run(page, 'rm /etc/hostname');
  const total = await page.locator('#timeline [data-seq]').count();
  assert.equal(total, 4);
  await page.focus('#timeline');
  await page.keyboard.press('Home');
  assert.match(await page.locator('#step-label').innerText(), /step 0 of 4/);
  assert.equal(await state(page, 'container', '/etc/hosts'), 'none');
  assert.equal(await state(page, 'merged', '/etc/hostname'), 'file');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.match(await page.locator('#tl-status').textContent(), /^Step 2 of 4: copy-up: \/etc\/hosts/);
  assert.equal(await page.locator('[role=log] > *').count(), 2);
  // After event 2 (the copy-up of /etc/hosts), before the write.
  assert.match(await page.locator('#step-label').innerText(), /step 2 of 4/);
  assert.equal(await state(page, 'container', '/etc/hosts'), 'file');
  assert.match(await cell(page, 'container', '/etc/hosts').innerText(), /61 B/);
  assert.equal(await state(page, 'container', '/etc/hostname'), 'none');
  assert.equal(await page.locator('#timeline .tl-event.future').count(), 2);
  await shot(page, '07-step-2-of-4');
  await page.keyboard.press('ArrowRight');
  assert.match(await cell(page, 'container', '/etc/hosts').innerText(), /63 B/);
  await page.keyboard.press('ArrowLeft');
  assert.match(await cell(page, 'container', '/etc/hosts').innerText(), /61 B/);
  await page.keyboard.press('End');
  assert.equal(await state(page, 'container', '/etc/hostname'), 'whiteout');
  // Replay from the start at 4x.
  await page.selectOption('#speed', '4');
  await page.click('#tl-play');
  await page.waitForFunction(() => /step [1-3] of 4/.test(document.querySelector('#step-label').textContent));
  await page.waitForFunction(() => document.querySelector('#step-label').textContent === 'step 4 of 4', null, { timeout: 10000 });
  assert.equal(await state(page, 'container', '/etc/hostname'), 'whiteout');
});

test('undo and redo', async () => {
  const { page } = await fresh();
  await run(page, 'rm /etc/os-release');
  assert.equal(await state(page, 'container', '/etc/os-release'), 'whiteout');
  await page.click('#btn-undo');
  assert.equal(await state(page, 'merged', '/etc/os-release'), 'file');
  assert.equal(await state(page, 'container', '/etc/os-release'), 'none');
  assert.equal(await page.locator('#timeline [data-seq]').count(), 0);
  assert.ok(await page.locator('#btn-redo').isEnabled());
  await page.click('#btn-redo');
  assert.equal(await state(page, 'container', '/etc/os-release'), 'whiteout');
  assert.equal(await page.locator('#timeline [data-kind="whiteout"]').count(), 1);
  assert.ok(await page.locator('#btn-redo').isDisabled());
  // Two steps back and forward again, with Ctrl+Z and Ctrl+Shift+Z outside the terminal.
  await run(page, 'echo x > /root/x');
  await page.focus('#matrix');
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  assert.equal(await state(page, 'merged', '/etc/os-release'), 'file');
  assert.match(await page.locator('.term-out').innerText(), /undone: echo x > \/root\/x[\s\S]*undone: rm \/etc\/os-release/);
  await page.keyboard.press('Control+Shift+z');
  await page.keyboard.press('Control+Shift+z');
  assert.equal(await state(page, 'container', '/root/x'), 'file');
  assert.equal(await state(page, 'container', '/etc/os-release'), 'whiteout');
});

test('a share link replays the whole session in a fresh page', async () => {
  const { page } = await fresh();
  await run(page, 'echo hi > /tmp/note');
  await run(page, 'rm -rf /usr/share/doc');
  await page.click('#btn-commit');
  await page.waitForSelector('[data-layer="3"]');
  await run(page, 'chmod 600 /app/VERSION');
  await page.click('#btn-share');
  await page.waitForSelector('#share-out:not([hidden])');
  const url = await page.inputValue('#share-url');
  assert.match(url, /#s=1\.[A-Za-z0-9_-]+$/);
  const rows = await page.locator('[role=row][data-layer]').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
  const other = await fresh({}, url.slice(url.indexOf('#')));
  const p2 = other.page;
  assert.match(await p2.locator('#notice').innerText(), /Opened a shared session: 4 actions replayed/);
  const rows2 = await p2.locator('[role=row][data-layer]').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
  assert.deepEqual(rows2, rows);
  assert.equal(await state(p2, '3', '/usr/share/doc'), 'whiteout');
  assert.equal(await state(p2, '3', '/tmp/note'), 'file');
  assert.equal(await state(p2, 'container', '/app/VERSION'), 'file');
  assert.match(await p2.locator('.term-out').innerText(), /chmod 600 \/app\/VERSION/);
  assert.equal(await p2.evaluate(() => location.hash), '');
  await shot(p2, '08-share-opened');
  // The same link pasted into a tab that is already open (only the fragment changes).
  const third = await fresh();
  await third.page.evaluate((h) => { location.hash = h; }, url.slice(url.indexOf('#')));
  await third.page.waitForFunction(() => /Opened a shared session/.test(document.querySelector('#notice').textContent));
  assert.equal(await state(third.page, '3', '/usr/share/doc'), 'whiteout');
});

test('a reload restores the session', async () => {
  const { page } = await fresh();
  await run(page, 'echo keep > /root/keep.txt');
  await page.waitForFunction(() => (localStorage.getItem('layerlab.session.v1') ?? '').includes('keep.txt'));
  await page.reload();
  await ready(page);
  assert.equal(await state(page, 'container', '/root/keep.txt'), 'file');
  assert.match(await page.locator('.term-out').innerText(), /echo keep/);
  // Up arrow brings the command back.
  await page.focus('[aria-label="command"]');
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.inputValue('[aria-label="command"]'), 'echo keep > /root/keep.txt');
});

test('a corrupt fragment or saved state gets a clear message and a clean start', async () => {
  for (const hash of ['#s=1.%%%', '#s=1.AAAAAAAA', '#s=7.abc', '#s=1.' + 'q'.repeat(40)]) {
    const { page } = await fresh({}, hash);
    const notice = await page.locator('#notice').innerText();
    assert.match(notice, /share link could not be opened/, hash);
    assert.equal(await state(page, 'merged', '/etc/hosts'), 'file');
    await run(page, 'rm /etc/hosts');
    assert.equal(await state(page, 'container', '/etc/hosts'), 'whiteout');
    if (hash === '#s=1.AAAAAAAA') await shot(page, '09-corrupt-link');
  }
  // A broken link leaves the session saved in this browser as it was, and brings it back.
  const { page } = await fresh();
  await run(page, 'echo mine > /root/mine');
  await page.waitForFunction(() => (localStorage.getItem('layerlab.session.v1') ?? '').includes('/root/mine'));
  // (Pasted into the open tab, only the fragment changes and the page says nothing changed.)
  await page.goto(`${env.server.url}#s=1.AAAAAAAA`);
  await page.waitForFunction(() => /could not be opened.*Nothing was changed/.test(document.querySelector('#notice').textContent));
  await page.goto('about:blank');
  await page.goto(`${env.server.url}#s=1.AAAAAAAA`);
  await ready(page);
  assert.match(await page.locator('#notice').innerText(), /could not be opened.*Your saved session is back/);
  assert.equal(await state(page, 'container', '/root/mine'), 'file');
  // A hostile saved state in storage: valid JSON, impossible history.
  // Let the page finish saving what it restored, so that it does not save over the bad state.
  await page.waitForTimeout(500);
  await page.evaluate(() => new Promise((r) => requestIdleCallback(r, { timeout: 2000 })));
  for (const bad of ['{not json', '{"version":1,"base":[],"actions":[{"action":"switch","id":99}]}', '{"version":1,"base":"x","actions":[]}', '[]']) {
    await page.evaluate((s) => localStorage.setItem('layerlab.session.v1', s), bad);
    await page.reload();
    await ready(page);
    assert.match(await page.locator('#notice').innerText(), /could not be restored.*Starting fresh/, bad);
    assert.equal(await page.evaluate(() => localStorage.getItem('layerlab.session.v1')), null);
    assert.equal(await state(page, 'merged', '/etc/hosts'), 'file');
  }
});

test('a file named like HTML shows as text and runs nothing', async () => {
  const { page } = await fresh();
  const name = '<img src=x onerror=alert(1)>';
  await run(page, `touch '/tmp/${name}'; echo '<script>alert(2)</script>' > '/tmp/${name}'; cat '/tmp/${name}'; ls /tmp`);
  assert.equal(await state(page, 'container', `/tmp/${name}`), 'file');
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.locator('main script').count(), 0);
  assert.match(await page.locator('.term-out').innerText(), /<script>alert\(2\)<\/script>/);
  const why = await selectCell(page, 'container', `/tmp/${name}`);
  assert.ok(why.includes(name));
  assert.ok(why.includes('<script>alert(2)</script>'));
  const header = await page.locator(`[data-col-path="/tmp/${name}"]`).innerText();
  assert.ok(header.includes(name));
  await page.waitForTimeout(300);
  assert.deepEqual(page.dialogs, []);
  await shot(page, '10-html-name');
});

test('a long path without spaces wraps in the terminal, the timeline and "why" and widens nothing', async () => {
  const { page } = await fresh();
  const dir = `/${Array.from({ length: 24 }, (_, i) => `dir${i}`).join('/')}`;
  await run(page, `mkdir -p ${dir}; echo deep > ${dir}/${'n'.repeat(120)}`);
  await selectCell(page, 'container', `${dir}/${'n'.repeat(120)}`);
  const overflow = await page.evaluate(() =>
    ['html', '.term-out', '#timeline', '#why'].map((sel) => {
      const el = document.querySelector(sel);
      return `${sel} ${el.scrollWidth > el.clientWidth + 1 ? 'overflows' : 'fits'}`;
    }),
  );
  assert.deepEqual(overflow, ['html fits', '.term-out fits', '#timeline fits', '#why fits']);
  await shot(page, '10b-long-path');
});

test('reduced motion runs no animation and says what changed in words', async () => {
  const { page } = await fresh({ reducedMotion: 'reduce' });
  await run(page, 'chmod 600 /etc/hosts; rm -rf /app/config; mkdir /app/config');
  assert.equal(await page.evaluate(() => document.getAnimations().length), 0);
  assert.equal(await page.evaluate(() => document.body.dataset.animations ?? '0'), '0');
  assert.equal(await page.locator('.ghost').count(), 0);
  assert.match(await page.locator('#caption').innerText(), /copy-up/);
  // Four events (two directories and the file copied up, a write): three told, and the one
  // left over counted in the singular.
  await run(page, 'echo x >> /var/log/boot.log');
  assert.match(await page.locator('#caption').innerText(), /… and 1 more event in the timeline\.$/);
  // The page's own toggle does the same without the system setting.
  const other = await fresh();
  await other.page.uncheck('#opt-motion');
  await run(other.page, 'echo x >> /etc/hosts');
  assert.equal(await other.page.evaluate(() => document.getAnimations().length), 0);
  assert.equal(await other.page.evaluate(() => document.body.dataset.animations ?? '0'), '0');
});

test('the matrix is one keyboard stop moved with arrows, Home and End', async () => {
  const { page } = await fresh();
  await page.focus('#matrix');
  const active = () => page.evaluate(() => {
    const id = document.querySelector('#matrix').getAttribute('aria-activedescendant');
    const c = document.getElementById(id);
    return c ? `${c.closest('[data-layer]').getAttribute('data-layer')} ${c.getAttribute('data-path')}` : null;
  });
  assert.equal(await active(), 'merged /app');
  await page.keyboard.press('ArrowRight');
  assert.equal(await active(), 'merged /app/VERSION');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.equal(await active(), '2 /app/VERSION');
  assert.match(await page.locator('#why').innerText(), /Layer 2 wins/);
  await page.keyboard.press('End');
  const last = await active();
  assert.equal(last, '2 /var/log/boot.log');
  await page.keyboard.press('Home');
  assert.equal(await active(), '2 /app');
  // Enter folds a directory: its children leave the columns.
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('[data-col-path="/app/VERSION"]').count(), 0);
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('[data-col-path="/app/VERSION"]').count(), 1);
  // Finding a path moves the cursor there, unfolding what hides it.
  await page.keyboard.press('Enter');
  await page.fill('[aria-label="find a path"]', 'seed');
  await page.press('[aria-label="find a path"]', 'Enter');
  assert.equal(await active(), '2 /app/data/seed.csv');
  // Only the matrix itself is a tab stop, not its cells.
  assert.equal(await page.locator('#matrix [tabindex="0"]').count(), 0);
});

test('commit, containers and toggles from the toolbar', async () => {
  const { page } = await fresh();
  await run(page, 'echo v3 > /app/VERSION');
  await page.click('#btn-commit');
  await page.waitForSelector('[data-layer="3"]');
  assert.equal(await state(page, '3', '/app/VERSION'), 'file');
  assert.match(await page.locator('[data-layer="3"] [role=rowheader]').innerText(), /[0-9a-f]{12}/);
  assert.equal(await page.locator('#timeline [data-kind="commit"]').count(), 1);
  await page.click('#btn-new');
  assert.equal(await page.locator('#container option').count(), 2);
  assert.match(await page.locator('.prompt').innerText(), /c2/);
  await page.check('#opt-redirect');
  await run(page, 'mv /app/data /app/d2');
  assert.ok(await page.locator('#timeline [data-kind="redirect"]').count() >= 1);
  await page.click('#btn-remove');
  assert.equal(await page.locator('#container option').count(), 1);
  assert.match(await page.locator('.prompt').innerText(), /c1/);
  await page.selectOption('#theme', 'dark');
  await page.waitForTimeout(100);
  await shot(page, '11-dark-theme');
});

test('tab completes paths and the arrows walk the history', async () => {
  const { page } = await fresh();
  const input = page.locator('[aria-label="command"]');
  await input.fill('ec');
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'echo ');
  await input.fill('cat /etc/hostn');
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'cat /etc/hostname ');
  await input.fill('ls /etc/ho');
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'ls /etc/host');
  await input.press('Tab');
  assert.match(await page.locator('.term-out').innerText(), /hostname {2}hosts/);
  await run(page, 'cat /etc/hostname');
  assert.match(await page.locator('.term-out').innerText(), /layerlab/);
  await run(page, 'cat /nope');
  assert.match(await page.locator('.t-err').last().innerText(), /No such file or directory/);
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'cat /nope');
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'cat /etc/hostname');
  await input.press('ArrowDown');
  await input.press('ArrowDown');
  assert.equal(await input.inputValue(), '');
});

test('export and import of a session file; a broken file changes nothing', async () => {
  const { page } = await fresh({ acceptDownloads: true });
  await run(page, 'echo exported > /root/e.txt');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export')]);
  const file = await download.path();
  const other = await fresh();
  const p2 = other.page;
  await p2.setInputFiles('#import', file);
  await p2.waitForFunction(() => /Loaded a session: 1 action replayed/.test(document.querySelector('#notice').textContent));
  assert.equal(await state(p2, 'container', '/root/e.txt'), 'file');
  await p2.setInputFiles('#import', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"version":1,"base":[],"actions":[{"action":"rm -rf /"}]}') });
  await p2.waitForFunction(() => /bad.json could not be opened/.test(document.querySelector('#notice').textContent));
  assert.equal(await state(p2, 'container', '/root/e.txt'), 'file');
});
