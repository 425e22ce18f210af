// Lessons in the browser: every lesson of www/lessons/index.json completes by typing its
// solution (and pressing the toolbar for its @ steps); help comes in steps and a shown solution
// does not count; progress survives a reload and an export/import; an authored lesson shared as
// a link opens and can be solved; corrupt lesson links and progress get a clear message.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { launch, open, run, shot, ready, SHOTS } from './browser.mjs';
import { WWW } from './server.mjs';
import { parseScript, validateLesson } from '../www/lesson-core.js';

let env;
const pages = [];

before(async () => {
  env = await launch();
});

after(async () => {
  await env?.close();
});

/** The list of lessons arrives after the page is usable; the tests wait for it. */
async function listed(page) {
  await page.waitForSelector('#lesson-list button[data-lesson]', { state: 'attached' });
}

async function fresh(options, hash) {
  const o = await open(env, { reducedMotion: 'reduce', ...options }, hash);
  pages.push(o);
  await listed(o.page);
  return o;
}

async function reload(page) {
  await page.reload();
  await ready(page);
  await listed(page);
}

afterEach(async () => {
  for (const { page, context } of pages.splice(0)) {
    assert.deepEqual(page.problems, [], 'no console warnings or errors');
    assert.deepEqual(page.dialogs, [], 'no dialogs');
    await context.close();
  }
});

const index = JSON.parse(readFileSync(`${WWW}/lessons/index.json`, 'utf8'));
const lessons = index.lessons.map((l) => validateLesson(JSON.parse(readFileSync(`${WWW}/lessons/${l.file}`, 'utf8'))));

const OPTION_BOX = { redirectDir: '#opt-redirect', metacopy: '#opt-metacopy', index: '#opt-index' };

/** Does one step of a solution as a person would: types a line, or uses the toolbar. */
async function doStep(page, step) {
  const before = await page.locator('.t-entry').count();
  const a = step.action;
  switch (a.action) {
    case 'run':
      await run(page, a.line);
      return;
    case 'commit':
      await page.click('#btn-commit');
      break;
    case 'new-container':
      await page.click('#btn-new');
      break;
    case 'remove-container':
      assert.equal(a.id, undefined, 'lessons remove the current container');
      await page.click('#btn-remove');
      break;
    case 'switch':
      await page.selectOption('#container', String(a.id));
      break;
    case 'set-options':
      for (const [k, v] of Object.entries(a.options)) await page.setChecked(OPTION_BOX[k], v);
      break;
    default:
      throw new Error(`no way to do ${a.action}`);
  }
  await page.waitForFunction((n) => document.querySelectorAll('.t-entry').length > n, before);
}

async function solve(page, script) {
  for (const step of parseScript(script)) await doStep(page, step);
}

async function openFromList(page, id) {
  await page.click(`#lesson-list button[data-lesson="${id}"]`);
  await page.waitForFunction((i) => document.querySelector('#lesson-list [aria-current="true"]')?.getAttribute('data-lesson') === i, id);
}

async function goalStatus(page) {
  return page.locator('#goal-status').innerText();
}

async function solvedIds(page) {
  return page.locator('#lesson-list button.solved').evaluateAll((els) => els.map((e) => e.getAttribute('data-lesson')));
}

function fragment(key, json) {
  const b64 = deflateRawSync(Buffer.from(json)).toString('base64').replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  return `#${key}=1.${b64}`;
}

test('every lesson of the list completes in the browser by typing its solution', async () => {
  const { page } = await fresh();
  const listed = await page.locator('#lesson-list button[data-lesson]').evaluateAll((els) => els.map((e) => e.getAttribute('data-lesson')));
  assert.deepEqual(listed, index.lessons.map((l) => l.id));
  for (const lesson of lessons) {
    await openFromList(page, lesson.id);
    assert.equal(await page.locator('#lesson-main .lesson-title').innerText(), lesson.title);
    if (!lesson.goal) {
      await solve(page, lesson.solution);
      assert.match(await page.locator('#lesson-main').innerText(), /no goal/i);
      assert.equal(await page.locator('#goal-status').count(), 0);
      continue;
    }
    assert.match(await goalStatus(page), /Not yet/);
    const steps = parseScript(lesson.solution);
    for (const [i, step] of steps.entries()) {
      await doStep(page, step);
      if (i < steps.length - 1) assert.match(await goalStatus(page), /Not yet/, `${lesson.id}: met before its last step`);
    }
    await page.waitForFunction(() => document.querySelector('.goal')?.classList.contains('met'));
    assert.match(await goalStatus(page), /Goal met\. Lesson solved!/);
    assert.match(await page.locator('#lesson-live').innerText(), /Goal met/);
    assert.ok((await solvedIds(page)).includes(lesson.id), `${lesson.id} is marked solved`);
    if (lesson.id === 'opaque-dirs') await shot(page, 'lesson-goal-met');
  }
  assert.deepEqual((await solvedIds(page)).sort(), lessons.filter((l) => l.goal).map((l) => l.id).sort());
  assert.match(await page.locator('#lesson-count').innerText(), /in lesson/);
  await page.click('#lesson-leave');
  assert.equal(await page.locator('#lesson-count').innerText(), `${lessons.filter((l) => l.goal).length} of ${lessons.filter((l) => l.goal).length} solved`);
});

test('a wrong attempt leaves the goal unmet, and help comes in steps: hints, the goal, then the solution after a confirmation', async () => {
  const { page } = await fresh({}, '#lesson=opaque-dirs');
  const lesson = lessons.find((l) => l.id === 'opaque-dirs');
  await solve(page, lesson.wrong);
  assert.match(await goalStatus(page), /Not yet/);
  const help = page.locator('#lesson-help');
  assert.equal(await help.innerText(), 'Give me a hint');
  await help.click();
  assert.match(await page.locator('.hints').innerText(), new RegExp(lesson.hints[0].slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.equal(await help.innerText(), 'Another hint');
  await help.click();
  assert.equal(await page.locator('.hints li').count(), 2);
  assert.equal(await help.innerText(), 'Show the goal');
  await help.click();
  const goalBox = await page.locator('.goal-box').innerText();
  assert.match(goalBox, /still different from the goal/i);
  assert.match(goalBox, /conf\.d should be an opaque directory, it is a directory/);
  assert.match(goalBox, /\/etc\/app\/conf\.d \(opaque dir, 0755\)/);
  await shot(page, 'lesson-in-progress');
  assert.equal(await help.innerText(), 'Show the solution…');
  await help.click();
  assert.equal(await page.locator('.solution-box').count(), 0, 'nothing shown before the confirmation');
  await page.click('#solution-no');
  assert.equal(await page.locator('.solution-box').count(), 0);
  await page.click('#lesson-help');
  await page.click('#solution-yes');
  const shown = await page.locator('.solution-box').innerText();
  assert.match(shown, /rm -rf \/etc\/app\/conf.d; mkdir \/etc\/app\/conf.d/);
  // Reaching the goal through the shown solution does not count.
  await page.click('#lesson-restart');
  assert.equal(await page.locator('.solution-box').count(), 0, 'a restart starts a new attempt');
  await page.click('#lesson-help');
  await page.click('#lesson-help');
  await page.click('#lesson-help');
  await page.click('#lesson-help');
  await page.click('#solution-yes');
  await solve(page, lesson.solution);
  await page.waitForFunction(() => document.querySelector('.goal')?.classList.contains('met'));
  assert.match(await goalStatus(page), /with the solution shown: not marked solved/);
  assert.deepEqual(await solvedIds(page), []);
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('layerlab.lessons.v1')));
  assert.deepEqual(stored.solved, {});
  // A restart, then solving it without help, counts.
  await page.click('#lesson-restart');
  await solve(page, lesson.solution);
  await page.waitForFunction(() => document.querySelector('.goal')?.classList.contains('met'));
  assert.deepEqual(await solvedIds(page), ['opaque-dirs']);
});

test('a toolbar step in a solution: the containers lesson is solved with + new, the container list and remove', async () => {
  const { page } = await fresh({}, '#lesson=containers');
  // The setup ran in c1 before the learner starts.
  assert.match(await page.locator('.term-out').innerText(), /echo visits=41 > \/app\/visits/);
  await run(page, 'echo visits=1 > /app/visits');
  assert.match(await goalStatus(page), /Not yet/, 'overwriting in c1 is not the goal');
  await page.click('#lesson-restart');
  await solve(page, lessons.find((l) => l.id === 'containers').solution);
  await page.waitForFunction(() => document.querySelector('.goal')?.classList.contains('met'));
  assert.match(await page.locator('#container').innerText(), /c2 \(current\)/);
});

test('progress survives a reload, leaving a lesson brings the session back, and progress round-trips through export and import', async () => {
  const { page, context } = await fresh();
  await run(page, 'echo mine > /mine.txt');
  await openFromList(page, 'copy-on-write');
  await solve(page, lessons[0].solution);
  await page.waitForFunction(() => document.querySelector('.goal')?.classList.contains('met'));
  await reload(page);
  assert.deepEqual(await solvedIds(page), ['copy-on-write']);
  assert.equal(await page.locator('#lesson-main .lesson-title').innerText(), lessons[0].title, 'the lesson in progress comes back');
  assert.match(await goalStatus(page), /Goal met/);
  await page.click('#lesson-leave');
  assert.match(await page.locator('#notice').innerText(), /your session from before is back/);
  assert.match(await page.locator('.term-out').innerText(), /echo mine > \/mine.txt/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-progress-export')]);
  assert.equal(download.suggestedFilename(), 'layerlab-progress.json');
  const file = await download.path();
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(exported.solved), ['copy-on-write']);

  // Another browser profile: nothing solved, then the import brings it.
  const other = await fresh();
  assert.deepEqual(await solvedIds(other.page), []);
  await other.page.setInputFiles('#progress-import', file);
  await other.page.waitForFunction(() => document.querySelector('#notice')?.textContent.includes('Imported lesson progress'));
  assert.deepEqual(await solvedIds(other.page), ['copy-on-write']);
  // A file that is not progress: a clear message, and progress stays.
  await other.page.setInputFiles('#progress-import', { name: 'junk.json', mimeType: 'application/json', buffer: Buffer.from('{"version":1,"solved":{"../x":{}}}') });
  await other.page.waitForFunction(() => document.querySelector('#notice')?.textContent.includes('could not be imported'));
  assert.match(await other.page.locator('#notice').innerText(), /bad id.*not changed/);
  assert.deepEqual(await solvedIds(other.page), ['copy-on-write']);

  // Corrupt progress in storage: a clear message and a clean start.
  await page.evaluate(() => localStorage.setItem('layerlab.lessons.v1', '{"version":1,"solved":[1,2'));
  await reload(page);
  assert.match(await page.locator('#notice').innerText(), /lesson progress could not be read \(it is not valid JSON\); it starts afresh/);
  assert.deepEqual(await solvedIds(page), []);
  assert.ok(context);
});

test('an authored lesson, shared as a link, opens in another browser and can be solved', async () => {
  const { page } = await fresh();
  await page.click('#btn-author');
  await run(page, 'mkdir /notes');
  await page.click('#au-start');
  assert.match(await page.locator('#au-start-status').innerText(), /3 image layers and 1 earlier action\. Recording/);
  await run(page, 'echo remember > /notes/todo');
  await page.setChecked('#opt-metacopy', true);
  await run(page, 'chmod 600 /etc/hosts');
  assert.equal(await page.inputValue('#au-solution'), 'echo remember > /notes/todo\n@set metacopy=on\nchmod 600 /etc/hosts\n');
  await page.selectOption('#au-compare', 'both');
  await page.click('#au-goal');
  assert.match(await page.locator('#au-goal-status').innerText(), /Goal set from the current state/);
  await page.fill('#au-title', 'A note and a <b>metacopy</b>');
  await page.fill('#au-summary', 'Write a note, then change a mode with metacopy on.');
  await page.fill('#au-goal-text', 'Create /notes/todo and make /etc/hosts private with a metadata-only copy-up.');
  await page.fill('#au-hints', 'Tick metacopy first.\nchmod 600 /etc/hosts');
  // A lesson is shared only when its solution reaches its goal and its wrong solution does not.
  const recorded = await page.inputValue('#au-solution');
  await page.fill('#au-solution', 'echo remember > /notes/todo\nchmod 600 /etc/hosts');
  await page.click('#au-share');
  assert.match(await page.locator('#au-error').innerText(), /not ready: the solution does not reach the goal \(container layer: \/etc\/hosts should be a file \(metadata only\), it is a file\)/);
  assert.equal(await page.locator('#au-link').isVisible(), false);
  await page.fill('#au-solution', recorded);
  await page.fill('#au-wrong', recorded);
  await page.click('#au-share');
  assert.match(await page.locator('#au-error').innerText(), /the wrong solution reaches the goal too/);
  await page.fill('#au-wrong', 'echo remember > /notes/todo\nchmod 600 /etc/hosts');
  await page.click('#au-share');
  assert.equal(await page.locator('#au-error').innerText(), '');
  await page.locator('#lessons').screenshot({ path: `${SHOTS}lesson-author.png` });
  const link = await page.inputValue('#au-link');
  assert.match(link, /#lesson-data=1\.[A-Za-z0-9_-]+$/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#au-download')]);
  assert.equal(download.suggestedFilename(), 'a-note-and-a-b-metacopy-b.json');
  const json = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(validateLesson(json).start.setup, 'mkdir /notes');

  const other = await fresh({}, link.slice(link.indexOf('#')));
  const p = other.page;
  assert.match(await p.locator('#notice').innerText(), /Opened the lesson “A note and a <b>metacopy<\/b>” from a link/);
  assert.equal(await p.locator('#lesson-main .lesson-title').innerText(), 'A note and a <b>metacopy</b>', 'rendered as text');
  assert.match(await p.locator('.lesson-origin').innerText(), /from a link/);
  assert.equal(await p.evaluate(() => location.hash), '', 'the link is read once');
  // Without metacopy the mode change is a full copy: not the goal.
  await run(p, 'echo remember > /notes/todo');
  await run(p, 'chmod 600 /etc/hosts');
  assert.match(await goalStatus(p), /Not yet/);
  await p.click('#lesson-restart');
  await solve(p, json.solution);
  await p.waitForFunction(() => document.querySelector('.goal')?.classList.contains('met'));
  assert.match(await goalStatus(p), /Goal met/);
});

test('corrupt or hostile lesson links get a clear message and change nothing', async () => {
  const cases = [
    ['#lesson-data=1.AAAA', /This lesson link could not be opened: the link is damaged/],
    ['#lesson-data=7.abc', /link is of version 7/],
    ['#lesson-data=1.!!', /not base64url/],
    [fragment('lesson-data', '{"version":1,"id":"../../x","title":"t"}'), /This lesson link could not be opened: the lesson id must be/],
    [fragment('lesson-data', JSON.stringify({ ...lessons[0], goal: { ...lessons[0].goal, state: { merged: { '/a': { type: 'bomb' } } } } })), /unknown type/],
    [fragment('lesson-data', 'not json'), /not valid JSON/],
    ['#lesson=no-such-lesson', /There is no lesson “no-such-lesson” in the list/],
  ];
  for (const [hash, why] of cases) {
    const { page } = await fresh({}, hash);
    assert.match(await page.locator('#notice').innerText(), why, hash);
    assert.equal(await page.locator('#lesson-main .lesson-title').innerText(), 'Learn how image layers work, one goal at a time');
    assert.equal(await page.locator('[role=row][data-layer]').count(), 5, 'the default scenario is there');
  }
});

test('a lesson link pasted into the address bar of an open page opens it; a broken one changes nothing', async () => {
  const { page } = await fresh();
  await run(page, 'echo mine > /mine.txt');
  await page.evaluate(() => { location.hash = '#lesson=hard-links'; });
  await page.waitForFunction(() => document.querySelector('#lesson-main .lesson-title')?.textContent.startsWith('Hard links'));
  assert.equal(await page.evaluate(() => location.hash), '');
  await page.evaluate((h) => { location.hash = h; }, fragment('lesson-data', '{"version":1,"id":"x","title":"t","hints":"no"}'));
  await page.waitForFunction(() => document.querySelector('#notice')?.textContent.includes('This lesson link could not be opened'));
  assert.match(await page.locator('#notice').innerText(), /the hints are not a list/);
  assert.match(await page.locator('#lesson-main .lesson-title').innerText(), /^Hard links/, 'the open lesson stays');
  await page.click('#lesson-leave');
  assert.match(await page.locator('.term-out').innerText(), /echo mine > \/mine.txt/);
});

test('the lessons panel in the dark theme', async () => {
  const { page } = await fresh({ colorScheme: 'dark' }, '#lesson=chmod-metacopy');
  await run(page, 'chmod 444 /opt/models/small.bin');
  await page.click('#lesson-help');
  await shot(page, 'lesson-dark');
  const bg = await page.locator('.goal').evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(bg, 'rgb(255, 255, 255)');
  // The panel folds away, and stays folded after a reload; the lesson goes on underneath.
  await page.click('#btn-lessons');
  assert.equal(await page.getAttribute('#btn-lessons', 'aria-expanded'), 'false');
  assert.equal(await page.locator('#lesson-body').isVisible(), false);
  await reload(page);
  assert.equal(await page.locator('#lesson-body').isVisible(), false);
  await page.setChecked('#opt-metacopy', true);
  await run(page, 'chmod 444 /opt/models/large.bin');
  await page.waitForFunction(() => document.querySelector('#lesson-count')?.textContent.includes('goal met'));
  assert.match(await page.locator('#lesson-live').textContent(), /Goal met/);
  await page.click('#btn-lessons');
  assert.equal(await page.locator('#lesson-body').isVisible(), true);
});
