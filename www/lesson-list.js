// The lessons panel's list: the lessons of www/lessons/index.json with solved marks, the
// panel's fold and count, and its introduction while no lesson is open. Small, and without the
// lesson engine: a plain visit lists the lessons with this alone; lessons.js draws an open
// lesson and is loaded, with lesson-core.js, when one is opened.

import { h } from './dom.js';

const $ = (sel) => document.querySelector(sel);

let drawn = '';

/**
 * Draws the lessons panel from `state.lessons`: the list, and with no lesson open the panel's
 * introduction. An open lesson is drawn by `drawLesson` (lessons.js, loaded with the lesson
 * engine: a lesson cannot be open before it is there).
 */
export function renderLessons(state, on, drawLesson) {
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

  // The open lesson, or the introduction.
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
    drawLesson(ls, on, main, live);
  }
  if (focused) {
    const again = document.getElementById(focused);
    if (again && document.activeElement !== again) again.focus();
  }
}
