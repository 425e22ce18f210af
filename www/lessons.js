// The lessons panel: the list of lessons with solved marks, the open lesson (its text, goal,
// live status and help in steps) and the author's form. It draws from the page's state and
// calls back for every action; the checks themselves are in lesson-core.js.

import { h } from './dom.js';
import { parseScript, describeStep } from './lesson-core.js';

const $ = (sel) => document.querySelector(sel);

/** What the help button offers next: a hint, another, the goal, the solution, or nothing. */
export function nextHelp(ls) {
  const lesson = ls.lesson;
  if (!lesson || !lesson.goal) return null;
  if (ls.hints < lesson.hints.length) return ls.hints === 0 ? 'hint' : 'next-hint';
  if (!ls.goalShown) return 'goal';
  if (!ls.peeked) return 'solution';
  return null;
}

/** The lesson after the open one in the list, if it is from the list. */
function nextLesson(ls) {
  if (ls.source !== 'index' || !ls.index) return null;
  const i = ls.index.findIndex((l) => l.id === ls.lesson.id);
  return i >= 0 && i + 1 < ls.index.length ? ls.index[i + 1] : null;
}

const HELP_LABEL = {
  hint: 'Give me a hint',
  'next-hint': 'Another hint',
  goal: 'Show the goal',
  solution: 'Show the solution…',
};

function entryText(path, e) {
  const kind = e.type === 'opaque' ? 'opaque dir' : e.type === 'dir' ? 'dir' : e.type;
  const bits = [kind];
  if (e.mode) bits.push(e.mode);
  if (e.size !== undefined) bits.push(`${e.size} B`);
  if (e.metacopy) bits.push('metadata only');
  if (e.target) bits.push(`→ ${e.target}`);
  if (e.redirect) bits.push(`redirect → ${e.redirect}`);
  return `${path} (${bits.join(', ')})`;
}

function goalDetails(lesson, differences) {
  const s = lesson.goal.state;
  const parts = [];
  const list = (title, tree) => {
    const paths = Object.keys(tree);
    const items = paths.slice(0, 40).map((p) => h('li', { text: entryText(p, tree[p]) }));
    if (paths.length > 40) items.push(h('li', { class: 'muted', text: `… and ${paths.length - 40} more` }));
    if (paths.length === 0) items.push(h('li', { class: 'muted', text: 'empty' }));
    parts.push(h('div', { class: 'goal-tree' }, h('h4', { text: title }), h('ul', {}, items)));
  };
  if (s.container) list('The goal’s container layer', s.container);
  if (s.layers && s.layers.length) list(`The goal’s top image layer (layer ${s.layers.length - 1} of ${s.layers.length})`, s.layers[s.layers.length - 1]);
  if (s.containers) parts.push(h('p', { class: 'goal-note', text: `Containers in the goal: ${s.containers.map((c) => `c${c.id}${c.current ? ' (current)' : ''}`).join(', ')}.` }));
  if (s.merged && !s.container) list('The goal’s merged view', s.merged);
  const diffs = differences.slice(0, 12).map((d) => h('li', { text: d }));
  if (differences.length > 12) diffs.push(h('li', { class: 'muted', text: `… and ${differences.length - 12} more` }));
  return h('div', { class: 'help-box goal-box' },
    h('h4', { text: differences.length ? 'Still different from the goal' : 'Nothing differs from the goal' }),
    differences.length ? h('ul', { class: 'diffs' }, diffs) : null,
    ...parts);
}

function solutionBox(lesson) {
  let steps;
  try {
    steps = parseScript(lesson.solution);
  } catch {
    steps = [];
  }
  return h('div', { class: 'help-box solution-box' },
    h('h4', { text: 'A solution' }),
    h('ol', { class: 'solution-steps' }, steps.map((s) => h('li', {},
      s.kind === 'run' ? h('code', { text: s.line }) : h('span', { class: 'action-step', text: describeStep(s) })))));
}

/** Draws the lessons panel from `state.lessons` (and the author form's status). */
let drawn = '';

export function renderLessons(state, on) {
  const ls = state.lessons;
  // The panel changes only with the lesson state: a command that changes nothing of it (most
  // timeline steps, every animation frame's render) leaves the DOM alone.
  const key = JSON.stringify([ls.open, ls.authoring, ls.index?.length ?? -1, ls.indexError, Object.keys(ls.progress.solved),
    ls.opened, ls.source, ls.met, ls.differences, ls.hints, ls.goalShown, ls.peeked, ls.confirming, ls.solvedBefore, ls.announce]);
  if (key === drawn) return;
  drawn = key;
  const panel = $('#lessons');
  const focused = document.activeElement?.id;
  panel.classList.toggle('collapsed', !ls.open);
  const toggle = $('#btn-lessons');
  toggle.setAttribute('aria-expanded', ls.open ? 'true' : 'false');
  toggle.textContent = ls.open ? 'hide' : 'show';
  $('#lesson-body').hidden = !ls.open;
  $('#lesson-body').classList.toggle('browsing', !ls.lesson && !ls.authoring);
  const solvedCount = ls.index ? ls.index.filter((l) => l.goal && Object.hasOwn(ls.progress.solved, l.id)).length : 0;
  const goalLessons = ls.index ? ls.index.filter((l) => l.goal).length : 0;
  $('#lesson-count').textContent = ls.lesson
    ? `in lesson: ${ls.lesson.title}${ls.met ? ' · goal met ✓' : ''}`
    : ls.index ? `${solvedCount} of ${goalLessons} solved` : '';

  // The list.
  const list = $('#lesson-list');
  if (ls.indexError) {
    list.replaceChildren(h('li', { class: 'lesson-error', text: `The lessons could not be loaded: ${ls.indexError}` }));
  } else if (ls.index) {
    list.replaceChildren(...ls.index.map((l, i) => {
      const solved = !!ls.progress.solved[l.id];
      const current = ls.lesson?.id === l.id && ls.source === 'index';
      return h('li', {}, h('button', {
        type: 'button',
        class: `lesson-item${current ? ' current' : ''}${solved ? ' solved' : ''}`,
        'data-lesson': l.id,
        'aria-current': current ? 'true' : null,
        title: solved ? 'solved' : 'not solved yet',
      },
      h('span', { class: `li-num${l.goal ? '' : ' li-free'}`, text: l.goal ? String(i + 1) : '∞', 'aria-hidden': l.goal ? null : 'true' }),
      h('span', { class: 'li-title', text: l.title }),
      h('span', { class: 'li-mark', 'aria-label': solved ? 'solved' : 'not solved', text: solved ? '✓' : '' })));
    }));
  } else {
    list.replaceChildren(h('li', { class: 'muted', text: 'Loading the lessons…' }));
  }

  // The open lesson.
  const main = $('#lesson-main');
  $('#author').hidden = !ls.authoring;
  main.hidden = ls.authoring;
  const live = $('#lesson-live');
  if (!ls.lesson) {
    main.replaceChildren(
      h('h3', { class: 'lesson-title', text: 'Learn how image layers work, one goal at a time' }),
      h('p', { class: 'lesson-summary', text: 'Each lesson starts a fresh container on an image made for it and sets a goal to reach with the terminal and the toolbar; the page checks your layers after every command. Your own session is put aside and comes back when you leave the lesson.' }),
    );
    live.textContent = '';
  } else {
    const lesson = ls.lesson;
    const children = [];
    children.push(h('div', { class: 'lesson-head' },
      h('h3', { class: 'lesson-title', text: lesson.title }),
      ls.source === 'index' ? null : h('span', { class: 'lesson-origin', text: ls.source === 'link' ? 'from a link' : 'your draft' })));
    if (lesson.summary) children.push(h('p', { class: 'lesson-summary', text: lesson.summary }));
    if (lesson.goal) {
      const status = ls.met
        ? (ls.peeked && !ls.solvedBefore ? 'Goal met, with the solution shown: not marked solved. Restart to solve it yourself.' : 'Goal met. Lesson solved!')
        : 'Not yet: the page checks after every command.';
      children.push(h('div', { class: `goal${ls.met ? ' met' : ''}` },
        h('div', { class: 'goal-label', text: 'Goal' }),
        h('p', { class: 'goal-text', text: lesson.goal.text }),
        h('p', { id: 'goal-status', class: 'goal-status', text: `${ls.met ? '✓ ' : ''}${status}` })));
    } else {
      children.push(h('div', { class: 'goal' }, h('div', { class: 'goal-label', text: 'No goal' }), h('p', { class: 'goal-text', text: 'This one is a sandbox: nothing to reach, nothing to check. Explore.' })));
    }
    const next = ls.met ? null : nextHelp(ls);
    const tools = h('div', { class: 'lesson-actions' },
      next ? h('button', { type: 'button', id: 'lesson-help', class: 'primary', text: HELP_LABEL[next], onclick: () => on.help(next) }) : null,
      ls.met && nextLesson(ls) ? h('button', { type: 'button', id: 'lesson-next', class: 'primary', text: 'next lesson →', title: nextLesson(ls).title, onclick: () => on.open(nextLesson(ls).id) }) : null,
      h('button', { type: 'button', id: 'lesson-restart', text: 'restart lesson', onclick: on.restart }),
      h('button', { type: 'button', id: 'lesson-leave', text: 'leave lesson', onclick: on.leave }),
      ls.source !== 'index' ? h('button', { type: 'button', id: 'lesson-download', text: 'download JSON', onclick: on.download }) : null);
    children.push(tools);
    if (ls.confirming) {
      children.push(h('div', { class: 'help-box confirm', role: 'group', 'aria-label': 'Show the solution?' },
        h('p', { text: 'Show the solution? If you then reach the goal, this attempt is not marked solved (restart the lesson to solve it on your own).' }),
        h('button', { type: 'button', id: 'solution-yes', class: 'primary', text: 'Show it', onclick: () => on.confirm(true) }),
        h('button', { type: 'button', id: 'solution-no', text: 'Not yet', onclick: () => on.confirm(false) })));
    }
    if (ls.hints > 0) {
      children.push(h('div', { class: 'help-box hints' }, h('h4', { text: 'Hints' }), h('ol', {}, lesson.hints.slice(0, ls.hints).map((t) => h('li', { text: t })))));
    }
    if (ls.goalShown && lesson.goal) children.push(goalDetails(lesson, ls.differences));
    if (ls.peeked && lesson.goal) children.push(solutionBox(lesson));
    main.replaceChildren(...children);
    live.textContent = ls.announce;
  }
  if (focused) {
    const again = document.getElementById(focused);
    if (again && document.activeElement !== again) again.focus();
  }
}
