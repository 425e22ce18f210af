// Layer Lab's page: one state object, one dispatch(action) that calls the engine and appends
// the events it returns, a render(state) that draws the state and nothing else, and an
// animation queue fed by the events. No framework and no bundler: the browser loads these
// ES modules and the wasm-bindgen module in pkg/ as they are.

import init, { LayerLab } from './pkg/layerlab.js';
import { h } from './dom.js';
import { snapshot, newCache } from './model.js';
import { Matrix, afterNextFrame, visibleColumns } from './matrix.js';
import { Timeline } from './timeline.js';
import { Terminal } from './terminal.js';
import { renderWhy } from './why.js';
import { Animator } from './animate.js';
import { isShareHash, hashKind } from './hash.js';
import { loadLessonIndex } from './lesson-index.js';
import { renderLessons as renderLessonList } from './lesson-list.js';
import {
  loadSession, saveSession, clearSession, loadPrefs, savePrefs, exportFile,
  loadProgress, saveProgress, validateProgress, stashFreeSession, downloadFile,
} from './storage.js';

// The lesson engine is not on the path to a usable page, nor fetched on a plain visit: the
// lessons panel lists the lessons from lessons/index.json with lesson-list.js alone, once the
// page is usable. lesson-page.js (with lesson-core.js and lessons.js) is loaded when a lesson is
// opened, a lesson link is followed, a lesson in progress comes back after a reload, or author
// mode starts; hovering or focusing a lesson button starts it early. `L` is lesson-core.js and
// `LP` lesson-page.js; until they are loaded no lesson can be open.
let L = null;
let LP = null;
let drawLesson = null;
let lessonsError = null;
const renderLessons = (s, on) => renderLessonList(s, on, drawLesson);
let lessonModules = null;

/** Starts loading the lesson modules, once; resolves when they are loaded or have failed. */
function loadLessonModules() {
  lessonModules ??= import('./lesson-page.js').then((page) => {
    L = page.core;
    drawLesson = page.drawLesson;
    LP = page;
    page.attach({
      state, dispatch, rebuild, install, defaultLab, refresh, scheduleSave, setNotice, note, errorText,
      saveLessonState, resetAttempt, endLesson, LayerLab,
      getFreeSession: () => freeSession,
      setFreeSession: (json) => {
        freeSession = json;
      },
    });
  }, (e) => {
    lessonsError = errorText(e);
  });
  return lessonModules;
}

/** Waits for the lesson modules; throws when they could not be loaded. */
async function lessonCore() {
  await loadLessonModules();
  // A module that failed to load stays failed until a reload (browsers keep the failure).
  if (!L) throw new Error(`the lessons could not be loaded (${lessonsError}); reload the page to try again`);
  return L;
}

// Saved-state validation and the share-link codec (session-io.js) are fetched only when there
// is a saved session, a link or a file to read (at the start of boot, alongside the wasm, when
// there is one), or a share link to make (on the share button's hover or focus, or its click).
// `validateSaved` is set once it is loaded; every path to it waits for `loadSessionIo()` first.
let validateSaved = null;
let sessionIo = null;

/**
 * Loads session-io.js, once; resolves to the module. A failure (the network) stays until a
 * reload, as browsers keep a module that failed to load; the callers say so.
 */
function loadSessionIo() {
  sessionIo ??= import('./session-io.js').then((io) => {
    validateSaved = io.validateSaved;
    return io;
  }, (e) => {
    throw new Error(`${errorText(e)}; reload the page to try again`);
  });
  return sessionIo;
}

const $ = (sel) => document.querySelector(sel);

/** Everything the page shows is derived from this object. */
const state = {
  lab: null,
  cache: newCache(),
  snap: null,
  view: { cols: [], hidden: new Map(), index: new Map(), key: '' },
  step: 0,
  total: 0,
  events: [],
  transcript: [],
  redo: [],
  nextId: 1,
  cleared: 0,
  containers: [],
  current: 1,
  options: { redirectDir: false, metacopy: false, index: false },
  canUndo: false,
  canRedo: false,
  cwd: '/',
  cursor: { row: 0, col: 0 },
  selection: null,
  focus: null,
  related: null,
  // The "why" panel's explanation of the selection, made when the panel is drawn.
  explained: true,
  explain: null,
  preview: null,
  collapsed: new Set(),
  prefs: loadPrefs(),
  playing: false,
  notice: null,
  share: null,
  lessons: {
    open: true,
    opened: 0,
    index: null,
    indexError: null,
    progress: { version: 1, solved: {}, active: null },
    lesson: null,
    source: null,
    met: false,
    differences: [],
    hints: 0,
    goalShown: false,
    peeked: false,
    confirming: false,
    solvedBefore: false,
    announce: '',
    authoring: false,
  },
  author: { start: null, goal: null, recording: false },
};

const reducedMotionQuery = window.matchMedia('(prefers-reduced-motion: reduce)');

function reducedMotion() {
  return reducedMotionQuery.matches || state.prefs.motion === 'off';
}

function errorText(e) {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Performs one action of the engine's history on `lab` and returns its transcript entry: what
 * was typed or clicked, what it printed, and the range of the container's events it caused.
 * Used both for what people do and for replaying a saved history.
 */
function perform(lab, action, id) {
  const container = lab.currentContainer();
  const entry = {
    id,
    kind: action.action,
    container,
    cwd: lab.cwd(),
    line: '',
    stdout: '',
    stderr: '',
    status: 0,
    from: lab.eventCount(),
    to: 0,
    events: [],
    action,
  };
  switch (action.action) {
    case 'run': {
      const r = lab.run(action.line);
      Object.assign(entry, { line: action.line, stdout: r.stdout, stderr: r.stderr, status: r.status, events: r.events });
      break;
    }
    case 'commit': {
      const r = lab.commit(action.message);
      entry.line = `commit → new image layer (${action.message})`;
      entry.stdout = r.diffId;
      entry.events = r.events;
      break;
    }
    case 'new-container': {
      const id2 = lab.newContainer();
      entry.line = `new container c${id2}`;
      entry.stdout = `started c${id2} on the image; switched to it`;
      break;
    }
    case 'remove-container': {
      // A lesson's "@remove-container" names no id: the current container goes.
      const gone = action.id ?? container;
      lab.removeContainer(gone);
      entry.line = `remove container c${gone}`;
      entry.stdout = `c${gone} and its writable layer are gone`;
      entry.action = { action: 'remove-container', id: gone };
      break;
    }
    case 'switch':
      lab.switchContainer(action.id);
      entry.line = `switch to container c${action.id}`;
      break;
    case 'set-options': {
      const o = lab.setOptions(action.options);
      entry.line = `overlay options: redirect_dir=${o.redirectDir ? 'on' : 'off'} metacopy=${o.metacopy ? 'on' : 'off'} index=${o.index ? 'on' : 'off'}`;
      break;
    }
    default:
      throw new Error(`unknown action ${action.action}`);
  }
  entry.to = lab.eventCount();
  return entry;
}

/** A fresh engine for a saved state (already validated), its history replayed. */
function rebuild(saved) {
  const lab = new LayerLab({ layers: saved.base, options: saved.options });
  const transcript = [];
  // Transcript ids go on from the page's last one, so the terminal never mistakes an entry of
  // the new history for one it already shows.
  let id = state.nextId;
  try {
    saved.actions.forEach((action, i) => {
      try {
        transcript.push(perform(lab, action, id));
        id += 1;
      } catch (e) {
        throw new Error(`action ${i + 1} cannot be replayed: ${errorText(e)}`);
      }
    });
  } catch (e) {
    lab.free();
    throw e;
  }
  return { lab, transcript, nextId: id };
}

function install(built) {
  if (state.lab) state.lab.free();
  state.lab = built.lab;
  state.transcript = built.transcript;
  state.nextId = built.nextId;
  state.redo = [];
  state.cleared = 0;
  state.cache = newCache();
  state.collapsed = new Set();
  state.selection = null;
  state.focus = null;
  state.cursor = { row: 0, col: 0 };
  terminal.setHistory(built.transcript.filter((t) => t.kind === 'run').map((t) => t.line));
}

function defaultLab() {
  return { lab: new LayerLab(undefined), transcript: [], nextId: 1 };
}

/** Re-reads what the engine knows after a change and returns to the present. */
function refresh({ events, fast = false } = {}) {
  const lab = state.lab;
  const prev = state.snap;
  const prevContainer = state.current;
  state.total = lab.eventCount();
  state.events = events ?? lab.events();
  state.step = state.total;
  state.containers = lab.containers();
  state.current = lab.currentContainer();
  state.options = lab.options();
  state.canUndo = lab.canUndo();
  state.canRedo = lab.canRedo();
  state.cwd = lab.cwd();
  let hint = {};
  if (fast && prev && prev.step === prev.total && prevContainer === state.current) {
    const bytes = state.containers.find((c) => c.current)?.bytes;
    hint = { layers: prev.layers.map((l) => (l.index === prev.imageCount && bytes !== undefined ? { ...l, bytes } : l)) };
    scheduleLayerSizes();
  }
  loadStep(hint);
}

let sizesTimer = 0;
/** Fetches the layers' sizes after a command was drawn with the previous ones. */
function scheduleLayerSizes() {
  clearTimeout(sizesTimer);
  sizesTimer = whenIdle(() => {
    if (!state.snap || state.step !== state.total) return;
    const fresh = state.lab.layers();
    if (fresh.length !== state.snap.layers.length) return;
    state.snap.layers = fresh;
    for (const row of state.snap.rows) {
      if (row.info) row.info = fresh.find((l) => l.index === row.info.index) ?? row.info;
    }
    matrix.render(state);
  }, 80);
}

/**
 * Runs `f` once the page is idle: after `delay` ms, with no animation playing (a long engine
 * call would drop its frames) and in an idle period. Returns a timer id for clearTimeout.
 */
function whenIdle(f, delay) {
  const attempt = () => {
    if (animator.busy()) {
      timer = setTimeout(attempt, 200);
      return;
    }
    requestIdleCallback(() => f(), { timeout: 1000 });
  };
  let timer = setTimeout(attempt, delay);
  return timer;
}

/** Loads the matrix for state.step and everything that depends on it. */
function loadStep(hint = {}) {
  const prev = state.snap;
  state.snap = snapshot(state.lab, state.step, state.total, state.cache, hint);
  const key = `${state.snap.columnsVersion}|${[...state.collapsed].join('\n')}`;
  if (key !== state.view.key) {
    const { cols, hidden } = visibleColumns(state.snap.columns, state.collapsed);
    const index = new Map();
    cols.forEach((p, i) => index.set(p, i));
    state.view = { cols, hidden, index, key };
  }
  placeCursor();
  return prev;
}

/** Puts the cursor on the selected path and layer where it can, and explains the selection. */
function placeCursor() {
  const rows = state.snap.rows;
  if (state.selection) {
    const col = state.view.index.get(state.selection.path);
    const row = rows.findIndex((r) => r.key === state.selection.row);
    if (col !== undefined) state.cursor = { row: row >= 0 ? row : Math.min(state.cursor.row, rows.length - 1), col };
  }
  state.cursor.row = Math.max(0, Math.min(rows.length - 1, state.cursor.row));
  state.cursor.col = Math.max(0, Math.min(state.view.cols.length - 1, state.cursor.col));
  if (state.selection && state.view.index.get(state.selection.path) === undefined) {
    state.selection = null;
  }
  explainSelection();
}

function stepArg() {
  return state.step === state.total ? undefined : state.step;
}

/**
 * Marks what the selection relates to (cells, events, commands) for the matrix and the
 * timeline; the "why" explanation itself (engine calls) is made when the panel is drawn
 * (`explain`), after a command's frame.
 */
function explainSelection() {
  const sel = state.selection;
  state.explained = false;
  state.related = state.focus?.kind === 'command' ? relatedToCommand(state.focus.id) : sel ? relatedToPath(sel.path) : null;
}

/** Asks the engine why the selected path looks as it does, unless that is known already. */
function explain() {
  if (state.explained) return;
  state.explained = true;
  const sel = state.selection;
  state.explain = null;
  state.preview = null;
  state.maskedPreview = null;
  if (!sel) return;
  try {
    state.explain = state.lab.explain(sel.path, stepArg());
    const m = state.snap.merged.get(sel.path);
    if (m && m.type === 'file') {
      const text = state.lab.readFile(sel.path, stepArg());
      state.preview = text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text;
    }
    // A file that layers above mask or delete: show what the selected layer (or else the
    // topmost such layer) holds there.
    const masked = state.explain.cells.filter((c) => c.role === 'masked' && c.state === 'file');
    const pick = masked.find((c) => rowKeyOf(c.layer) === sel.row) ?? masked[0];
    if (pick) {
      const text = state.lab.readFile(sel.path, stepArg(), pick.layer);
      state.maskedPreview = { layer: pick.layer, text: text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text };
    }
  } catch (e) {
    state.explain = null;
  }
}

function rowKeyOf(layer) {
  return layer === state.snap.imageCount ? 'container' : String(layer);
}

function relatedFromEvents(evs) {
  const seqs = new Set();
  const cells = new Set();
  const commands = new Set();
  for (const e of evs) {
    seqs.add(e.seq);
    for (const l of e.layers) {
      cells.add(`${rowKeyOf(l)}|${e.path}`);
      if (e.to) cells.add(`${rowKeyOf(l)}|${e.to}`);
    }
  }
  for (const t of state.transcript) {
    if (t.kind === 'note' || t.container !== state.current) continue;
    for (const s of seqs) {
      if (s > t.from && s <= t.to) {
        commands.add(t.id);
        break;
      }
    }
  }
  return { seqs, cells, commands };
}

function relatedToPath(path) {
  return relatedFromEvents(state.events.filter((e) => e.path === path || e.to === path));
}

function relatedToCommand(id) {
  const t = state.transcript.find((x) => x.id === id);
  if (!t) return null;
  const r = relatedFromEvents(t.container === state.current ? state.events.slice(t.from, t.to) : []);
  r.commands.add(id);
  return r;
}

function note(text, tone = 'info') {
  state.transcript.push({ id: state.nextId, kind: 'note', text, tone, container: state.current });
  state.nextId += 1;
}

function setNotice(text, tone = 'info') {
  state.notice = text ? { text, tone } : null;
}

let saveTimer = 0;
let savePending = false;
function scheduleSave() {
  clearTimeout(saveTimer);
  savePending = true;
  saveTimer = whenIdle(() => {
    if (!savePending) return;
    savePending = false;
    if (!saveSession(state.lab.save())) setNotice('This browser would not store the session (storage is full or switched off); use Export to keep it.', 'warn');
    renderNotice();
  }, 250);
}

function commitMessage() {
  const runs = [];
  for (let i = state.transcript.length - 1; i >= 0; i -= 1) {
    const t = state.transcript[i];
    if (t.kind === 'commit' && t.container === state.current) break;
    if (t.kind === 'run' && t.container === state.current && t.events.length) runs.unshift(t.line);
  }
  const msg = runs.length ? `RUN ${runs.join(' && ')}` : `commit of container c${state.current}`;
  return msg.length > 120 ? `${msg.slice(0, 117)}…` : msg;
}

/** Does one thing the user asked for, then renders. The only place state changes. */
function dispatch(action) {
  const lab = state.lab;
  switch (action.type) {
    case 'engine': {
      // Anything that changes the engine: a command line, a commit, containers, toggles.
      const before = state.snap;
      let entry;
      // The phases of the last command stay in the performance timeline (the benchmark reads
      // them); older ones go, so a long session does not pile them up.
      performance.clearMarks();
      performance.clearMeasures();
      performance.mark('ll-dispatch');
      try {
        entry = perform(lab, action.action, state.nextId);
        performance.measure('ll-perform', 'll-dispatch');
      } catch (e) {
        note(`${action.action.action}: ${errorText(e)}`, 'error');
        refresh();
        break;
      }
      state.nextId += 1;
      state.transcript.push(entry);
      state.redo = [];
      if (state.author.recording) entry.recorded = recordStep(changedOnly(entry.action, state.options));
      const sameContainer = entry.container === lab.currentContainer() && (action.action.action === 'run' || action.action.action === 'commit');
      const runOnly = action.action.action === 'run';
      if (entry.events.length) {
        // The last change is selected, so "why" explains it and its command and events light up.
        const last = entry.events[entry.events.length - 1];
        state.selection = { row: 'merged', path: last.to ?? last.path };
        state.focus = { kind: 'command', id: entry.id };
      }
      performance.mark('ll-engine');
      checkLesson();
      refresh(sameContainer && state.events.length === entry.from ? { events: state.events.concat(entry.events), fast: runOnly } : {});
      performance.measure('ll-refresh', 'll-engine');
      const kind = action.action.action;
      const animates = (kind === 'run' || kind === 'commit') && !reducedMotion();
      // With motion, the matrix is drawn where the first animation plays (a copy-up of a
      // parent directory can be far left of the file selected); the animations then scroll
      // on to the selection. Drawing at the selection first would draw the matrix twice.
      if (state.selection && entry.events.length) matrix.reveal((animates ? animator.firstColumn(entry.events, state) : null) ?? state.cursor.col);
      performance.measure('ll-reveal', 'll-engine');
      scheduleSave();
      // After a typed command the layers are drawn now, the terminal, timeline, why and
      // lesson panels once that frame is drawn: the command's frame (its engine work, the
      // matrix and their layout and paint) then fits one frame, and its animation starts
      // without a dropped frame. The toolbar's actions animate nothing and draw at once.
      render({ panelsLater: kind === 'run' });
      performance.measure('ll-refresh+render', 'll-engine');
      performance.measure('ll-dispatch-all', 'll-dispatch');
      // A new command ends the last one's animations: each animates against the state it made.
      animator.skip();
      if (kind === 'run' || kind === 'commit') animator.play(entry.events, { state, before, reduced: !animates, quiet: kind !== 'run' });
      else animator.play([], { state, quiet: true });
      return;
    }
    case 'undo': {
      if (!lab.undo()) break;
      // The last action leaves the transcript (notes after it, such as earlier "undone" lines,
      // stay); redo brings it back with its output.
      let i = state.transcript.length - 1;
      while (i >= 0 && state.transcript[i].kind === 'note') i -= 1;
      const t = i >= 0 ? state.transcript.splice(i, 1)[0] : null;
      if (t) state.redo.push(t);
      if (t && state.author.recording) unrecordStep(t.recorded);
      note(`undone: ${t ? t.line : 'the last action'}`);
      checkLesson();
      refresh();
      scheduleSave();
      break;
    }
    case 'redo': {
      let ok = false;
      try {
        ok = lab.redo();
      } catch (e) {
        note(`redo: ${errorText(e)}`, 'error');
      }
      if (!ok) {
        refresh();
        break;
      }
      const t = state.redo.pop();
      if (t) {
        t.id = state.nextId;
        state.nextId += 1;
        state.transcript.push(t);
        if (state.author.recording && t.recorded !== undefined) recordLine(t.recorded);
      }
      checkLesson();
      refresh();
      scheduleSave();
      break;
    }
    case 'reset':
      install(defaultLab());
      clearSession();
      endLesson();
      freeSession = null;
      stashFreeSession(null);
      setNotice('Started over from the default scenario.');
      refresh();
      break;
    case 'load': {
      // A saved state from a file (or a share link): replayed into a fresh engine; on failure
      // the current session stays as it was.
      try {
        const saved = validateSaved(action.json);
        install(rebuild(saved));
        setNotice(action.message ?? `Loaded a session: ${saved.actions.length} action${saved.actions.length === 1 ? '' : 's'} replayed.`);
        checkLesson();
        refresh();
        scheduleSave();
      } catch (e) {
        setNotice(`${action.what ?? 'That session file'} could not be opened: ${errorText(e)}. Nothing was changed.`, 'error');
      }
      break;
    }
    case 'step': {
      const to = Math.max(0, Math.min(state.total, action.to));
      if (to === state.step && !action.force) return;
      const before = state.snap;
      state.step = to;
      loadStep();
      render();
      timeline.reveal(to);
      timeline.announce(state);
      if (action.animate && to > 0) {
        const ev = state.events[to - 1];
        if (ev && to === (before?.step ?? 0) + 1) {
          animator.skip();
          animator.play([ev], { state, before, reduced: reducedMotion(), rate: state.playing ? state.prefs.speed : 1 });
        }
      }
      return;
    }
    case 'cursor': {
      const row = state.snap.rows[action.row];
      const path = state.view.cols[action.col];
      state.cursor = { row: action.row, col: action.col };
      if (row && path !== undefined) state.selection = { row: row.key, path };
      state.focus = null;
      explainSelection();
      matrix.reveal(action.col);
      break;
    }
    case 'select-event': {
      const e = state.events[action.seq - 1];
      if (!e) return;
      state.step = e.seq;
      state.focus = null;
      loadStep();
      // The event's layers are numbered as they were then, which is how the snapshot of its
      // step numbers them (a later commit would shift "the container layer").
      const dest = e.layers[e.layers.length - 1];
      state.selection = { row: dest === undefined ? 'merged' : rowKeyOf(dest), path: e.path };
      placeCursor();
      if (state.selection) matrix.reveal(state.cursor.col);
      break;
    }
    case 'select-command': {
      const t = state.transcript.find((x) => x.id === action.id);
      if (!t || t.kind === 'note') return;
      state.focus = { kind: 'command', id: t.id };
      if (t.container === state.current && t.to > t.from) {
        const e = state.events[t.from];
        if (e) {
          state.selection = { row: rowKeyOf(e.layers[e.layers.length - 1] ?? state.snap.imageCount), path: e.path };
          loadStep();
          matrix.reveal(state.cursor.col);
        }
      }
      explainSelection();
      break;
    }
    case 'find': {
      // The next path (after the cursor, wrapping) whose name contains the text; a match
      // inside a folded directory unfolds it.
      const q = action.text.toLowerCase();
      if (!q) return;
      const all = state.snap.columns;
      const here = state.view.cols[state.cursor.col];
      const start = here === undefined ? 0 : all.indexOf(here) + 1;
      let found = null;
      for (let k = 0; k < all.length && found === null; k += 1) {
        const p = all[(start + k) % all.length];
        if (p.toLowerCase().includes(q)) found = p;
      }
      if (found === null) {
        setNotice(`No path contains “${action.text}”.`, 'warn');
        break;
      }
      for (const dir of [...state.collapsed]) if (found.startsWith(`${dir}/`)) state.collapsed.delete(dir);
      const row = state.snap.rows[state.cursor.row]?.key ?? 'merged';
      state.selection = { row, path: found };
      state.focus = null;
      if (state.notice?.text.startsWith('No path contains')) state.notice = null;
      loadStep();
      matrix.reveal(state.cursor.col);
      break;
    }
    case 'toggle-dir': {
      if (state.collapsed.has(action.path)) state.collapsed.delete(action.path);
      else state.collapsed.add(action.path);
      loadStep();
      break;
    }
    case 'prefs':
      Object.assign(state.prefs, action.prefs);
      savePrefs(state.prefs);
      break;
    case 'note':
      note(action.text, action.tone);
      break;
    case 'clear':
      state.cleared = state.nextId - 1;
      break;
    case 'notice':
      setNotice(action.text, action.tone);
      break;
    case 'share':
      state.share = action.url;
      break;
    case 'lesson-open':
      openLesson(action.lesson, action.source, action.message);
      break;
    case 'lesson-restart':
      if (state.lessons.lesson) openLesson(state.lessons.lesson, state.lessons.source, 'Restarted the lesson from its start.', { restart: true });
      break;
    case 'lesson-leave':
      leaveLesson();
      break;
    case 'lesson-help':
      lessonHelp(action.step);
      break;
    case 'lesson-confirm': {
      const ls = state.lessons;
      ls.confirming = false;
      if (action.yes) {
        ls.peeked = true;
        ls.announce = 'The solution is shown below. Reaching the goal now will not mark the lesson solved.';
      }
      saveLessonState();
      break;
    }
    case 'lessons-toggle':
      state.lessons.open = !state.lessons.open;
      state.prefs.lessons = state.lessons.open ? 'open' : 'closed';
      savePrefs(state.prefs);
      break;
    case 'progress-import': {
      try {
        const incoming = validateProgress(action.json);
        const solved = state.lessons.progress.solved;
        let added = 0;
        for (const [id, v] of Object.entries(incoming.solved)) {
          if (!Object.hasOwn(solved, id)) added += 1;
          Object.defineProperty(solved, id, { value: v, enumerable: true, writable: true, configurable: true });
        }
        saveLessonState();
        setNotice(`Imported lesson progress: ${Object.keys(incoming.solved).length} solved lessons (${added} new here).`);
      } catch (e) {
        setNotice(`${action.what} could not be imported: ${errorText(e)}. Your progress was not changed.`, 'error');
      }
      break;
    }
    case 'author-open':
      state.lessons.authoring = action.open;
      state.lessons.open = true;
      break;
    case 'author-start':
      authorStart();
      break;
    case 'author-goal':
      authorGoal();
      break;
    default:
      return;
  }
  render();
}

// ---------------------------------------------------------------------------------------------
// Lessons: opening one, checking the goal after every change, help in steps, progress.

/** The session put aside while a lesson runs (also in storage, for a reload). */
let freeSession = null;

/** Stores progress and the lesson in progress (so a reload comes back to it). */
function saveLessonState() {
  const ls = state.lessons;
  ls.progress.active = ls.lesson
    ? { id: ls.lesson.id, source: ls.source, lesson: ls.source === 'index' ? null : ls.lesson, peeked: ls.peeked, hints: ls.hints, goalShown: ls.goalShown }
    : null;
  saveProgress(ls.progress);
}

function resetAttempt() {
  Object.assign(state.lessons, { met: false, differences: [], hints: 0, goalShown: false, peeked: false, confirming: false, solvedBefore: false, announce: '' });
}

function endLesson() {
  const ls = state.lessons;
  ls.lesson = null;
  ls.opened += 1;
  ls.source = null;
  resetAttempt();
  saveLessonState();
}

// Opening, checking, leaving and resuming a lesson, its help, and author mode are in
// lesson-page.js, loaded with the lesson engine (`loadLessonModules`). Until it is there no
// lesson is open and no solution is being recorded, so these have nothing to do.
const checkLesson = () => LP?.checkLesson();
const openLesson = (lesson, source, message, opts) => LP?.openLesson(lesson, source, message, opts) ?? false;
const leaveLesson = () => LP?.leaveLesson();
const lessonHelp = (step) => LP?.lessonHelp(step);
const resumeLesson = (active, sessionRestored) => LP?.resumeLesson(active, sessionRestored);
const changedOnly = (action, previous) => LP?.changedOnly(action, previous);
const recordStep = (action) => LP?.recordStep(action);
const recordLine = (line) => LP?.recordLine(line);
const unrecordStep = (line) => LP?.unrecordStep(line);
const authorStart = () => LP?.authorStart();
const authorGoal = () => LP?.authorGoal();

/** Opens a lesson from the list by id. */
async function openLessonById(id, message) {
  const index = state.lessons.index;
  if (index && !index.some((l) => l.id === id)) {
    dispatch({ type: 'notice', text: `There is no lesson “${String(id).slice(0, 64)}” in the list. Nothing was changed.`, tone: 'error' });
    return;
  }
  try {
    await lessonCore();
    const lesson = await L.loadLesson(id);
    dispatch({ type: 'lesson-open', lesson, source: 'index', message });
  } catch (e) {
    dispatch({ type: 'notice', text: `The lesson “${id}” could not be opened: ${errorText(e)}. Nothing was changed.`, tone: 'error' });
  }
}

/** Opens a lesson carried whole in a `#lesson-data=` link; validated like any hostile input. */
async function openLessonLink(hash) {
  try {
    await lessonCore();
    const { decodeLessonFragment } = await loadSessionIo();
    const lesson = L.parseLesson(await decodeLessonFragment(hash));
    dispatch({ type: 'lesson-open', lesson, source: 'link', message: `Opened the lesson “${lesson.title}” from a link.` });
  } catch (e) {
    dispatch({ type: 'notice', text: `This lesson link could not be opened: ${errorText(e)}. Nothing was changed.`, tone: 'error' });
  }
}


// ---------------------------------------------------------------------------------------------
// Rendering. Each part draws from `state` alone.

let drawnNotice = null;
function renderNotice() {
  const el = $('#notice');
  // Drawn again only when it changes: every command renders, and new nodes cost a restyle.
  if (state.notice === drawnNotice) return;
  drawnNotice = state.notice;
  if (!state.notice) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.className = `notice notice-${state.notice.tone}`;
  el.replaceChildren(
    h('span', { text: state.notice.text }),
    h('button', { type: 'button', class: 'notice-close', 'aria-label': 'dismiss', text: '×', onclick: () => dispatch({ type: 'notice', text: null }) }),
  );
}

let drawnContainers = '';
function renderToolbar() {
  const sel = $('#container');
  const names = state.containers.map((c) => [c.id, `c${c.id}${c.current ? ' (current)' : ''} · ${c.imageLayers} image layers`]);
  const key = JSON.stringify(names);
  if (drawnContainers !== key) {
    sel.replaceChildren(...names.map(([id, text]) => h('option', { value: id, text })));
    drawnContainers = key;
  }
  setValue(sel, String(state.current));
  $('#opt-redirect').checked = state.options.redirectDir;
  $('#opt-metacopy').checked = state.options.metacopy;
  $('#opt-index').checked = state.options.index;
  $('#btn-undo').disabled = !state.canUndo;
  $('#btn-redo').disabled = !state.canRedo;
  setValue($('#theme'), state.prefs.theme);
  $('#opt-motion').checked = state.prefs.motion !== 'off';
  // Only on a change: rewriting the attribute would restyle the whole document.
  if (document.documentElement.dataset.theme !== state.prefs.theme) document.documentElement.dataset.theme = state.prefs.theme;
  const past = state.step < state.total;
  for (const id of ['#btn-commit', '#btn-new', '#btn-remove']) $(id).disabled = false;
  $('#btn-remove').disabled = state.containers.length === 0;
  document.body.classList.toggle('in-past', past);
  const share = $('#share-out');
  share.hidden = !state.share;
  if (state.share) $('#share-url').value = state.share;
}

/**
 * Sets a select's value only when it differs: setting it, even to the value it has, makes
 * Chromium post a task (SelectControlSelectionChanged) that forces a style and layout of the
 * whole page, a command's matrix included, outside the frame that draws it.
 */
function setValue(el, value) {
  if (el.value !== value) el.value = value;
}

/** Sets `el`'s text only when it differs: writing the same text replaces its text node all the same. */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function renderTimelineControls() {
  setText($('#step-label'), state.total === 0 ? 'no events yet' : `step ${state.step} of ${state.total}`);
  $('#tl-start').disabled = state.step === 0;
  $('#tl-back').disabled = state.step === 0;
  $('#tl-fwd').disabled = state.step === state.total;
  $('#tl-end').disabled = state.step === state.total;
  setText($('#tl-play'), state.playing ? '❚❚ pause' : '▶ replay');
  $('#tl-play').setAttribute('aria-pressed', state.playing ? 'true' : 'false');
  $('#tl-play').disabled = state.total === 0;
  setValue($('#speed'), String(state.prefs.speed));
  const banner = $('#past-banner');
  banner.hidden = state.step === state.total;
  if (!banner.hidden) setText($('#past-text'), `Showing the layers after event ${state.step} of ${state.total}.`);
}

function renderPathBar() {
  const path = state.view.cols[state.cursor.col];
  const row = state.snap.rows[state.cursor.row];
  const bar = $('#pathbar');
  if (path === undefined) {
    bar.textContent = 'The image is empty.';
    return;
  }
  const entry = row?.map.get(path);
  bar.replaceChildren(
    h('code', { text: path }),
    h('span', { class: 'pb-sep', text: ' · ' }),
    h('span', { text: row ? (row.key === 'merged' ? 'merged view' : row.key === 'container' ? 'container layer' : `layer ${row.key}`) : '' }),
    h('span', { class: 'pb-sep', text: ' · ' }),
    h('span', { text: entry ? entry.type + (entry.type === 'file' ? ` (${entry.size} B)` : '') + (entry.target ? ` → ${entry.target}` : '') : 'nothing here' }),
  );
}

/**
 * Draws the page from `state`. With `panelsLater`, the panels below the matrix (path bar,
 * timeline with its controls, terminal, why, lessons) are drawn once the next frame has been
 * (`afterNextFrame`): a command's frame then holds only its engine work and the matrix.
 */
function render({ panelsLater = false } = {}) {
  if (!state.snap) return;
  performance.mark('ll-render');
  renderNotice();
  renderToolbar();
  if (!panelsLater) renderTimelineControls();
  performance.measure('ll-render-top', 'll-render');
  matrix.render(state, { quick: panelsLater });
  performance.measure('ll-render-matrix', 'll-render');
  panelsDue = true;
  if (panelsLater) afterNextFrame(() => renderPanels({ spread: true }));
  else renderPanels();
  performance.measure('ll-render-all', 'll-render');
}

/** Whether the panels have not been drawn since the last render. */
let panelsDue = false;

/**
 * Draws the panels below the matrix. With `spread` (after a typed command, from idle time),
 * the path bar, timeline (and its controls, which `render` left for now) and terminal now and
 * "why" and the lessons once the next frame has been drawn: each frame then lays out and paints
 * a part of the panels, not all of them.
 */
function renderPanels({ spread = false } = {}) {
  // A render since then drew them already, with the same or a newer state.
  if (!panelsDue || !state.snap) return;
  panelsDue = false;
  performance.mark('ll-panels');
  renderPathBar();
  if (spread) renderTimelineControls();
  timeline.render(state);
  terminal.render(state);
  // The animation playing marks its event in the timeline, which may be new.
  animator.markPlaying();
  whyDue = true;
  if (spread) afterNextFrame(renderWhyAndLessons);
  else renderWhyAndLessons();
  performance.measure('ll-render-panels', 'll-panels');
}

/** Whether "why" and the lessons have not been drawn since the last render. */
let whyDue = false;

function renderWhyAndLessons() {
  if (!whyDue || !state.snap) return;
  whyDue = false;
  explain();
  renderWhy($('#why'), state);
  renderLessons(state, lessonHandlers);
  // The intro's suggestions are for the default image; a lesson brings its own goal.
  const intro = document.querySelector('.t-intro');
  if (intro && state.lessons.lesson?.goal) intro.hidden = true;
}


// ---------------------------------------------------------------------------------------------
// Wiring: the DOM events that become actions.

const matrix = new Matrix($('#matrix'), {
  moveCursor: (c) => dispatch({ type: 'cursor', row: c.row, col: c.col }),
  toggleDir: (path) => dispatch({ type: 'toggle-dir', path }),
  // The columns beside the ones on screen after a command: in idle time once its frame is
  // drawn and its animation has ended (their style, layout and paint took one of the
  // animation's frames; a scroll meanwhile draws them at once).
  fill: (f) => afterNextFrame(() => animator.whenStill(() => requestIdleCallback(f, { timeout: 1000 }))),
});
const timeline = new Timeline($('#timeline'), $('#tl-log'), $('#tl-status'), {
  selectEvent: (seq) => dispatch({ type: 'select-event', seq }),
  selectCommand: (id) => dispatch({ type: 'select-command', id }),
});
const terminal = new Terminal($('#terminal'), {
  run: (line) => {
    if (line.trim() === '') {
      dispatch({ type: 'note', text: `root@c${state.current}:${state.cwd}#` });
      return;
    }
    stopPlaying();
    dispatch({ type: 'engine', action: { action: 'run', line } });
  },
  complete: (word) => {
    try {
      return state.lab.completions(word);
    } catch {
      return [];
    }
  },
  note: (text) => dispatch({ type: 'note', text }),
  clear: () => dispatch({ type: 'clear' }),
  selectCommand: (id) => dispatch({ type: 'select-command', id }),
});
const lessonHandlers = {
  help: (step) => dispatch({ type: 'lesson-help', step }),
  confirm: (yes) => dispatch({ type: 'lesson-confirm', yes }),
  restart: () => dispatch({ type: 'lesson-restart' }),
  leave: () => dispatch({ type: 'lesson-leave' }),
  open: (id) => openLessonById(id),
  download: () => LP?.downloadLesson(),
};
const animator = new Animator({ caption: $('#caption'), skip: $('#btn-skip'), matrix });

let playTimer = 0;
function stopPlaying() {
  if (!state.playing) return;
  state.playing = false;
  clearTimeout(playTimer);
  renderTimelineControls();
}
function playNext() {
  if (!state.playing) return;
  if (state.step >= state.total) {
    stopPlaying();
    return;
  }
  dispatch({ type: 'step', to: state.step + 1, animate: true });
  playTimer = setTimeout(playNext, 1200 / state.prefs.speed);
}

function timelineKey(e) {
  const keys = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 };
  if (e.key in keys) {
    e.preventDefault();
    stopPlaying();
    dispatch({ type: 'step', to: state.step + keys[e.key], animate: true });
  } else if (e.key === 'Home') {
    e.preventDefault();
    stopPlaying();
    dispatch({ type: 'step', to: 0 });
  } else if (e.key === 'End') {
    e.preventDefault();
    stopPlaying();
    dispatch({ type: 'step', to: state.total });
  }
}

function wire() {
  $('#timeline').addEventListener('keydown', timelineKey);
  $('#find-form').addEventListener('submit', (e) => {
    e.preventDefault();
    dispatch({ type: 'find', text: $('#find').value.trim() });
  });
  document.querySelector('.t-intro').addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button[data-line]') : null;
    if (!b) return;
    const input = $('#cmd');
    input.value = b.getAttribute('data-line');
    input.focus();
  });
  $('#tl-start').addEventListener('click', () => { stopPlaying(); dispatch({ type: 'step', to: 0 }); });
  $('#tl-back').addEventListener('click', () => { stopPlaying(); dispatch({ type: 'step', to: state.step - 1 }); });
  $('#tl-fwd').addEventListener('click', () => { stopPlaying(); dispatch({ type: 'step', to: state.step + 1, animate: true }); });
  $('#tl-end').addEventListener('click', () => { stopPlaying(); dispatch({ type: 'step', to: state.total }); });
  $('#past-return').addEventListener('click', () => { stopPlaying(); dispatch({ type: 'step', to: state.total }); });
  $('#tl-play').addEventListener('click', () => {
    if (state.playing) {
      stopPlaying();
      return;
    }
    state.playing = true;
    if (state.step >= state.total) dispatch({ type: 'step', to: 0, force: true });
    renderTimelineControls();
    playTimer = setTimeout(playNext, 400 / state.prefs.speed);
  });
  $('#speed').addEventListener('change', (e) => dispatch({ type: 'prefs', prefs: { speed: Number(e.target.value) } }));
  $('#why').addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button[data-seq]') : null;
    if (b) dispatch({ type: 'select-event', seq: Number(b.getAttribute('data-seq')) });
  });

  $('#btn-commit').addEventListener('click', () => dispatch({ type: 'engine', action: { action: 'commit', message: commitMessage() } }));
  $('#btn-new').addEventListener('click', () => dispatch({ type: 'engine', action: { action: 'new-container' } }));
  $('#btn-remove').addEventListener('click', () => dispatch({ type: 'engine', action: { action: 'remove-container', id: state.current } }));
  $('#container').addEventListener('change', (e) => {
    const id = Number(e.target.value);
    if (id !== state.current) dispatch({ type: 'engine', action: { action: 'switch', id } });
  });
  const toggle = (sel, name) => $(sel).addEventListener('change', (e) => dispatch({ type: 'engine', action: { action: 'set-options', options: { ...state.options, [name]: e.target.checked } } }));
  toggle('#opt-redirect', 'redirectDir');
  toggle('#opt-metacopy', 'metacopy');
  toggle('#opt-index', 'index');
  $('#btn-undo').addEventListener('click', () => dispatch({ type: 'undo' }));
  $('#btn-redo').addEventListener('click', () => dispatch({ type: 'redo' }));
  $('#btn-reset').addEventListener('click', () => dispatch({ type: 'reset' }));
  $('#theme').addEventListener('change', (e) => dispatch({ type: 'prefs', prefs: { theme: e.target.value } }));
  $('#opt-motion').addEventListener('change', (e) => dispatch({ type: 'prefs', prefs: { motion: e.target.checked ? 'auto' : 'off' } }));
  $('#btn-share').addEventListener('click', async () => {
    try {
      const { encodeFragment } = await loadSessionIo();
      const frag = await encodeFragment(state.lab.save());
      const url = `${location.origin}${location.pathname}#${frag}`;
      dispatch({ type: 'share', url });
      $('#share-url').select();
    } catch (e) {
      dispatch({ type: 'notice', text: `A share link could not be made: ${errorText(e)}`, tone: 'error' });
    }
  });
  for (const type of ['pointerover', 'focusin']) $('#btn-share').addEventListener(type, () => loadSessionIo().catch(() => {}), { once: true });
  $('#share-copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(state.share ?? '');
      $('#share-copy').textContent = 'copied';
    } catch {
      $('#share-url').select();
      $('#share-copy').textContent = 'press Ctrl+C';
    }
  });
  $('#share-close').addEventListener('click', () => dispatch({ type: 'share', url: null }));
  $('#btn-export').addEventListener('click', () => exportFile(state.lab.save()));
  $('#import').addEventListener('change', async (e) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    if (file.size > 8 * 1024 * 1024) {
      dispatch({ type: 'notice', text: 'That file is too large to be a session.', tone: 'error' });
      return;
    }
    try {
      await loadSessionIo();
    } catch (e) {
      dispatch({ type: 'notice', text: `The file ${file.name} could not be opened: ${errorText(e)}. Nothing was changed.`, tone: 'error' });
      return;
    }
    dispatch({ type: 'load', json: await file.text(), what: `The file ${file.name}` });
  });
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;
    if (!(e.ctrlKey || e.metaKey) || typing) return;
    const key = e.key.toLowerCase();
    if (key === 'z' || key === 'y') {
      e.preventDefault();
      dispatch({ type: key === 'y' || e.shiftKey ? 'redo' : 'undo' });
    }
  });
  reducedMotionQuery.addEventListener('change', () => render());
  wireLessons();
  // A share link pasted into this tab's address bar changes only the fragment.
  window.addEventListener('hashchange', async () => {
    const kind = hashKind(location.hash);
    if (!kind) return;
    const hash = location.hash;
    history.replaceState(null, '', location.pathname + location.search);
    if (kind.kind === 'lesson') {
      await openLessonById(kind.id);
      return;
    }
    if (kind.kind === 'lesson-data') {
      await openLessonLink(hash);
      return;
    }
    try {
      const { decodeFragment } = await loadSessionIo();
      const json = await decodeFragment(hash);
      dispatch({ type: 'load', json, what: 'This share link', message: 'Opened a shared session. Press ▶ replay in the timeline to watch it event by event.' });
    } catch (e) {
      dispatch({ type: 'notice', text: `This share link could not be opened: ${errorText(e)}. Nothing was changed.`, tone: 'error' });
    }
  });
  // A reload or a closed tab right after a command still keeps it.
  window.addEventListener('pagehide', () => {
    if (savePending && state.lab) {
      savePending = false;
      saveSession(state.lab.save());
    }
  });
}

function wireLessons() {
  $('#btn-lessons').addEventListener('click', () => dispatch({ type: 'lessons-toggle' }));
  $('#lesson-list').addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button[data-lesson]') : null;
    if (b) openLessonById(b.getAttribute('data-lesson'));
  });
  $('#btn-author').addEventListener('click', async () => {
    // Author mode is lesson-page.js's: loaded now, unless hovering or focusing the button did.
    try {
      await lessonCore();
    } catch (e) {
      dispatch({ type: 'notice', text: `Author mode could not start: ${errorText(e)}.`, tone: 'error' });
      return;
    }
    dispatch({ type: 'author-open', open: !state.lessons.authoring });
  });
  $('#au-close').addEventListener('click', () => dispatch({ type: 'author-open', open: false }));
  $('#au-start').addEventListener('click', () => dispatch({ type: 'author-start' }));
  $('#au-goal').addEventListener('click', () => dispatch({ type: 'author-goal' }));
  // The lesson engine is loaded on intent: when a lesson button or the author button is hovered
  // or focused, so a click seldom waits for it, and a visit that opens no lesson never loads it.
  for (const el of [$('#lesson-list'), $('#btn-author')]) {
    for (const type of ['pointerover', 'focusin']) el.addEventListener(type, () => loadLessonModules(), { once: true });
  }
  $('#btn-progress-export').addEventListener('click', () => {
    const { solved } = state.lessons.progress;
    downloadFile(`${JSON.stringify({ version: 1, solved }, null, 2)}\n`, 'layerlab-progress.json');
  });
  $('#progress-import').addEventListener('change', async (e) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    if (file.size > 4 * 1024 * 1024) {
      dispatch({ type: 'notice', text: `The file ${file.name} is too large to be lesson progress.`, tone: 'error' });
      return;
    }
    dispatch({ type: 'progress-import', json: await file.text(), what: `The file ${file.name}` });
  });
}

async function boot() {
  wire();
  document.documentElement.dataset.theme = state.prefs.theme;
  state.lessons.open = state.prefs.lessons !== 'closed';
  // Folded before the lessons' own module draws it, so a folded panel never flashes open.
  $('#lesson-body').hidden = !state.lessons.open;
  $('#lessons').classList.toggle('collapsed', !state.lessons.open);
  $('#btn-lessons').textContent = state.lessons.open ? 'hide' : 'show';
  $('#btn-lessons').setAttribute('aria-expanded', state.lessons.open ? 'true' : 'false');
  const loaded = loadProgress();
  state.lessons.progress = loaded.progress;
  const progressError = loaded.error;
  // The list arrives when it arrives: the page is usable without it (and draws it then), so
  // it is fetched once the page is usable, unless a lesson is being opened (which also needs
  // the lesson engine before the page is usable).
  let lessonIndex = null;
  const loadLessons = () => {
    lessonIndex ??= loadLessonIndex().then((doc) => {
      state.lessons.index = doc.lessons;
    }, (e) => {
      state.lessons.indexError = errorText(e);
    }).then(() => {
      if (document.body.dataset.ready === 'true') render();
    });
    return lessonIndex;
  };
  // A saved session or a link to read: session-io.js is fetched now, alongside the wasm. If it
  // cannot be loaded the page does not start (the saved session stays in storage, untouched).
  const link = hashKind(location.hash)?.kind;
  const io = loadSession() !== null || link === 'session' || link === 'lesson-data' ? loadSessionIo() : null;
  io?.catch(() => {});
  // The glue finds the wasm next to itself by default; in the served page it is bundled into
  // app.js (one file and one gzip stream before the page is usable), so the page names the
  // wasm's place itself, the same place in www/ and in target/site/.
  await init({ module_or_path: new URL('pkg/layerlab_bg.wasm', import.meta.url) });
  performance.mark('layerlab-wasm');
  if (io) await io;
  let built = null;
  let linkError = null;
  const kind = hashKind(location.hash);
  const lessonHash = kind && kind.kind !== 'session' ? { ...kind, hash: location.hash } : null;
  if (lessonHash) history.replaceState(null, '', location.pathname + location.search);
  const isShare = isShareHash(location.hash);
  if (isShare) {
    const hash = location.hash;
    // The link has done its job once read; a reload then restores the saved session.
    history.replaceState(null, '', location.pathname + location.search);
    try {
      const saved = validateSaved(await (await io).decodeFragment(hash));
      built = rebuild(saved);
      setNotice(`Opened a shared session: ${saved.actions.length} action${saved.actions.length === 1 ? '' : 's'} replayed. Press ▶ replay in the timeline to watch it event by event.`);
    } catch (e) {
      linkError = `This share link could not be opened: ${errorText(e)}.`;
    }
  }
  if (!built) {
    // No link, or a broken one: the session saved in this browser comes back (a broken link
    // must not cost anyone their own work), else the default scenario.
    const stored = loadSession();
    if (stored !== null) {
      try {
        built = rebuild(validateSaved(stored));
        if (linkError) setNotice(`${linkError} Your saved session is back instead.`, 'error');
      } catch (e) {
        clearSession();
        setNotice(`${linkError ? `${linkError} ` : ''}The saved session could not be restored: ${errorText(e)}. Starting fresh.`, 'error');
      }
    } else if (linkError) {
      setNotice(`${linkError} Starting from the default scenario instead.`, 'error');
    }
  }
  install(built ?? defaultLab());
  performance.mark('layerlab-engine');
  let active = state.lessons.progress.active;
  if (active || lessonHash) {
    loadLessons();
    await loadLessonModules();
  }
  if ((active || lessonHash) && !L) {
    setNotice(`The lessons could not be loaded (${lessonsError}); the page works without them.`, 'error');
    active = null;
  }
  if (active) {
    // A session from a share link is someone else's: the lesson in progress is left then.
    if (isShare) endLesson();
    else await resumeLesson(active, built !== null);
  }
  if (lessonHash) await loadLessons();
  if (L && lessonHash?.kind === 'lesson') {
    const same = state.lessons.lesson?.id === lessonHash.id && state.lessons.source === 'index';
    if (state.lessons.index && !state.lessons.index.some((l) => l.id === lessonHash.id)) {
      setNotice(`There is no lesson “${lessonHash.id.slice(0, 64)}” in the list.`, 'error');
    } else if (!same) {
      try {
        openLesson(await L.loadLesson(lessonHash.id), 'index');
      } catch (e) {
        setNotice(`The lesson “${lessonHash.id.slice(0, 64)}” could not be opened: ${errorText(e)}.`, 'error');
      }
    }
  } else if (L && lessonHash?.kind === 'lesson-data') {
    try {
      const lesson = L.parseLesson(await (await io).decodeLessonFragment(lessonHash.hash));
      openLesson(lesson, 'link', `Opened the lesson “${lesson.title}” from a link.`);
    } catch (e) {
      setNotice(`This lesson link could not be opened: ${errorText(e)}. Nothing was changed.`, 'error');
    }
  }
  // Said last, so that opening a lesson does not replace the message.
  if (progressError) setNotice(`Your lesson progress could not be read (${progressError}); it starts afresh.`, 'warn');
  refresh();
  if (built) scheduleSave();
  render();
  document.body.dataset.ready = 'true';
  performance.mark('layerlab-ready');
  loadLessons();
}

boot().catch((e) => {
  // The engine could not start at all (an old browser, a missing pkg/): say so in the page.
  const el = $('#notice');
  el.hidden = false;
  el.className = 'notice notice-error';
  el.textContent = `Layer Lab could not start: ${errorText(e)}`;
  document.body.dataset.ready = 'failed';
});
