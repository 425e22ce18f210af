// The page's side of lessons, moved out of app.js so that a plain visit does not fetch it:
// opening a lesson (a fresh engine at its start, the learner's session put aside), checking the
// goal after every change, help in steps, leaving, resuming after a reload, and author mode
// (record a solution, take a goal, try, download or share the lesson). app.js loads this module,
// and with it lesson-core.js and lessons.js, when a lesson is opened, a lesson link is followed,
// a lesson in progress comes back, or author mode starts; then it hands over its state and the
// functions these need (`attach`). Every change still goes through app.js's dispatch.

import * as L from './lesson-core.js';
import { drawLesson } from './lessons.js';
import { validateSaved } from './saved.js';
import { encodeLessonFragment } from './share.js';
import { clearSession, stashFreeSession, loadFreeSession, downloadFile } from './storage.js';

export { drawLesson };
export const core = L;

const $ = (sel) => document.querySelector(sel);

// What app.js hands over (`attach`): its one state object and the functions of its own that
// the lesson flow calls.
let state;
let dispatch;
let rebuild;
let install;
let defaultLab;
let refresh;
let scheduleSave;
let setNotice;
let note;
let errorText;
let saveLessonState;
let resetAttempt;
let endLesson;
let getFreeSession;
let setFreeSession;
let LayerLab;

/** Takes app.js's state and functions, and wires the author form's buttons. Called once. */
export function attach(app) {
  ({
    state, dispatch, rebuild, install, defaultLab, refresh, scheduleSave, setNotice, note, errorText,
    saveLessonState, resetAttempt, endLesson, getFreeSession, setFreeSession, LayerLab,
  } = app);
  wireAuthor();
}

function evalGoal() {
  try {
    return L.checkGoal(state.lab, state.lessons.lesson);
  } catch (e) {
    return { met: false, differences: [`the state could not be read: ${errorText(e)}`] };
  }
}

/** Checks the learner's state against the open lesson's goal; announces a goal newly met. */
export function checkLesson() {
  const ls = state.lessons;
  if (!ls.lesson || !ls.lesson.goal || !state.lab) return;
  const r = evalGoal();
  const was = ls.met;
  ls.met = r.met;
  ls.differences = r.differences;
  if (r.met && !was) {
    const id = ls.lesson.id;
    ls.solvedBefore = Object.hasOwn(ls.progress.solved, id);
    if (ls.peeked) {
      ls.announce = ls.solvedBefore
        ? 'Goal met (with the solution shown; the lesson was already solved before).'
        : 'Goal met, but with the solution shown, so the lesson is not marked solved. Restart it to solve it on your own.';
    } else {
      // Only lessons of the list count in the progress: a lesson from a link could carry any id.
      if (ls.source === 'index') {
        Object.defineProperty(ls.progress.solved, id, { value: { title: ls.lesson.title, at: new Date().toISOString() }, enumerable: true, writable: true, configurable: true });
      }
      ls.announce = `Goal met: “${ls.lesson.title}” is solved.`;
      saveLessonState();
    }
  } else if (!r.met && was) {
    ls.announce = 'The goal is no longer met.';
  }
}

/**
 * Starts a lesson: a fresh engine at its start (the setup replayed as actions, so undo and the
 * transcript see them). The free session is put aside the first time, to come back on leave.
 */
export function openLesson(lesson, source, message, { restart = false } = {}) {
  let built;
  try {
    const scenario = L.scenarioOf(lesson);
    const actions = L.parseScript(lesson.start.setup ?? '', 'the setup').map((s) => s.action);
    built = rebuild({ base: scenario.layers, options: scenario.options, actions });
  } catch (e) {
    setNotice(`The lesson “${lesson.title}” could not be started: ${errorText(e)}. Nothing was changed.`, 'error');
    return false;
  }
  const ls = state.lessons;
  let stashed = true;
  if (!ls.lesson && state.lab) {
    // Kept in this tab and in storage: leaving the lesson brings it back, even after a reload.
    setFreeSession(state.lab.save());
    stashed = stashFreeSession(getFreeSession());
  }
  install(built);
  ls.lesson = lesson;
  ls.opened += 1;
  ls.source = source;
  ls.open = true;
  ls.authoring = false;
  resetAttempt();
  note(`Lesson: ${lesson.title}.${lesson.start.setup ? ' The lines above set it up.' : ''}${lesson.goal ? ` Goal: ${lesson.goal.text}` : ''}`);
  // A goal met at the start (a careless authored lesson) is shown, but nothing is solved by it.
  if (lesson.goal) Object.assign(ls, evalGoal());
  ls.announce = restart ? 'Restarted the lesson.' : `Started the lesson “${lesson.title}”.`;
  refresh();
  saveLessonState();
  clearSession();
  scheduleSave();
  setNotice(stashed ? message ?? null : 'This browser would not store your session while the lesson runs (storage is full or switched off): leaving the lesson brings it back, but a reload before that loses it.', stashed ? 'info' : 'warn');
  return true;
}

/** Leaves the lesson: the session put aside when it started comes back. */
export function leaveLesson() {
  const ls = state.lessons;
  if (!ls.lesson) return;
  const title = ls.lesson.title;
  endLesson();
  const free = getFreeSession() ?? loadFreeSession();
  setFreeSession(null);
  stashFreeSession(null);
  let built = null;
  if (free !== null) {
    try {
      built = rebuild(validateSaved(free));
    } catch (e) {
      setNotice(`Left “${title}”. The session from before could not be restored (${errorText(e)}); starting from the default scenario.`, 'warn');
    }
  }
  install(built ?? defaultLab());
  if (built) setNotice(`Left “${title}”: your session from before is back.`);
  else if (free === null) setNotice(`Left “${title}”. There was no earlier session to bring back, so this is the default scenario.`);
  refresh();
  scheduleSave();
}

export function lessonHelp(step) {
  const ls = state.lessons;
  if (!ls.lesson) return;
  if (step === 'hint' || step === 'next-hint') {
    ls.hints = Math.min(ls.hints + 1, ls.lesson.hints.length);
    ls.announce = `Hint ${ls.hints}: ${ls.lesson.hints[ls.hints - 1]}`;
  } else if (step === 'goal') {
    ls.goalShown = true;
    ls.announce = 'The goal is shown below, with what still differs.';
  } else if (step === 'solution') {
    ls.confirming = true;
  }
  saveLessonState();
}

// ---------------------------------------------------------------------------------------------
// Author mode: start from the current state, record a solution, set the goal from the result.

/** A toolbar toggle sends every option; a recorded step keeps only the ones it changed. */
export function changedOnly(action, previous) {
  if (action.action !== 'set-options') return action;
  const options = {};
  for (const [k, v] of Object.entries(action.options)) if (previous[k] !== v) options[k] = v;
  return Object.keys(options).length ? { action: 'set-options', options } : action;
}

/** Appends a step to the recorded solution; returns its line (kept on the transcript entry). */
export function recordStep(action) {
  let line;
  try {
    line = L.actionLine(action);
  } catch {
    return undefined;
  }
  recordLine(line);
  return line;
}

export function recordLine(line) {
  const box = $('#au-solution');
  box.value = `${box.value}${box.value === '' || box.value.endsWith('\n') ? '' : '\n'}${line}\n`;
}

/** Takes an undone step off the end of the recorded solution, if it is still there. */
export function unrecordStep(line) {
  const box = $('#au-solution');
  if (line === undefined) return;
  const lines = box.value.replace(/\n$/, '').split('\n');
  if (lines[lines.length - 1] === line) {
    lines.pop();
    box.value = lines.length ? `${lines.join('\n')}\n` : '';
  }
}

export function authorStart() {
  if (!L) return;
  let saved;
  try {
    saved = validateSaved(state.lab.save());
  } catch (e) {
    $('#au-error').textContent = `The current state cannot be a start: ${errorText(e)}`;
    return;
  }
  const opts = saved.options ?? {};
  state.author.start = {
    layers: saved.base.map((l) => ({ created_by: l.createdBy, script: l.script })),
    options: { redirect_dir: !!opts.redirectDir, metacopy: !!opts.metacopy, index: !!opts.index },
    setup: saved.actions.map((a) => L.actionLine(a)).join('\n'),
  };
  state.author.recording = true;
  state.author.goal = null;
  $('#au-solution').value = '';
  $('#au-error').textContent = '';
  $('#au-start-status').textContent = `Start set: ${saved.base.length} image layer${saved.base.length === 1 ? '' : 's'} and ${saved.actions.length} earlier action${saved.actions.length === 1 ? '' : 's'}. Recording what you do now…`;
  $('#au-goal-status').textContent = 'No goal yet: a lesson without one is a sandbox.';
}

function parseIgnore(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

export function authorGoal() {
  const err = $('#au-error');
  if (!state.author.start) {
    err.textContent = 'Press “Start from the current state” first: a goal needs a start.';
    return;
  }
  const compare = $('#au-compare').value;
  const ignore = parseIgnore($('#au-ignore').value);
  for (const x of ignore) {
    if (!L.IGNORABLE.includes(x) && !x.startsWith('/')) {
      err.textContent = `“${x}” cannot be ignored: name a field (${L.IGNORABLE.join(', ')}) or a path.`;
      return;
    }
  }
  try {
    state.author.goal = { compare, ignore, state: JSON.parse(JSON.stringify(L.snapshot(state.lab, compare, ignore))) };
  } catch (e) {
    err.textContent = `The goal could not be taken: ${errorText(e)}`;
    return;
  }
  state.author.recording = false;
  err.textContent = '';
  const n = (t) => (t ? Object.keys(t).length : 0);
  const g = state.author.goal.state;
  $('#au-goal-status').textContent = `Goal set from the current state (${compare}): ${g.merged ? `${n(g.merged)} merged paths` : ''}${g.merged && g.container ? ', ' : ''}${g.container ? `${n(g.container)} container-layer entries, ${g.layers.length} image layers` : ''}. Recording stopped.`;
}

/** The lesson the author's form describes, validated; throws with a plain message. */
function authoredLesson() {
  const a = state.author;
  if (!a.start) throw new Error('press “Start from the current state” first');
  const title = $('#au-title').value.trim();
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '');
  const id = $('#au-id').value.trim() || slug || 'my-lesson';
  const goalText = $('#au-goal-text').value.trim();
  if (a.goal && !goalText) throw new Error('write what the goal is, in plain words');
  return L.validateLesson({
    version: 1,
    id,
    title: title || 'My lesson',
    summary: $('#au-summary').value.trim(),
    start: a.start,
    goal: a.goal ? { text: goalText, compare: a.goal.compare, ignore: a.goal.ignore, state: a.goal.state } : null,
    solution: $('#au-solution').value,
    wrong: $('#au-wrong').value,
    hints: $('#au-hints').value.split('\n').map((x) => x.trim()).filter(Boolean),
  });
}

/** Brings back the lesson that was open before a reload, on the restored session. */
export async function resumeLesson(active, sessionRestored) {
  let lesson;
  try {
    lesson = active.source === 'index' ? await L.loadLesson(active.id) : L.validateLesson(active.lesson);
  } catch (e) {
    endLesson();
    setNotice(`The lesson you were in could not be reopened: ${errorText(e)}.`, 'warn');
    return;
  }
  if (!sessionRestored) {
    // Still in the lesson: the session put aside when it began stays put aside.
    state.lessons.lesson = lesson;
    openLesson(lesson, active.source, `Your work in “${lesson.title}” could not be restored, so the lesson starts again.`);
    return;
  }
  const ls = state.lessons;
  ls.lesson = lesson;
  ls.opened += 1;
  ls.source = active.source;
  resetAttempt();
  Object.assign(ls, { peeked: active.peeked, hints: Math.min(active.hints, lesson.hints.length), goalShown: active.goalShown });
  if (lesson.goal) Object.assign(ls, evalGoal());
  ls.solvedBefore = Object.hasOwn(ls.progress.solved, lesson.id);
}

function lessonJson(lesson) {
  return `${JSON.stringify(lesson, null, 2)}\n`;
}

/** Offers the open lesson as a JSON file (a lesson from a link or the author's draft). */
export function downloadLesson() {
  const l = state.lessons.lesson;
  if (l) downloadFile(lessonJson(l), `${l.id}.json`);
}

function wireAuthor() {
  // A lesson leaves the page only once its solution is shown to reach its goal (and its wrong
  // solution not to) on a fresh lab, so no one shares a lesson that cannot be solved.
  const authored = ({ verify = true } = {}) => {
    try {
      const lesson = authoredLesson();
      const problems = verify ? L.verifyLesson(LayerLab, lesson) : [];
      if (problems.length) throw new Error(problems.join('; '));
      $('#au-error').textContent = '';
      return lesson;
    } catch (e) {
      $('#au-error').textContent = `The lesson is not ready: ${errorText(e)}.`;
      return null;
    }
  };
  $('#au-try').addEventListener('click', () => {
    const lesson = authored({ verify: false });
    if (lesson) dispatch({ type: 'lesson-open', lesson, source: 'author', message: `Trying your lesson “${lesson.title}”. Leave it to come back to your session.` });
  });
  $('#au-download').addEventListener('click', () => {
    const lesson = authored();
    if (lesson) downloadFile(lessonJson(lesson), `${lesson.id}.json`);
  });
  $('#au-share').addEventListener('click', async () => {
    const lesson = authored();
    if (!lesson) return;
    try {
      const frag = await encodeLessonFragment(JSON.stringify(lesson));
      const out = $('#au-link');
      out.hidden = false;
      out.value = `${location.origin}${location.pathname}#${frag}`;
      out.select();
    } catch (e) {
      $('#au-error').textContent = `A link could not be made: ${errorText(e)}.`;
    }
  });
}
