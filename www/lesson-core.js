// Lessons as data: loading and validating lesson files, starting a lab at a lesson's start
// state, the snapshot a goal is written in, and the check of a learner's state against it.
// No DOM here: the page, the embed and the Node tests all use this module, with either the web
// package's LayerLab or the Node package's.
//
// A lesson file (www/lessons/ID.json) holds a start state (image layers, overlay options and a
// setup script run in the container), a goal (a stored snapshot and what to compare), a
// reference solution, a wrong solution and hints. Scripts are shell lines, one per line; a line
// that starts with `@` is a page action instead of a command (see parseScript).

import { LESSON_LIMITS, ID, isObject, own, text, HERE, getJson } from './lesson-index.js';

export { LESSON_LIMITS, loadLessonIndex } from './lesson-index.js';

export const LESSON_VERSION = 1;

/** The goal's comparisons: the merged view, the layers' own entries, or both. */
export const COMPARES = ['merged', 'layers', 'both'];

/** Fields an `ignore` list may name; any other item is a path, ignored with all below it. */
export const IGNORABLE = ['mode', 'size', 'content', 'target', 'redirect', 'metacopy', 'containers'];

const TYPES = ['file', 'dir', 'opaque', 'symlink', 'whiteout'];
const OPTION_NAMES = { redirect_dir: 'redirectDir', metacopy: 'metacopy', index: 'index' };

function flag(v, what) {
  if (typeof v !== 'boolean') throw new Error(`${what} is not true or false`);
  return v;
}

function uint(v, what) {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`${what} is not a whole number`);
  return v;
}

/** An absolute path as the engine writes them: `/`-separated, no empty, `.` or `..` parts. */
function checkPath(p, what) {
  if (typeof p !== 'string' || p.length === 0 || p.length > LESSON_LIMITS.path) throw new Error(`${what} is not a path`);
  if (p === '/') return p;
  if (!p.startsWith('/') || p.includes('\u0000') || p.split('/').slice(1).some((c) => c === '' || c === '.' || c === '..')) {
    throw new Error(`${what} (${JSON.stringify(p.slice(0, 80))}) is not an absolute path`);
  }
  return p;
}

/** A short, stable hash of a file's text (cyrb53), so goals need not hold whole files. */
export function contentHash(s) {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const n = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return `${s.length}:${n.toString(16).padStart(14, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Scripts: shell lines and page actions.

/**
 * Splits a script into steps, one per non-empty line. A line starting with `@` is a page action
 * (what the toolbar does), not a command:
 *   @commit [message]          commit the container layer as a new image layer
 *   @new-container             start a new container on the image and switch to it
 *   @remove-container [ID]     remove a container (the current one without an id)
 *   @switch ID                 make container ID the current one
 *   @set NAME=on|off ...       overlay options: redirect_dir, metacopy, index
 * Every other line is run by the container's shell. Throws on a malformed action line.
 */
export function parseScript(script, what = 'the script') {
  text(script, LESSON_LIMITS.script, what);
  const steps = [];
  script.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const where = `${what}, line ${i + 1}`;
    if (!line.trimStart().startsWith('@')) {
      steps.push({ kind: 'run', line, action: { action: 'run', line } });
      return;
    }
    const [word, ...args] = line.trim().slice(1).split(/\s+/);
    const one = (n) => {
      if (args.length > n) throw new Error(`${where}: @${word} takes ${n ? 'one argument' : 'no arguments'}`);
    };
    const id = (s) => {
      if (!/^c?[0-9]{1,9}$/.test(s ?? '')) throw new Error(`${where}: @${word} needs a container number, such as 2`);
      return Number(s.replace(/^c/, ''));
    };
    let action;
    switch (word) {
      case 'commit':
        action = { action: 'commit', message: args.join(' ') || 'commit' };
        break;
      case 'new-container':
        one(0);
        action = { action: 'new-container' };
        break;
      case 'remove-container':
        one(1);
        action = args.length ? { action: 'remove-container', id: id(args[0]) } : { action: 'remove-container' };
        break;
      case 'switch':
        one(1);
        action = { action: 'switch', id: id(args[0]) };
        break;
      case 'set': {
        if (args.length === 0) throw new Error(`${where}: @set needs NAME=on or NAME=off`);
        const options = {};
        for (const a of args) {
          const m = /^(redirect_dir|metacopy|index)=(on|off)$/.exec(a);
          if (!m) throw new Error(`${where}: @set takes redirect_dir, metacopy or index =on or =off, not ${JSON.stringify(a.slice(0, 40))}`);
          options[OPTION_NAMES[m[1]]] = m[2] === 'on';
        }
        action = { action: 'set-options', options };
        break;
      }
      default:
        throw new Error(`${where}: unknown action @${String(word).slice(0, 40)}`);
    }
    steps.push({ kind: 'action', line: line.trim(), action });
  });
  return steps;
}

/** The script line of a page action (the inverse of parseScript for one action). */
export function actionLine(action) {
  switch (action.action) {
    case 'run': return action.line;
    case 'commit': return action.message && action.message !== 'commit' ? `@commit ${action.message.replace(/\s+/g, ' ')}` : '@commit';
    case 'new-container': return '@new-container';
    case 'remove-container': return action.id === undefined ? '@remove-container' : `@remove-container ${action.id}`;
    case 'switch': return `@switch ${action.id}`;
    case 'set-options': {
      const names = Object.entries(OPTION_NAMES).filter(([, k]) => typeof action.options?.[k] === 'boolean');
      return `@set ${names.map(([n, k]) => `${n}=${action.options[k] ? 'on' : 'off'}`).join(' ')}`;
    }
    default: throw new Error(`unknown action ${String(action.action)}`);
  }
}

/** What a step asks a person to do, in words (actions are toolbar controls in the page). */
export function describeStep(step) {
  const a = step.action;
  switch (a.action) {
    case 'run': return `type: ${a.line}`;
    case 'commit': return 'press “commit” in the toolbar';
    case 'new-container': return 'press “+ new” in the toolbar (a new container)';
    case 'remove-container': return a.id === undefined ? 'press “remove” in the toolbar (removes the current container)' : `pick c${a.id} in the container list, then press “remove”`;
    case 'switch': return `pick c${a.id} in the container list`;
    case 'set-options': return `in the toolbar, ${Object.entries(OPTION_NAMES).filter(([, k]) => k in a.options).map(([n, k]) => `${a.options[k] ? 'tick' : 'untick'} ${n}`).join(' and ')}`;
    default: return step.line;
  }
}

/**
 * Performs one step on a lab through the JavaScript API. Returns `{status, stdout, stderr}`;
 * a failing command is a status, as in a shell; a failing action throws.
 */
export function applyStep(lab, step) {
  const a = step.action;
  switch (a.action) {
    case 'run': {
      const r = lab.run(a.line);
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }
    case 'commit': lab.commit(a.message); break;
    case 'new-container': lab.newContainer(); break;
    case 'remove-container': lab.removeContainer(a.id ?? lab.currentContainer()); break;
    case 'switch': lab.switchContainer(a.id); break;
    case 'set-options': lab.setOptions(a.options); break;
    default: throw new Error(`unknown action ${String(a.action)}`);
  }
  return { status: 0, stdout: '', stderr: '' };
}

/** Runs every step of a script; returns the results. */
export function runScript(lab, script) {
  return parseScript(script).map((step) => applyStep(lab, step));
}

// ---------------------------------------------------------------------------------------------
// Validation.

function checkEntry(e, what) {
  if (!isObject(e)) throw new Error(`${what} is not an object`);
  const type = own(e, 'type');
  if (!TYPES.includes(type)) throw new Error(`${what} has an unknown type`);
  const out = { type };
  const mode = own(e, 'mode');
  if (mode !== undefined) {
    if (typeof mode !== 'string' || !/^[0-7]{3,6}$/.test(mode)) throw new Error(`${what} has a mode that is not octal`);
    out.mode = mode;
  }
  const size = own(e, 'size');
  if (size !== undefined) out.size = uint(size, `${what}'s size`);
  for (const key of ['content', 'target', 'redirect']) {
    const v = own(e, key);
    if (v !== undefined) out[key] = text(v, LESSON_LIMITS.path, `${what}'s ${key}`);
  }
  const meta = own(e, 'metacopy');
  if (meta !== undefined) out.metacopy = flag(meta, `${what}'s metacopy`);
  return out;
}

function checkTree(t, what, budget) {
  if (!isObject(t)) throw new Error(`${what} is not an object of paths`);
  const out = Object.create(null);
  for (const p of Object.keys(t)) {
    budget.n += 1;
    if (budget.n > LESSON_LIMITS.entries) throw new Error('the goal has too many entries');
    checkPath(p, `a path in ${what}`);
    out[p] = checkEntry(t[p], `${p} in ${what}`);
  }
  return out;
}

function checkState(s) {
  if (!isObject(s)) throw new Error('the goal state is not an object');
  const out = {};
  const budget = { n: 0 };
  if (own(s, 'merged') !== undefined) out.merged = checkTree(s.merged, 'the merged view', budget);
  if (own(s, 'layers') !== undefined) {
    if (!Array.isArray(s.layers) || s.layers.length > LESSON_LIMITS.layers + 64) throw new Error('the goal\'s image layers are not a list');
    out.layers = s.layers.map((t, i) => checkTree(t, `image layer ${i}`, budget));
  }
  if (own(s, 'container') !== undefined) out.container = checkTree(s.container, 'the container layer', budget);
  if (own(s, 'containers') !== undefined) {
    if (!Array.isArray(s.containers) || s.containers.length > LESSON_LIMITS.containers) throw new Error('the goal\'s containers are not a list');
    out.containers = s.containers.map((c, i) => {
      if (!isObject(c)) throw new Error(`container ${i} of the goal is not an object`);
      return { id: uint(own(c, 'id'), `container ${i}'s id`), current: flag(own(c, 'current'), `container ${i}'s current`), imageLayers: uint(own(c, 'imageLayers'), `container ${i}'s imageLayers`) };
    });
  }
  return out;
}

/**
 * Checks a lesson (parsed JSON from a file, a link or an author) and returns a clean copy with
 * only the fields this module knows. Throws an Error with a plain message on anything else, so
 * hostile data gets no further than this.
 */
export function validateLesson(obj) {
  if (!isObject(obj)) throw new Error('the lesson is not an object');
  if (own(obj, 'version') !== LESSON_VERSION) throw new Error(`lesson version ${String(own(obj, 'version')).slice(0, 20)} is not supported (this page reads version ${LESSON_VERSION})`);
  const id = own(obj, 'id');
  if (typeof id !== 'string' || !ID.test(id)) throw new Error('the lesson id must be 1 to 64 of a-z, 0-9 and -, not starting or ending with -');
  const lesson = {
    version: LESSON_VERSION,
    id,
    title: text(own(obj, 'title'), LESSON_LIMITS.title, 'the title', { empty: false }),
    summary: text(own(obj, 'summary') ?? '', LESSON_LIMITS.text, 'the summary'),
  };
  const start = own(obj, 'start') ?? {};
  if (!isObject(start)) throw new Error('the start state is not an object');
  lesson.start = {};
  const layers = own(start, 'layers');
  if (layers !== undefined) {
    if (!Array.isArray(layers) || layers.length > LESSON_LIMITS.layers) throw new Error(`the start layers are not a list of at most ${LESSON_LIMITS.layers}`);
    let total = 0;
    lesson.start.layers = layers.map((l, i) => {
      if (!isObject(l)) throw new Error(`start layer ${i} is not an object`);
      const script = text(own(l, 'script'), LESSON_LIMITS.layerScript, `start layer ${i}'s script`);
      total += script.length;
      if (total > LESSON_LIMITS.layerScript * 4) throw new Error('the start layers\' scripts are too long');
      return { created_by: text(own(l, 'created_by') ?? own(l, 'createdBy') ?? '', 4096, `start layer ${i}'s created_by`), script };
    });
  }
  const options = own(start, 'options');
  if (options !== undefined) {
    if (!isObject(options)) throw new Error('the start options are not an object');
    lesson.start.options = {};
    for (const [name, camel] of Object.entries(OPTION_NAMES)) {
      const v = own(options, name) ?? own(options, camel);
      if (v !== undefined) lesson.start.options[name] = flag(v, `the option ${name}`);
    }
  }
  const setup = own(start, 'setup');
  if (setup !== undefined) {
    parseScript(setup, 'the setup');
    lesson.start.setup = setup;
  }
  const goal = own(obj, 'goal');
  if (goal === null || goal === undefined) {
    lesson.goal = null;
  } else {
    if (!isObject(goal)) throw new Error('the goal is not an object');
    const compare = own(goal, 'compare') ?? 'both';
    if (!COMPARES.includes(compare)) throw new Error('the goal\'s compare must be "merged", "layers" or "both"');
    const ignore = own(goal, 'ignore') ?? [];
    if (!Array.isArray(ignore) || ignore.length > LESSON_LIMITS.ignore) throw new Error('the goal\'s ignore is not a short list');
    ignore.forEach((x, i) => {
      if (typeof x !== 'string' || !(IGNORABLE.includes(x) || x.startsWith('/'))) throw new Error(`ignore item ${i + 1} must be one of ${IGNORABLE.join(', ')} or a path`);
      if (x.startsWith('/')) checkPath(x, `ignore item ${i + 1}`);
    });
    lesson.goal = {
      text: text(own(goal, 'text'), LESSON_LIMITS.text, 'the goal\'s text', { empty: false }),
      compare,
      ignore: [...ignore],
      state: checkState(own(goal, 'state')),
    };
    const s = lesson.goal.state;
    if ((compare !== 'layers') !== (s.merged !== undefined) || (compare !== 'merged') !== (s.container !== undefined && s.layers !== undefined)) {
      throw new Error(`the goal state does not hold what compare "${compare}" needs`);
    }
  }
  lesson.solution = text(own(obj, 'solution') ?? '', LESSON_LIMITS.script, 'the solution');
  parseScript(lesson.solution, 'the solution');
  lesson.wrong = text(own(obj, 'wrong') ?? '', LESSON_LIMITS.script, 'the wrong solution');
  parseScript(lesson.wrong, 'the wrong solution');
  const hints = own(obj, 'hints') ?? [];
  if (!Array.isArray(hints) || hints.length > LESSON_LIMITS.hints) throw new Error(`the hints are not a list of at most ${LESSON_LIMITS.hints}`);
  lesson.hints = hints.map((x, i) => text(x, LESSON_LIMITS.hint, `hint ${i + 1}`, { empty: false }));
  return lesson;
}

/** Parses and validates a lesson's JSON text. */
export function parseLesson(json) {
  if (typeof json !== 'string') throw new Error('the lesson is not text');
  if (json.length > 8 * 1024 * 1024) throw new Error('the lesson is too large');
  let obj;
  try {
    obj = JSON.parse(json);
  } catch {
    throw new Error('the lesson is not valid JSON');
  }
  return validateLesson(obj);
}

// ---------------------------------------------------------------------------------------------
// Starting, snapshots and the goal check.

/** The scenario object of `new LayerLab(...)` for a lesson's start. */
export function scenarioOf(lesson) {
  const s = {};
  if (lesson.start.layers) s.layers = lesson.start.layers.map((l) => ({ createdBy: l.created_by, script: l.script }));
  if (lesson.start.options) {
    s.options = {};
    for (const [name, camel] of Object.entries(OPTION_NAMES)) if (name in lesson.start.options) s.options[camel] = lesson.start.options[name];
  }
  return s;
}

/**
 * A LayerLab at the lesson's start: its image and options, with the setup script already run
 * in the container. `LayerLab` is the class (the web or the Node package's). Throws if the
 * setup cannot run; the half-made lab is freed.
 */
export function startLab(LayerLab, lesson) {
  const lab = new LayerLab(scenarioOf(lesson));
  try {
    if (lesson.start.setup) runScript(lab, lesson.start.setup);
  } catch (e) {
    lab.free();
    throw e;
  }
  return lab;
}

function mode(m) {
  return (m & 0o7777).toString(8).padStart(4, '0');
}

function ignored(path, ignore) {
  for (const x of ignore) if (x.startsWith('/') && (path === x || path.startsWith(x === '/' ? '/' : `${x}/`))) return true;
  return false;
}

function entryOf(e, ignore, content) {
  const out = { type: e.type };
  if (e.type !== 'whiteout' && e.type !== 'symlink' && !ignore.includes('mode')) out.mode = mode(e.mode);
  if (e.type === 'file' && !ignore.includes('size')) out.size = e.size;
  if (e.type === 'file' && content !== undefined && !ignore.includes('content')) out.content = content;
  if (e.type === 'symlink' && e.target !== undefined && !ignore.includes('target')) out.target = e.target;
  if (e.redirect !== undefined && !ignore.includes('redirect')) out.redirect = e.redirect;
  if (e.metacopy && !ignore.includes('metacopy')) out.metacopy = true;
  return out;
}

function treeOf(entries, ignore, read) {
  const out = Object.create(null);
  for (const e of entries) {
    if (ignored(e.path, ignore)) continue;
    out[e.path] = entryOf(e, ignore, read && e.type === 'file' ? contentHash(read(e.path)) : undefined);
  }
  return out;
}

/**
 * The goal-shaped snapshot of a lab's present state. `compare` picks the parts: "merged" (the
 * merged view: type, mode, size and a hash of the content of every file, symlink targets),
 * "layers" (each image layer's and the current container layer's own entries, whiteouts and
 * opaque directories included, with mode, size, redirects and metacopy marks; and the list of
 * containers) or "both". Digests, times, owners and layer descriptions are never part of it, and
 * `ignore` drops more: fields by name (mode, size, content, target, redirect, metacopy,
 * containers) or paths with everything below them. Reads change nothing, so an extra `ls` or
 * `cat` never moves a learner away from a goal.
 */
export function snapshot(lab, compare = 'both', ignore = []) {
  if (!COMPARES.includes(compare)) throw new Error(`compare must be one of ${COMPARES.join(', ')}`);
  const out = {};
  if (compare !== 'layers') out.merged = treeOf(lab.tree('merged'), ignore, (p) => lab.readFile(p));
  if (compare !== 'merged') {
    const infos = lab.layers();
    out.layers = infos.slice(0, -1).map((l) => treeOf(lab.tree(l.index), ignore));
    out.container = treeOf(lab.tree('container'), ignore);
    if (!ignore.includes('containers')) out.containers = lab.containers().map((c) => ({ id: c.id, current: c.current, imageLayers: c.imageLayers }));
  }
  return out;
}

/** A goal state with `ignore` applied (a stored goal may hold more than is compared). */
function filtered(state, ignore) {
  const tree = (t) => {
    const out = Object.create(null);
    for (const p of Object.keys(t)) {
      if (ignored(p, ignore)) continue;
      const e = { ...t[p] };
      for (const k of IGNORABLE) if (ignore.includes(k)) delete e[k];
      out[p] = e;
    }
    return out;
  };
  const out = {};
  if (state.merged) out.merged = tree(state.merged);
  if (state.layers) out.layers = state.layers.map(tree);
  if (state.container) out.container = tree(state.container);
  if (state.containers && !ignore.includes('containers')) out.containers = state.containers;
  return out;
}

function describe(e) {
  if (!e) return 'nothing';
  const parts = [e.type === 'opaque' ? 'an opaque directory' : e.type === 'dir' ? 'a directory' : e.type === 'symlink' ? 'a symlink' : e.type === 'whiteout' ? 'a whiteout' : 'a file'];
  if (e.metacopy) parts.push('(metadata only)');
  return parts.join(' ');
}

function diffTrees(where, want, have, out) {
  const paths = [...new Set([...Object.keys(want), ...Object.keys(have)])].sort();
  for (const p of paths) {
    const a = want[p];
    const b = have[p];
    if (!a || !b || a.type !== b.type || !!a.metacopy !== !!b.metacopy) {
      out.push(`${where}: ${p} should be ${describe(a)}, it is ${describe(b)}`);
      continue;
    }
    if (a.mode !== b.mode) out.push(`${where}: ${p} should have mode ${a.mode}, it has ${b.mode}`);
    if (a.size !== b.size) out.push(`${where}: ${p} should be ${a.size} bytes, it is ${b.size}`);
    else if (a.content !== b.content) out.push(`${where}: ${p} does not hold the expected content`);
    if (a.target !== b.target) out.push(`${where}: ${p} should point to ${a.target}, it points to ${b.target}`);
    if (a.redirect !== b.redirect) out.push(a.redirect ? `${where}: ${p} should carry a redirect to ${a.redirect}` : `${where}: ${p} should carry no redirect`);
  }
}

/** The differences between a goal state and a snapshot, as sentences (empty when equal). */
export function compareStates(goal, actual) {
  const out = [];
  if (goal.merged) diffTrees('merged view', goal.merged, actual.merged ?? {}, out);
  if (goal.layers) {
    const have = actual.layers ?? [];
    if (goal.layers.length !== have.length) out.push(`the image should have ${goal.layers.length} layer${goal.layers.length === 1 ? '' : 's'}, it has ${have.length}`);
    goal.layers.forEach((t, i) => {
      if (i < have.length) diffTrees(`layer ${i}`, t, have[i], out);
    });
  }
  if (goal.container) diffTrees('container layer', goal.container, actual.container ?? {}, out);
  if (goal.containers) {
    const fmt = (list) => list.map((c) => `c${c.id}${c.current ? ' (current)' : ''}`).join(', ') || 'none';
    const want = fmt(goal.containers);
    const have = fmt(actual.containers ?? []);
    if (want !== have) out.push(`the containers should be ${want}; they are ${have}`);
    else if (goal.containers.some((c, i) => c.imageLayers !== actual.containers[i].imageLayers)) out.push('a container runs on a different number of image layers than the goal');
  }
  return out;
}

/** Whether the lab's present state meets the lesson's goal, and if not, what differs. */
export function checkGoal(lab, lesson) {
  if (!lesson.goal) return { met: false, differences: [] };
  const { compare, ignore, state } = lesson.goal;
  const differences = compareStates(filtered(state, ignore), snapshot(lab, compare, ignore));
  return { met: differences.length === 0, differences };
}

/**
 * Runs a lesson's solution and wrong solution on fresh labs and returns what is wrong with the
 * lesson, in sentences (empty when it is sound): the start already meets the goal, a solution
 * step fails, the solution misses the goal, or the wrong solution reaches it.
 */
export function verifyLesson(LayerLab, lesson) {
  if (!lesson.goal) return [];
  const problems = [];
  const attempt = (script, what) => {
    const lab = startLab(LayerLab, lesson);
    try {
      const results = runScript(lab, script);
      return { results, ...checkGoal(lab, lesson) };
    } catch (e) {
      problems.push(`${what} cannot run: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    } finally {
      lab.free();
    }
  };
  const start = attempt('', 'the start');
  if (start?.met) problems.push('the start already meets the goal');
  const right = attempt(lesson.solution, 'the solution');
  if (right) {
    const failed = right.results.findIndex((r) => r.status !== 0);
    if (failed >= 0) problems.push(`solution step ${failed + 1} fails: ${right.results[failed].stderr.trim().slice(0, 200)}`);
    if (!right.met) problems.push(`the solution does not reach the goal (${right.differences[0]})`);
  }
  if (lesson.wrong.trim() !== '') {
    const wrong = attempt(lesson.wrong, 'the wrong solution');
    if (wrong?.met) problems.push('the wrong solution reaches the goal too');
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Loading from www/lessons/.

/** Fetches and validates one lesson by id (ids are [a-z0-9-] only, so no path escapes). */
export async function loadLesson(id, baseUrl = HERE, fetchFn = globalThis.fetch) {
  if (typeof id !== 'string' || !ID.test(id)) throw new Error('a lesson id is 1 to 64 of a-z, 0-9 and -');
  const obj = await getJson(new URL(`lessons/${id}.json`, baseUrl), fetchFn, `the lesson ${id}`);
  const lesson = validateLesson(obj);
  if (lesson.id !== id) throw new Error(`the file of lesson ${id} holds lesson ${lesson.id}`);
  return lesson;
}
