// End-to-end tests of the matrix's two banks of cells (www/matrix.js): while an animation step
// plays, the columns of the next step are drawn in idle time into the bank not on screen, and
// the step's scroll switches to them. Whatever the banks hold, the cells on the page must be
// right: one cell per row and column, each showing its path's state, and no retired cell on
// screen, after a command whose animation scrolls 300 columns and after the next one that
// scrolls back.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { launch, open } from './browser.mjs';

const FILES = 300;
const name = (i) => `/srv/d/f${String(i).padStart(3, '0')}.txt`;

/** A saved state whose one image layer has FILES files in /srv/d: 302 columns. */
function wideState() {
  const files = [];
  for (let i = 0; i < FILES; i += 1) files.push(name(i));
  return JSON.stringify({
    version: 1,
    base: [{ created_by: 'ADD srv.tar /', script: `mkdir -p /srv/d\ntouch ${files.join(' ')}` }],
    options: { redirectDir: false, metacopy: false, index: false },
    actions: [],
  });
}

let env;
before(async () => {
  env = await launch();
});
after(async () => {
  await env?.close();
});

/**
 * Every visible cell and head: named, one per row and column (no two at one position), ids
 * unique; the container layer's cells in the state `expected` gives (nothing elsewhere), the
 * image layer's and the merged row's files all files.
 */
async function checkCells(page, expected) {
  // Cells a render retired without hiding them (aria-hidden, unnamed) may stay where they
  // were, off screen: none may be in the part of the matrix on screen.
  const stale = await page.evaluate(() => {
    const m = document.querySelector('#matrix');
    const from = m.scrollLeft - 84;
    const to = m.scrollLeft + m.clientWidth;
    return [...document.querySelectorAll('#matrix [role=gridcell][aria-hidden]:not([hidden]), #matrix .mx-col[aria-hidden]:not([hidden])')]
      .map((c) => parseFloat(c.style.left)).filter((x) => x >= from && x <= to);
  });
  assert.deepEqual(stale, [], 'retired cells on screen');
  const cells = await page.evaluate(() => [...document.querySelectorAll('#matrix [role=gridcell]:not([hidden]):not([aria-hidden])')].map((c) => ({
    row: c.closest('[data-layer]').getAttribute('data-layer'),
    path: c.getAttribute('data-path'),
    id: c.id,
    state: c.getAttribute('data-state'),
    left: c.style.left,
  })));
  assert.ok(cells.length >= 40, `cells drawn: ${cells.length}`);
  const ids = new Set();
  const spots = new Set();
  for (const c of cells) {
    assert.ok(c.path, `a visible cell without a path: ${JSON.stringify(c)}`);
    assert.ok(!ids.has(c.id), `two cells with the id ${c.id}`);
    ids.add(c.id);
    assert.ok(!spots.has(`${c.row}|${c.left}`), `two cells at ${c.left} in row ${c.row}`);
    spots.add(`${c.row}|${c.left}`);
    if (c.row === 'container') assert.equal(c.state, expected[c.path] ?? 'none', `container layer at ${c.path}`);
    else if (c.path.endsWith('.txt')) assert.equal(c.state, 'file', `${c.row} at ${c.path}`);
  }
  const heads = await page.evaluate(() => [...document.querySelectorAll('#matrix [data-col-path]:not([hidden])')].map((h) => h.style.left));
  assert.equal(new Set(heads).size, heads.length, 'one head per column');
}

async function command(page, line) {
  await page.fill('[aria-label="command"]', line);
  await page.press('[aria-label="command"]', 'Enter');
}

async function settled(page) {
  await page.waitForFunction(() => !document.body.classList.contains('animating'), null, { timeout: 20000 });
  // The columns around the window are drawn in idle time once the animation has ended.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestIdleCallback(() => requestIdleCallback(r, { timeout: 1000 }), { timeout: 1000 }))));
}

test('the next step\'s columns are drawn while the step before plays, and every visible cell stays right', async () => {
  const hash = `#s=1.${deflateRawSync(Buffer.from(wideState())).toString('base64url')}`;
  const { page, context } = await open(env, {}, hash);
  try {
    const far = name(FILES - 1);
    // Three copy-ups: /srv and /srv/d at the left, then the file 300 columns to the right.
    await command(page, `echo x >> ${far}`);
    // While the directories' steps play at the left, the file's column is drawn off screen,
    // already in the state the command made.
    // (The caption marks the step playing: a directory's copy-up, not yet the file's; so does
    // the timeline, once drawn, on the same event.)
    const drawn = await page.waitForFunction((p) => {
      const c = document.querySelector(`[data-layer="container"] [data-path="${p}"]`);
      const mark = document.querySelector('#caption .playing');
      const playing = mark?.textContent ?? '';
      const seq = mark?.getAttribute('data-seq');
      const inTimeline = seq !== undefined && document.querySelector(`#timeline [data-seq="${seq}"].playing`) !== null;
      return c && playing.startsWith('copy-up: directory') && inTimeline && c.getAttribute('data-state');
    }, far, { timeout: 10000, polling: 'raf' });
    assert.equal(await drawn.jsonValue(), 'file');
    await settled(page);
    assert.ok(await page.evaluate(() => document.querySelector('#matrix').scrollLeft) > 20000, 'the matrix scrolled to the file');
    await checkCells(page, { '/srv': 'dir', '/srv/d': 'dir', [far]: 'file' });

    // Back to the left: the bank drawn for the right is retired, nothing of it shows.
    await command(page, `echo y >> ${name(0)}`);
    await settled(page);
    assert.ok(await page.evaluate(() => document.querySelector('#matrix').scrollLeft) < 1000, 'the matrix scrolled back');
    await checkCells(page, { '/srv': 'dir', '/srv/d': 'dir', [far]: 'file', [name(0)]: 'file' });
    assert.deepEqual(page.problems, [], 'no console warnings or errors');
  } finally {
    await context.close();
  }
});

test('the row labels\' sizes follow the layers, redrawn in place as a new label draws them', async () => {
  const state = JSON.stringify({
    version: 1,
    base: [{ created_by: 'ADD srv.tar /', script: 'mkdir -p /srv\necho hello > /srv/a\necho hi > /srv/b' }],
    options: { redirectDir: false, metacopy: false, index: false },
    actions: [],
  });
  const hash = `#s=1.${deflateRawSync(Buffer.from(state)).toString('base64url')}`;
  const { page, context } = await open(env, {}, hash);
  // Each row's size: its text, its title and how many nodes it has (the hidden part is a span).
  const sizes = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#matrix [data-layer]')]
    .map((r) => [r.getAttribute('data-layer'), r.querySelector('.lbl-size')])
    .filter(([, s]) => s)
    .map(([k, s]) => [k, `${s.textContent}|${s.title}|${s.childNodes.length}`])));
  // The layers' sizes come from the engine in idle time after the animation: wait for them.
  const expect = async (want) => {
    await page.waitForFunction((w) => {
      const got = Object.fromEntries([...document.querySelectorAll('#matrix [data-layer]')]
        .map((r) => [r.getAttribute('data-layer'), r.querySelector('.lbl-size')])
        .filter(([, s]) => s)
        .map(([k, s]) => [k, `${s.textContent}|${s.title}|${s.childNodes.length}`]));
      return JSON.stringify(got) === JSON.stringify(w);
    }, want, { timeout: 10000 }).catch(() => {});
    assert.deepEqual(await sizes(), want);
  };
  try {
    const start = { 0: '9 B|bytes in this layer|1', container: '0 B|bytes in this layer|1' };
    await expect(start);
    // A copy-up: the container layer grows, and the image layer's /srv/a is hidden.
    await command(page, 'echo more >> /srv/a');
    const grown = { 0: '9 B (6 B hidden)|6 B of it hidden by layers above|2', container: '11 B|bytes in this layer|1' };
    await expect(grown);
    // A whiteout hides /srv/b too.
    await command(page, 'rm /srv/b');
    await expect({ 0: '9 B (9 B hidden)|9 B of it hidden by layers above|2', container: '11 B|bytes in this layer|1' });
    // Undone twice: back to the sizes before, the hidden part gone again.
    await page.click('#btn-undo');
    await expect(grown);
    await page.click('#btn-undo');
    await expect(start);
    assert.deepEqual(page.problems, [], 'no console warnings or errors');
  } finally {
    await context.close();
  }
});
