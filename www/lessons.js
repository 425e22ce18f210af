// The open lesson in the lessons panel: its text, goal, live status and help in steps. It draws
// from the page's state and calls back for every action; the list is lesson-list.js's, the
// checks are in lesson-core.js. Loaded with lesson-core.js when a lesson is opened.

import { h } from './dom.js';
import { parseScript, describeStep } from './lesson-core.js';

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

/** Draws the open lesson `ls.lesson` into `main` (its text, goal, status and help) and says `ls.announce` in `live`. */
export function drawLesson(ls, on, main, live) {
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
