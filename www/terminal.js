// The terminal: a transcript of what was run and what it printed, and one input line with
// history (up and down arrows) and tab completion of paths, as in bash.

import { h } from './dom.js';

/** The word under the cursor: where it starts and what it is. */
export function wordAt(line, pos) {
  let start = pos;
  while (start > 0 && !/\s/.test(line[start - 1])) start -= 1;
  return { start, word: line.slice(start, pos) };
}

/** The longest prefix shared by every string. */
export function commonPrefix(list) {
  if (list.length === 0) return '';
  let p = list[0];
  for (const s of list) {
    let i = 0;
    while (i < p.length && i < s.length && p[i] === s[i]) i += 1;
    p = p.slice(0, i);
  }
  return p;
}

/** The commands the engine's shell offers, for completing the first word. */
export const COMMANDS = ['cat', 'cd', 'chmod', 'chown', 'cp', 'echo', 'exit', 'false', 'head', 'ln', 'ls', 'mkdir', 'mv', 'printf', 'pwd', 'readlink', 'rm', 'rmdir', 'stat', 'tail', 'test', 'touch', 'true', 'truncate', 'umask', 'wc'];

/** Output as the terminal shows it: without its last newline, and at most 32 000 characters
 * (a `cat` of a large file would otherwise make the page crawl). */
export function clip(text) {
  const t = text.replace(/\n$/, '');
  return t.length > 32000 ? `${t.slice(0, 32000)}\n… ${t.length - 32000} more characters not shown` : t;
}

export class Terminal {
  constructor(root, callbacks) {
    this.cb = callbacks;
    this.out = root.querySelector('.term-out');
    this.form = root.querySelector('form');
    this.input = root.querySelector('input[aria-label="command"]');
    this.prompt = root.querySelector('.prompt');
    this.nodes = new Map();
    this.history = [];
    this.pos = 0;
    this.draft = '';
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const line = this.input.value;
      if (line.trim() !== '') {
        if (this.history[this.history.length - 1] !== line) this.history.push(line);
        if (this.history.length > 500) this.history.shift();
      }
      this.pos = this.history.length;
      this.draft = '';
      this.input.value = '';
      this.cb.run(line);
    });
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.out.addEventListener('click', (e) => {
      const t = e.target instanceof Element ? e.target.closest('[data-cmd]') : null;
      if (t) this.cb.selectCommand(Number(t.getAttribute('data-cmd')));
    });
  }

  setHistory(lines) {
    this.history = lines.slice(-500);
    this.pos = this.history.length;
  }

  onKey(e) {
    if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
      if (this.history.length === 0) return;
      e.preventDefault();
      if (this.pos === this.history.length) this.draft = this.input.value;
      this.pos = Math.max(0, Math.min(this.history.length, this.pos + (e.key === 'ArrowUp' ? -1 : 1)));
      this.input.value = this.pos === this.history.length ? this.draft : this.history[this.pos];
      const end = this.input.value.length;
      this.input.setSelectionRange(end, end);
    } else if (e.key === 'Tab' && !e.shiftKey) {
      const line = this.input.value;
      const cursor = this.input.selectionStart ?? line.length;
      const { start, word } = wordAt(line, cursor);
      // The first word of a command is a command name (after ; && || too), as in bash.
      const before = line.slice(0, start).trimEnd();
      const first = (before === '' || /(;|&&|\|\|)$/.test(before)) && !word.includes('/');
      if (first && word === '') return;
      e.preventDefault();
      const options = first ? COMMANDS.filter((c) => c.startsWith(word)) : this.cb.complete(word);
      if (options.length === 0) return;
      let replacement = options.length === 1 ? options[0] : commonPrefix(options);
      if (options.length === 1 && !replacement.endsWith('/')) replacement += ' ';
      if (replacement.length > word.length) {
        this.input.value = line.slice(0, start) + replacement + line.slice(cursor);
        const at = start + replacement.length;
        this.input.setSelectionRange(at, at);
      } else if (options.length > 1) {
        this.cb.note(options.map((o) => o.replace(/\/$/, '').split('/').pop() + (o.endsWith('/') ? '/' : '')).join('  '));
      }
    } else if (e.key === 'l' && e.ctrlKey) {
      e.preventDefault();
      this.cb.clear();
    }
  }

  entryNode(entry, state) {
    const node = h('div', { class: `t-entry t-${entry.kind}`, 'data-cmd': entry.id });
    if (entry.kind === 'note') {
      node.append(h('div', { class: `t-note${entry.tone === 'error' ? ' t-err' : ''}`, text: entry.text }));
      return node;
    }
    if (entry.kind === 'run') {
      node.append(h('div', { class: 't-line' },
        h('span', { class: 't-prompt', text: `root@c${entry.container}:${entry.cwd}# ` }),
        h('span', { class: 't-cmd', text: entry.line })));
    } else {
      node.append(h('div', { class: 't-line t-action' },
        h('span', { class: 't-prompt', text: '◎ ' }),
        h('span', { class: 't-cmd', text: entry.line })));
    }
    if (entry.stdout) node.append(h('pre', { class: 't-out', text: clip(entry.stdout) }));
    if (entry.stderr) node.append(h('pre', { class: 't-err', text: clip(entry.stderr) }));
    return node;
  }

  render(state) {
    const want = new Set();
    // The last 300 entries are plenty to scroll back through; the history is in the timeline.
    const entries = state.transcript.slice(-300);
    for (const e of entries) want.add(e.id);
    for (const [id, node] of this.nodes) {
      if (!want.has(id) || state.cleared >= id) {
        node.remove();
        this.nodes.delete(id);
      }
    }
    let added = false;
    for (const e of entries) {
      if (state.cleared >= e.id || this.nodes.has(e.id)) continue;
      const node = this.entryNode(e, state);
      this.out.append(node);
      this.nodes.set(e.id, node);
      added = true;
    }
    const related = state.related;
    for (const [id, node] of this.nodes) node.classList.toggle('related', !!related && related.commands.has(id));
    if (added) requestAnimationFrame(() => { this.out.scrollTop = this.out.scrollHeight; });
    const intro = this.out.querySelector('.t-intro');
    if (intro) intro.hidden = state.cleared > 0;
    this.prompt.textContent = `root@c${state.current}:${state.cwd}#`;
    const past = state.step < state.total;
    this.input.placeholder = past
      ? `viewing step ${state.step} of ${state.total}: a command returns to the present`
      : 'type a command: ls, cat, echo … > file, rm, mv, chmod …';
  }
}
