// The lessons of www/lessons/, run through the JavaScript API in Node: every reference solution
// reaches its stored goal, every wrong solution does not, and each goal holds the state its
// lesson teaches. Also www/lesson-core.js itself: validation of hostile lessons, the script
// actions, snapshots and loading. Run by `cargo xtask test` (node --test tests/js/).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  validateLesson, parseLesson, parseScript, actionLine, startLab, runScript, snapshot, checkGoal,
  compareStates, loadLessonIndex, loadLesson, contentHash, verifyLesson,
} from '../../www/lesson-core.js';

const require = createRequire(import.meta.url);
const { LayerLab } = require('../../target/pkg-node/layerlab.js');

const WWW = new URL('../../www/', import.meta.url);
const DIR = fileURLToPath(new URL('lessons/', WWW));

/** fetch() over the files of www/, as the page's server would serve them. */
async function fileFetch(url) {
  try {
    const body = readFileSync(fileURLToPath(url), 'utf8');
    return { ok: true, status: 200, text: async () => body };
  } catch {
    return { ok: false, status: 404, text: async () => 'not found' };
  }
}

const index = JSON.parse(readFileSync(`${DIR}index.json`, 'utf8'));
const lessons = index.lessons.map(({ file }) => validateLesson(JSON.parse(readFileSync(`${DIR}${file}`, 'utf8'))));
const byId = new Map(lessons.map((l) => [l.id, l]));

/** Runs `script` on a fresh lab at the lesson's start and returns the goal check. */
function attempt(lesson, script) {
  const lab = startLab(LayerLab, lesson);
  try {
    const results = runScript(lab, script);
    return { results, ...checkGoal(lab, lesson) };
  } finally {
    lab.free();
  }
}

function goal(id) {
  return byId.get(id).goal.state;
}

test('the index lists at least eight lessons, one file each, covering the topics of the issue', async () => {
  assert.ok(lessons.length >= 8, `${lessons.length} lessons`);
  for (const topic of ['copy-on-write', 'delete-does-not-shrink', 'opaque-dirs', 'chmod-metacopy', 'rename-dirs', 'hard-links', 'containers', 'sandbox']) {
    assert.ok(byId.has(topic), topic);
  }
  index.lessons.forEach((entry, i) => {
    assert.equal(entry.file, `${entry.id}.json`);
    assert.equal(lessons[i].id, entry.id);
    assert.equal(lessons[i].title, entry.title, `${entry.id}: the index and the file have the same title`);
    assert.ok(lessons[i].summary.length > 200, `${entry.id} has real teaching text`);
    assert.ok(lessons[i].hints.length >= 1, `${entry.id} has hints`);
  });
  // The loaders read the same thing the page fetches.
  const loaded = await loadLessonIndex(WWW, fileFetch);
  assert.deepEqual(loaded.lessons.map((l) => l.id), index.lessons.map((l) => l.id));
  // The list says which lessons have a goal, and it says so truly.
  assert.deepEqual(loaded.lessons.map((l) => l.goal), lessons.map((l) => l.goal !== null));
  assert.deepEqual(await loadLesson('opaque-dirs', WWW, fileFetch), byId.get('opaque-dirs'));
});

for (const lesson of lessons.filter((l) => l.goal)) {
  test(`${lesson.id}: the start does not meet the goal, the solution does, the wrong solution does not`, () => {
    const lab = startLab(LayerLab, lesson);
    try {
      const start = checkGoal(lab, lesson);
      assert.equal(start.met, false);
      assert.ok(start.differences.length > 0);
    } finally {
      lab.free();
    }
    const right = attempt(lesson, lesson.solution);
    right.results.forEach((r, i) => assert.equal(r.status, 0, `solution step ${i + 1}: ${r.stderr}`));
    assert.deepEqual(right.differences, []);
    assert.equal(right.met, true);

    assert.ok(lesson.wrong.trim() !== '', 'every lesson with a goal has a wrong solution');
    const wrong = attempt(lesson, lesson.wrong);
    assert.equal(wrong.met, false);
    assert.ok(wrong.differences.length > 0);
    for (const d of wrong.differences) assert.equal(typeof d, 'string');
  });
}

test('verifyLesson finds every lesson sound, and says what is wrong with broken ones', () => {
  for (const lesson of lessons) assert.deepEqual(verifyLesson(LayerLab, lesson), [], lesson.id);
  const l = byId.get('opaque-dirs');
  assert.deepEqual(verifyLesson(LayerLab, { ...l, solution: l.wrong, wrong: l.solution }), [
    'the solution does not reach the goal (container layer: /etc/app/conf.d should be an opaque directory, it is a directory)',
    'the wrong solution reaches the goal too',
  ]);
  assert.deepEqual(verifyLesson(LayerLab, { ...l, solution: `cat /nope\n${l.solution}` }), ['solution step 1 fails: cat: /nope: No such file or directory']);
  assert.deepEqual(verifyLesson(LayerLab, { ...l, start: { ...l.start, setup: l.solution } }), ['the start already meets the goal', 'the wrong solution reaches the goal too']);
  assert.match(verifyLesson(LayerLab, { ...l, solution: '@switch 5' }).join(), /the solution cannot run: .*container/);
});

test('the sandbox has no goal and is never met', () => {
  const sandbox = byId.get('sandbox');
  assert.equal(sandbox.goal, null);
  const r = attempt(sandbox, sandbox.solution);
  assert.deepEqual(r, { results: r.results, met: false, differences: [] });
  assert.ok(r.results.every((x) => x.status === 0));
});

test('each goal holds the state its lesson teaches', () => {
  // Copy-on-write: the container layer holds a full copy; the image layer keeps the original.
  let g = goal('copy-on-write');
  assert.equal(g.container['/app/config.ini'].size, g.layers[0]['/app/config.ini'].size + 'debug=true\n'.length);
  assert.ok(!('/etc/motd' in g.container), 'a read never copies up');
  // Deleting: a new layer with a whiteout; the file's bytes stay in layer 0.
  g = goal('delete-does-not-shrink');
  assert.equal(g.layers.length, 2);
  assert.equal(g.layers[1]['/var/log/build.log'].type, 'whiteout');
  assert.ok(g.layers[0]['/var/log/build.log'].size > 20000);
  assert.deepEqual(Object.keys(g.container), []);
  // Opaque: one opaque directory, no whiteouts.
  g = goal('opaque-dirs');
  assert.equal(g.container['/etc/app/conf.d'].type, 'opaque');
  assert.ok(!Object.values(g.container).some((e) => e.type === 'whiteout'));
  // chmod: a full copy without metacopy, metadata only with it.
  g = goal('chmod-metacopy');
  assert.equal(g.container['/opt/models/small.bin'].metacopy, undefined);
  assert.equal(g.container['/opt/models/large.bin'].metacopy, true);
  assert.equal(g.merged['/opt/models/large.bin'].mode, '0444');
  // Rename: the copied tree with whiteouts, and a redirect.
  g = goal('rename-dirs');
  assert.equal(g.container['/srv/site/index.html'].type, 'file');
  assert.equal(g.container['/srv/www'].type, 'whiteout');
  assert.equal(g.container['/srv/records'].redirect, '/srv/data');
  assert.equal(g.container['/srv/data'].type, 'whiteout');
  assert.ok(!('/srv/records/users.csv' in g.container), 'no data moves with redirect_dir');
  // Hard links with index: both names changed, one copy-up.
  g = goal('hard-links');
  assert.equal(g.merged['/usr/bin/python3'].content, g.merged['/usr/bin/python3.12'].content);
  assert.ok('/usr/bin/python3' in g.container);
  assert.ok(!('/usr/bin/python3.12' in g.container));
  // Containers: c1 and its layer are gone; c2 runs on the same image.
  g = goal('containers');
  assert.deepEqual(g.containers, [{ id: 2, current: true, imageLayers: 1 }]);
});

test('the wrong solutions fail for the reason the lesson is about', () => {
  const why = (id) => attempt(byId.get(id), byId.get(id).wrong).differences.join('\n');
  assert.match(why('opaque-dirs'), /container layer: \/etc\/app\/conf.d should be an opaque directory, it is a directory/);
  assert.doesNotMatch(why('opaque-dirs'), /merged view/, 'the wrong way looks the same in the merged view');
  assert.match(why('chmod-metacopy'), /large.bin should be a file \(metadata only\), it is a file/);
  assert.match(why('rename-dirs'), /\/srv\/records should carry a redirect to \/srv\/data/);
  assert.match(why('hard-links'), /merged view: \/usr\/bin\/python3.12 should be 30 bytes, it is 22/);
  assert.match(why('containers'), /the containers should be c2 \(current\); they are c1 \(current\)/);
  assert.match(why('delete-does-not-shrink'), /layer 1: \/var\/log\/build.log should be a whiteout, it is a file/);
  assert.match(why('copy-on-write'), /merged view: \/app\/config.ini should be 31 bytes, it is 11/);
});

test('the byte counts the lessons point at: copies, hidden (wasted) bytes, metadata-only copy-ups', () => {
  const layersAfter = (id, which) => {
    const lesson = byId.get(id);
    const lab = startLab(LayerLab, lesson);
    try {
      runScript(lab, lesson[which]);
      return { layers: lab.layers(), copied: lab.events().filter((e) => e.kind === 'copy-up').map((e) => e.bytes) };
    } finally {
      lab.free();
    }
  };
  const size = (id, path) => goal(id).layers[0][path].size;
  // chmod: with metacopy off the whole file is copied and its lower copy is waste; with
  // metacopy on nothing moves and nothing is wasted.
  const small = size('chmod-metacopy', '/opt/models/small.bin');
  const large = size('chmod-metacopy', '/opt/models/large.bin');
  let r = layersAfter('chmod-metacopy', 'solution');
  assert.deepEqual(r.copied, [0, 0, small, 0]);
  assert.equal(r.layers[0].hiddenBytes, small);
  r = layersAfter('chmod-metacopy', 'wrong');
  assert.deepEqual(r.copied, [0, 0, small, large]);
  assert.equal(r.layers[0].hiddenBytes, small + large);
  // Deleting: the image keeps every byte of the log, all of it hidden.
  const log = size('delete-does-not-shrink', '/var/log/build.log');
  r = layersAfter('delete-does-not-shrink', 'solution');
  assert.equal(r.layers.length, 3);
  assert.equal(r.layers[0].hiddenBytes, log);
  assert.ok(r.layers[0].bytes >= log);
  // Hard links with index: one copy-up of the data for two names.
  r = layersAfter('hard-links', 'solution');
  assert.deepEqual(r.copied.filter((b) => b > 0), [size('hard-links', '/usr/bin/python3')]);
});

test('reads change nothing: extra ls, cat and stat do not move a solved lesson away from its goal', () => {
  const lesson = byId.get('opaque-dirs');
  const r = attempt(lesson, `${lesson.solution}\nls -laR /\ncat /etc/app/app.conf\nstat /etc/app/conf.d\ncd /etc; pwd`);
  assert.deepEqual(r.differences, []);
});

test('a goal may ignore fields and paths', () => {
  const lesson = byId.get('copy-on-write');
  // Writing a scratch file elsewhere breaks the goal, unless that path is ignored.
  const extra = `${lesson.solution}\nmkdir /scratch; echo x > /scratch/note`;
  assert.equal(attempt(lesson, extra).met, false);
  const lenient = validateLesson({ ...lesson, goal: { ...lesson.goal, ignore: ['/scratch'] } });
  assert.equal(attempt(lenient, extra).met, true);
  // Ignoring content: a file of the same size but other bytes passes only then.
  const same = 'echo debug=TRUE >> /app/config.ini';
  assert.equal(attempt(lesson, same).met, false);
  const noContent = validateLesson({ ...lesson, goal: { ...lesson.goal, compare: 'merged', ignore: ['content'], state: { merged: lesson.goal.state.merged } } });
  assert.equal(attempt(noContent, same).met, true);
});

test('snapshot: the three compare modes and the entry shapes', () => {
  const lab = new LayerLab({ layers: [{ createdBy: 'base', script: 'mkdir /d\necho hi > /d/f\nln -s /d/f /l' }] });
  try {
    lab.run('rm /d/f; chmod 700 /d');
    const merged = snapshot(lab, 'merged');
    assert.deepEqual(Object.keys(merged), ['merged']);
    assert.deepEqual({ ...merged.merged }, { '/d': { type: 'dir', mode: '0700' }, '/l': { type: 'symlink', target: '/d/f' } });
    const layers = snapshot(lab, 'layers');
    assert.deepEqual(Object.keys(layers), ['layers', 'container', 'containers']);
    assert.deepEqual({ ...layers.container }, { '/d': { type: 'dir', mode: '0700' }, '/d/f': { type: 'whiteout' } });
    assert.deepEqual(Object.keys(snapshot(lab, 'both')), ['merged', 'layers', 'container', 'containers']);
    assert.throws(() => snapshot(lab, 'everything'), /compare must be/);
  } finally {
    lab.free();
  }
  assert.equal(contentHash('abc'), contentHash('abc'));
  assert.notEqual(contentHash('abc'), contentHash('abd'));
});

test('compareStates names what differs in plain words', () => {
  const d = compareStates(
    { merged: { '/a': { type: 'file', mode: '0644', size: 1 }, '/b': { type: 'dir', mode: '0755' } }, layers: [{}], container: {}, containers: [{ id: 1, current: true, imageLayers: 1 }] },
    { merged: { '/a': { type: 'file', mode: '0600', size: 1 }, '/c': { type: 'symlink', target: '/a' } }, layers: [{}, {}], container: { '/x': { type: 'whiteout' } }, containers: [] },
  );
  assert.deepEqual(d, [
    'merged view: /a should have mode 0644, it has 0600',
    'merged view: /b should be a directory, it is nothing',
    'merged view: /c should be nothing, it is a symlink',
    'the image should have 1 layer, it has 2',
    'container layer: /x should be nothing, it is a whiteout',
    'the containers should be c1 (current); they are none',
  ]);
});

test('script actions: parsed, written back, and run through the API', () => {
  const steps = parseScript('echo hi > /f\n\n@commit RUN echo\n@new-container\n@switch c1\n@remove-container 2\n@remove-container\n@set metacopy=on index=off\r\n');
  assert.deepEqual(steps.map((s) => s.action), [
    { action: 'run', line: 'echo hi > /f' },
    { action: 'commit', message: 'RUN echo' },
    { action: 'new-container' },
    { action: 'switch', id: 1 },
    { action: 'remove-container', id: 2 },
    { action: 'remove-container' },
    { action: 'set-options', options: { metacopy: true, index: false } },
  ]);
  assert.deepEqual(steps.map((s) => actionLine(s.action)), ['echo hi > /f', '@commit RUN echo', '@new-container', '@switch 1', '@remove-container 2', '@remove-container', '@set metacopy=on index=off']);
  for (const bad of ['@frobnicate', '@switch', '@switch two', '@set metacopy', '@set metacopy=yes', '@set colour=on', '@new-container 3', '@remove-container 1 2']) {
    assert.throws(() => parseScript(bad), (e) => e instanceof Error && /line 1/.test(e.message), bad);
  }
  const lab = new LayerLab({ layers: [{ createdBy: 'base', script: 'mkdir /a' }] });
  try {
    runScript(lab, 'touch /a/x\n@commit\n@new-container\n@set redirect_dir=on\n@switch 1\n@remove-container');
    assert.deepEqual(lab.containers().map((c) => [c.id, c.imageLayers, c.options.redirectDir]), [[2, 2, true]]);
    assert.equal(lab.layers().length, 3);
    assert.throws(() => runScript(lab, '@switch 9'), { kind: 'not-found' });
  } finally {
    lab.free();
  }
});

test('startLab: layers, options (either spelling) and setup; a failing setup frees the lab', () => {
  const lesson = validateLesson({
    version: 1, id: 't', title: 'T',
    start: { layers: [{ createdBy: 'x', script: 'mkdir /m' }], options: { redirectDir: true, index: true }, setup: 'touch /m/f\n@set metacopy=on' },
    goal: null,
  });
  assert.deepEqual(lesson.start.options, { redirect_dir: true, index: true });
  const lab = startLab(LayerLab, lesson);
  try {
    assert.deepEqual(lab.options(), { redirectDir: true, metacopy: true, index: true });
    assert.equal(lab.stat('/m/f').layer, 1);
  } finally {
    lab.free();
  }
  assert.throws(() => startLab(LayerLab, validateLesson({ ...lesson, start: { ...lesson.start, setup: '@switch 7' } })), { kind: 'not-found' });
  // No layers: the default scenario.
  const lab2 = startLab(LayerLab, validateLesson({ version: 1, id: 'd', title: 'D', goal: null }));
  try {
    assert.equal(lab2.layers().length, 4);
  } finally {
    lab2.free();
  }
});

test('hostile or broken lessons are clear errors, never a crash or a polluted prototype', () => {
  const good = byId.get('copy-on-write');
  const cases = [
    [null, /not an object/],
    [[], /not an object/],
    ['lesson', /not an object/],
    [{ ...good, version: 2 }, /version 2 is not supported/],
    [{ ...good, id: '../../etc/passwd' }, /lesson id/],
    [{ ...good, id: 'A' }, /lesson id/],
    [{ ...good, id: '-x' }, /lesson id/],
    [{ ...good, title: '' }, /title is empty/],
    [{ ...good, title: 7 }, /title is not text/],
    [{ ...good, title: 'x'.repeat(300) }, /title is longer/],
    [{ ...good, start: [] }, /start state is not an object/],
    [{ ...good, start: { layers: 'x' } }, /start layers/],
    [{ ...good, start: { layers: [{ script: 5 }] } }, /script is not text/],
    [{ ...good, start: { options: { metacopy: 'yes' } } }, /metacopy is not true or false/],
    [{ ...good, start: { setup: '@explode' } }, /setup, line 1: unknown action/],
    [{ ...good, goal: 'finish' }, /goal is not an object/],
    [{ ...good, goal: { ...good.goal, compare: 'all' } }, /compare must be/],
    [{ ...good, goal: { ...good.goal, ignore: ['digest'] } }, /ignore item 1/],
    [{ ...good, goal: { ...good.goal, ignore: ['/a/../b'] } }, /not an absolute path/],
    [{ ...good, goal: { ...good.goal, text: '' } }, /goal's text is empty/],
    [{ ...good, goal: { ...good.goal, state: null } }, /goal state is not an object/],
    [{ ...good, goal: { ...good.goal, state: { ...good.goal.state, merged: { relative: { type: 'file' } } } } }, /not an absolute path/],
    [{ ...good, goal: { ...good.goal, state: { ...good.goal.state, merged: JSON.parse('{"__proto__":{"type":"file"}}') } } }, /not an absolute path/],
    [{ ...good, goal: { ...good.goal, state: { ...good.goal.state, merged: { '/a': { type: 'device' } } } } }, /unknown type/],
    [{ ...good, goal: { ...good.goal, state: { ...good.goal.state, merged: { '/a': { type: 'file', mode: 'rw' } } } } }, /not octal/],
    [{ ...good, goal: { ...good.goal, state: { ...good.goal.state, merged: { '/a': { type: 'file', size: -1 } } } } }, /size is not a whole number/],
    [{ ...good, goal: { ...good.goal, state: { merged: good.goal.state.merged } } }, /does not hold what compare "both" needs/],
    [{ ...good, goal: { ...good.goal, state: { ...good.goal.state, containers: [{ id: 'c1' }] } } }, /id is not a whole number/],
    [{ ...good, solution: '@set index=maybe' }, /solution, line 1/],
    [{ ...good, wrong: 3 }, /wrong solution is not text/],
    [{ ...good, hints: 'just try' }, /hints are not a list/],
    [{ ...good, hints: [''] }, /hint 1 is empty/],
    [{ ...good, hints: Array(30).fill('h') }, /hints are not a list of at most/],
  ];
  for (const [bad, why] of cases) {
    assert.throws(() => validateLesson(bad), (e) => e instanceof Error && why.test(e.message), `${JSON.stringify(bad)?.slice(0, 120)} → ${why}`);
  }
  assert.equal({}.type, undefined, 'Object.prototype untouched');
  assert.throws(() => parseLesson('{ nope'), /not valid JSON/);
  assert.throws(() => parseLesson(42), /not text/);
  // Unknown fields are dropped, not kept.
  const extra = validateLesson({ ...good, extra: { evil: true }, goal: { ...good.goal, more: 1 } });
  assert.equal('extra' in extra, false);
  assert.equal('more' in extra.goal, false);
});

test('loading: bad ids never reach fetch; a file holding another lesson, or broken JSON, is refused', async () => {
  const asked = [];
  const spy = async (url) => {
    asked.push(String(url));
    return fileFetch(url);
  };
  for (const id of ['../index', 'a/b', '', 'UPPER', 'x'.repeat(65), 7]) {
    await assert.rejects(loadLesson(id, WWW, spy), /lesson id/);
  }
  assert.deepEqual(asked, []);
  await assert.rejects(loadLesson('no-such-lesson', WWW, spy), /could not be fetched \(HTTP 404\)/);
  const liar = async () => ({ ok: true, status: 200, text: async () => JSON.stringify({ ...byId.get('sandbox'), id: 'other' }) });
  await assert.rejects(loadLesson('sandbox', WWW, liar), /holds lesson other/);
  const junk = async () => ({ ok: true, status: 200, text: async () => '<html>' });
  await assert.rejects(loadLesson('sandbox', WWW, junk), /not valid JSON/);
  await assert.rejects(loadLessonIndex(WWW, junk), /not valid JSON/);
  const twice = async () => ({ ok: true, status: 200, text: async () => JSON.stringify({ version: 1, lessons: [{ id: 'a', title: 'A' }, { id: 'a', title: 'A' }] }) });
  await assert.rejects(loadLessonIndex(WWW, twice), /names a twice/);
  const down = async () => {
    throw new TypeError('network down');
  };
  await assert.rejects(loadLessonIndex(WWW, down), /could not be fetched: network down/);
});
