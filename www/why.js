// "Why": for the selected path, the layer that wins and what it masks, and by what; the
// events at that path and the commands that caused them.

import { h, bytes } from './dom.js';
import { layerTag } from './matrix.js';

const ROLE_TEXT = {
  wins: 'wins',
  merged: 'merges',
  deletes: 'deletes',
  masked: 'masked',
  absent: 'absent',
};

function layerName(index, imageCount) {
  return index === imageCount ? 'the container layer' : `layer ${index}`;
}

export function renderWhy(root, state) {
  const sel = state.selection;
  const ex = state.explain;
  if (!sel || !ex) {
    root.replaceChildren(
      h('h2', { text: 'Why?' }),
      h('p', { class: 'why-empty', text: 'Select a cell in the matrix (click it, or move with the arrow keys) to see which layer wins at that path and what it hides.' }),
    );
    return;
  }
  const n = state.snap.imageCount;
  const title = h('h2', {}, 'Why ', h('code', { class: 'why-path', text: ex.path }), '?');
  let verdict;
  if (ex.winner === null || ex.winner === undefined) {
    const blocker = ex.cells.find((c) => c.role === 'deletes');
    const hidden = ex.cells.find((c) => c.role === 'masked');
    if (blocker) verdict = `Nothing is visible here: ${layerName(blocker.layer, n)} deletes it.`;
    else if (hidden) verdict = `Nothing is visible here: ${layerName(hidden.layer, n)} has it, ${hidden.reason}.`;
    else verdict = 'Nothing is visible here: no layer holds this path.';
  } else {
    const info = state.snap.layers.find((l) => l.index === ex.winner);
    verdict = `${layerName(ex.winner, n)[0].toUpperCase()}${layerName(ex.winner, n).slice(1)} wins${info && ex.winner !== n ? ` (${info.createdBy})` : ''}.`;
  }
  const list = h('ol', { class: 'why-cells' });
  for (const c of ex.cells) {
    const tag = layerTag(c.layer, n);
    list.append(h('li', { class: `why-cell role-${c.role}`, 'data-layer-index': c.layer },
      h('span', { class: `tag ${tag === 'C' ? 'tag-c' : 'tag-l'}`, text: tag }),
      h('span', { class: `why-state s-${c.state}`, text: c.state === 'none' ? '—' : c.state + (c.state === 'file' ? ` ${bytes(c.size)}` : '') }),
      h('span', { class: `why-role`, text: ROLE_TEXT[c.role] ?? c.role }),
      h('span', { class: 'why-reason', text: c.reason }),
    ));
  }
  const parts = [title, h('p', { class: 'why-verdict', text: verdict }), list];
  const evs = state.events.filter((e) => e.path === ex.path || e.to === ex.path).slice(-12);
  if (evs.length) {
    const ul = h('ul', { class: 'why-events' });
    for (const e of evs) {
      ul.append(h('li', { 'data-seq': e.seq, class: e.seq > state.step ? 'future' : '' },
        h('button', { type: 'button', class: 'linkish', 'data-seq': e.seq, text: `#${e.seq} ${e.kind}` }),
        ' ',
        h('span', { text: e.message })));
    }
    parts.push(h('h3', { text: 'Events at this path' }), ul);
  }
  if (state.preview !== null && state.preview !== undefined) {
    parts.push(h('h3', { text: 'Content (merged view)' }), h('pre', { class: 'why-content', text: state.preview }));
  }
  const masked = state.maskedPreview;
  if (masked) {
    parts.push(h('h3', { text: `Content in ${layerName(masked.layer, n)} (masked)` }), h('pre', { class: 'why-content why-masked', text: masked.text }));
  }
  root.replaceChildren(...parts);
}
