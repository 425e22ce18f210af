// The event timeline: every event with its sentence, grouped under the command that caused
// it. Screen readers hear it through an ARIA log that gets one summary per command (the
// visible list can hold thousands of events, which nobody wants read out), and through a
// status line that reads the event of each step while stepping. Groups are kept by key and
// only new ones are appended, so re-rendering never rebuilds the past.

import { h, bytes } from './dom.js';

/** One line that sums up what a command did to the layers. */
export function summary(entry, events) {
  if (events.length === 0) {
    if (entry.kind === 'run') return entry.status === 0 ? 'no change to any layer' : `no change to any layer (exit status ${entry.status})`;
    return 'no events';
  }
  const counts = new Map();
  let copied = 0;
  for (const e of events) {
    counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
    if (e.kind === 'copy-up') copied += e.bytes;
  }
  const parts = [...counts].map(([k, n]) => (n === 1 ? `1 ${k}` : `${n} × ${k}`));
  let s = parts.join(', ');
  if (copied) s += ` · ${bytes(copied)} copied up`;
  return s;
}

/** The transcript entries of the current container with the events each one caused. */
export function groups(state) {
  const out = [];
  const events = state.events;
  for (const entry of state.transcript) {
    if (entry.kind === 'note' || entry.container !== state.current) continue;
    const list = events.slice(entry.from, Math.min(entry.to, events.length));
    out.push({ entry, events: list });
  }
  return out;
}

export class Timeline {
  constructor(list, log, status, callbacks) {
    this.list = list;
    this.log = log;
    this.status = status;
    this.announced = new Set();
    this.cb = callbacks;
    this.nodes = new Map();
    this.container = null;
    list.addEventListener('click', (e) => {
      const t = e.target instanceof Element ? e.target.closest('[data-seq]') : null;
      if (t) this.cb.selectEvent(Number(t.getAttribute('data-seq')));
      const g = e.target instanceof Element && !t ? e.target.closest('[data-cmd]') : null;
      if (g) this.cb.selectCommand(Number(g.getAttribute('data-cmd')));
    });
  }

  group(entry, events) {
    const li = h('li', { class: 'tl-group', 'data-cmd': entry.id });
    // The event items, kept so that marking a step touches only the items whose marks change.
    const items = [];
    li.llItems = items;
    li.llCmd = entry.id;
    const head = h('div', { class: 'tl-head' },
      h('span', { class: 'tl-prompt', 'aria-hidden': 'true', text: entry.kind === 'run' ? '$' : '◎' }),
      h('span', { class: 'tl-cmd', text: entry.line }),
    );
    const sum = h('div', { class: 'tl-summary', text: summary(entry, events) });
    li.append(head, sum);
    if (events.length) {
      const ol = h('ol', { class: 'tl-events' });
      // Very large commands (rm -rf of a whole tree) keep the first events visible and say
      // how many more there are; each one is still a step of the timeline.
      const shown = events.length > 400 ? events.slice(0, 400) : events;
      for (const e of shown) {
        const item = h('li', { class: 'tl-event', 'data-kind': e.kind, 'data-seq': e.seq, 'data-path': e.path, tabindex: '-1' },
          h('span', { class: 'tl-seq', text: String(e.seq) }),
          h('span', { class: `tl-kind k-${e.kind}`, text: e.kind }),
          h('span', { class: 'tl-msg', text: e.message }),
        );
        item.llSeq = e.seq;
        item.llMarks = '';
        items.push(item);
        ol.append(item);
      }
      if (shown.length < events.length) {
        ol.append(h('li', { class: 'tl-more', text: `… and ${events.length - shown.length} more event${events.length - shown.length === 1 ? '' : 's'}` }));
      }
      li.append(ol);
    }
    li.dataset.count = String(events.length);
    return li;
  }

  render(state) {
    const gs = groups(state);
    const list = this.list;
    if (this.container !== state.current) {
      // Another container's history: replace it all, marked busy so it is not read out.
      list.setAttribute('aria-busy', 'true');
      list.replaceChildren();
      this.nodes.clear();
      this.container = state.current;
    }
    const want = new Set(gs.map((g) => g.entry.id));
    for (const [id, node] of this.nodes) {
      if (!want.has(id)) {
        node.remove();
        this.nodes.delete(id);
      }
    }
    let appended = false;
    for (const g of gs) {
      const old = this.nodes.get(g.entry.id);
      if (old && old.dataset.count === String(g.events.length)) continue;
      const node = this.group(g.entry, g.events);
      if (old) old.replaceWith(node);
      else {
        list.append(node);
        appended = true;
      }
      this.nodes.set(g.entry.id, node);
    }
    // One summary per new command in the log; a session loaded at once is not read out.
    const fresh = gs.filter((g) => !this.announced.has(g.entry.id));
    for (const g of fresh) this.announced.add(g.entry.id);
    if (fresh.length === 1 && state.step === state.total) {
      const g = fresh[0];
      this.log.append(h('p', { text: `${g.entry.line}: ${summary(g.entry, g.events)}` }));
      while (this.log.childElementCount > 20) this.log.firstElementChild.remove();
    }
    // A new command scrolls into view, as in a terminal.
    // Scrolling after the frame's layout, so that drawing the command forces no extra layout.
    if (appended && state.step === state.total) requestAnimationFrame(() => { list.scrollTop = list.scrollHeight; });
    list.removeAttribute('aria-busy');
    this.mark(state);
  }

  /**
   * Marks done, current and future events for the step, and the related ones. Only items
   * whose marks change are written, so a command in a long session costs its own events.
   */
  mark(state) {
    const step = state.step;
    const related = state.related;
    for (const node of this.nodes.values()) {
      node.classList.toggle('related', !!related && related.commands.has(node.llCmd));
      for (const ev of node.llItems) {
        const seq = ev.llSeq;
        const marks = `${seq > step ? 'f' : ''}${seq === step ? 'c' : ''}${related && related.seqs.has(seq) ? 'r' : ''}`;
        if (marks === ev.llMarks) continue;
        ev.llMarks = marks;
        ev.classList.toggle('future', seq > step);
        ev.classList.toggle('current', seq === step);
        ev.classList.toggle('related', !!related && related.seqs.has(seq));
        if (seq === step) ev.setAttribute('aria-current', 'step');
        else ev.removeAttribute('aria-current');
      }
    }
  }

  /** Says which event the layers now show, after a step. */
  announce(state) {
    const e = state.events[state.step - 1];
    this.status.textContent = state.step === 0
      ? `Step 0 of ${state.total}: before the first event.`
      : `Step ${state.step} of ${state.total}: ${e ? e.message : ''}`;
  }

  /** Scrolls the current step's event into view. */
  reveal(step) {
    const ev = this.list.querySelector(`[data-seq="${step}"]`);
    if (ev) ev.scrollIntoView({ block: 'nearest' });
  }
}
