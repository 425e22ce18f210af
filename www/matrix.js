// The layer matrix: one row per layer (the merged view on top, the container layer, the image
// layers below), one column per path in tree order. Only the columns on screen are in the
// DOM, so an image of 20 000 files renders as fast as one of twenty. The grid is one keyboard
// stop: arrows move the active cell, Home and End jump to the first and last column, Enter
// folds or unfolds a directory.

import { h, bytes, shortDigest, basename, depth, within } from './dom.js';
import { cellState, masked } from './model.js';

export const CELL_W = 84;
const OVERSCAN = 3;

const STATE_TEXT = {
  file: 'file',
  dir: 'directory',
  symlink: 'symlink',
  whiteout: 'whiteout',
  opaque: 'opaque directory',
  none: 'nothing',
};

/** The rows' names for people: "merged view", "container layer", "layer 2". */
export function rowTitle(row) {
  if (row.key === 'merged') return 'merged view';
  if (row.key === 'container') return 'container layer';
  return `layer ${row.key}`;
}

/** A short tag for a layer index: C for the container layer, L<n> for image layers. */
export function layerTag(index, imageCount) {
  return index === imageCount ? 'C' : `L${index}`;
}

/**
 * The columns left after folding: every path not under a folded directory, with the number
 * of paths each folded directory hides.
 */
export function visibleColumns(columns, collapsed) {
  if (collapsed.size === 0) return { cols: columns, hidden: new Map() };
  const cols = [];
  const hidden = new Map();
  let skip = null;
  for (const p of columns) {
    if (skip !== null && within(p, skip)) {
      hidden.set(skip, hidden.get(skip) + 1);
      continue;
    }
    skip = null;
    cols.push(p);
    if (collapsed.has(p)) {
      skip = p;
      hidden.set(p, 0);
    }
  }
  return { cols, hidden };
}

function cellText(entry, row, imageCount) {
  if (!entry) return ['', ''];
  switch (entry.type) {
    case 'file': return ['▤', bytes(entry.size)];
    case 'dir': return ['▸', entry.redirect ? 'dir ↩' : 'dir'];
    case 'symlink': return ['↪', entry.target ?? ''];
    case 'whiteout': return ['✕', 'whiteout'];
    case 'opaque': return ['◆', 'opaque'];
    default: return ['', ''];
  }
}

/** The accessible name of a cell. */
export function cellLabel(row, path, entry, imageCount) {
  let s = `${rowTitle(row)}, ${path}: ${STATE_TEXT[cellState(entry)]}`;
  if (entry && entry.type === 'file') s += `, ${bytes(entry.size)}`;
  if (entry && entry.type === 'symlink') s += ` to ${entry.target}`;
  if (row.key === 'merged' && entry) s += `, from ${layerTag(entry.layer, imageCount) === 'C' ? 'the container layer' : `layer ${entry.layer}`}`;
  return s;
}

export class Matrix {
  constructor(root, callbacks) {
    this.root = root;
    this.cb = callbacks;
    // The wrappers between grid, rows and cells are only for layout; to assistive technology
    // the grid owns its rows and the rows their cells.
    this.canvas = h('div', { class: 'mx-canvas', role: 'presentation' });
    this.head = h('div', { class: 'mx-row mx-head', role: 'row', 'aria-rowindex': 1 });
    this.corner = h('div', { class: 'mx-label mx-corner', role: 'columnheader' });
    this.heads = h('div', { class: 'mx-cells', role: 'presentation' });
    this.head.append(this.corner, this.heads);
    this.body = h('div', { class: 'mx-body', role: 'rowgroup' });
    this.canvas.append(this.head, this.body);
    root.append(this.canvas);
    this.pending = false;
    this.state = null;
    root.addEventListener('scroll', () => this.schedule());
    window.addEventListener('resize', () => {
      this.labelW = 0;
      this.drawnAt = null;
      this.schedule();
    });
    root.addEventListener('keydown', (e) => this.onKey(e));
    root.addEventListener('click', (e) => this.onClick(e));
  }

  schedule() {
    if (this.pending || !this.state) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      // A render since the scroll (an animation's reveal, say) already drew this position:
      // drawing it again would cost a frame its budget for nothing.
      if (this.drawnAt === this.position()) return;
      this.render(this.state);
    });
  }

  /** The scroll position and width a render draws for. */
  position() {
    return `${this.root.scrollLeft}|${this.root.clientWidth}`;
  }

  /** Renders unless the last render already drew the current position of an unchanged state. */
  renderIfMoved(s) {
    if (this.state !== s || this.drawnAt !== this.position()) this.render(s);
  }

  onKey(e) {
    const s = this.state;
    if (!s || !s.snap) return;
    const { row, col } = s.cursor;
    const rows = s.snap.rows.length;
    const cols = s.view.cols.length;
    let next = null;
    switch (e.key) {
      case 'ArrowLeft': next = { row, col: col - 1 }; break;
      case 'ArrowRight': next = { row, col: col + 1 }; break;
      case 'ArrowUp': next = { row: row - 1, col }; break;
      case 'ArrowDown': next = { row: row + 1, col }; break;
      case 'Home': next = e.ctrlKey ? { row: 0, col: 0 } : { row, col: 0 }; break;
      case 'End': next = e.ctrlKey ? { row: rows - 1, col: cols - 1 } : { row, col: cols - 1 }; break;
      case 'PageUp': next = { row, col: col - 10 }; break;
      case 'PageDown': next = { row, col: col + 10 }; break;
      case 'Enter':
      case ' ': {
        const path = s.view.cols[col];
        if (path !== undefined && this.isDir(s, path)) this.cb.toggleDir(path);
        e.preventDefault();
        return;
      }
      default: return;
    }
    e.preventDefault();
    next.row = Math.max(0, Math.min(rows - 1, next.row));
    next.col = Math.max(0, Math.min(cols - 1, next.col));
    this.cb.moveCursor(next);
  }

  isDir(s, path) {
    return s.snap.rows.some((r) => {
      const t = r.map.get(path)?.type;
      return t === 'dir' || t === 'opaque';
    });
  }

  onClick(e) {
    const t = e.target;
    if (!(t instanceof Element)) return;
    const fold = t.closest('.fold');
    if (fold) {
      this.cb.toggleDir(fold.closest('[data-col-path]').getAttribute('data-col-path'));
      return;
    }
    const head = t.closest('[data-col-path]');
    if (head) {
      const col = Number(head.getAttribute('data-col'));
      this.cb.moveCursor({ row: this.state.cursor.row, col });
      this.root.focus({ preventScroll: true });
      return;
    }
    const cell = t.closest('[role=gridcell]');
    if (cell) {
      this.cb.moveCursor({ row: Number(cell.getAttribute('data-row')), col: Number(cell.getAttribute('data-col')) });
      this.root.focus({ preventScroll: true });
    }
  }

  /** Scrolls so that column `col` is on screen. */
  reveal(col) {
    const labelW = this.labelWidth();
    const x = col * CELL_W;
    const visible = this.root.clientWidth - labelW;
    if (x < this.root.scrollLeft) this.root.scrollLeft = x;
    else if (x + CELL_W > this.root.scrollLeft + visible) this.root.scrollLeft = x + CELL_W - visible;
  }

  /** The row labels' width, read once: reading layout while drawing would force one. */
  labelWidth() {
    if (!this.labelW) this.labelW = this.corner.offsetWidth;
    return this.labelW || 300;
  }

  /** Where a cell is on screen, even if it is not rendered (for animations). */
  cellRect(rowIndex, col) {
    const rowEl = this.body.children[rowIndex];
    if (!rowEl) return null;
    const r = rowEl.getBoundingClientRect();
    const cells = rowEl.lastElementChild.getBoundingClientRect();
    return { left: cells.left + col * CELL_W, top: r.top, width: CELL_W, height: r.height };
  }

  cellElement(rowIndex, col) {
    return this.root.querySelector(`#cell-${rowIndex}-${col}`);
  }

  render(s) {
    this.state = s;
    const snap = s.snap;
    if (!snap) return;
    const cols = s.view.cols;
    const root = this.root;
    root.setAttribute('aria-rowcount', String(snap.rows.length + 1));
    root.setAttribute('aria-colcount', String(cols.length + 1));
    const width = cols.length * CELL_W;
    const labelW = this.labelWidth();
    this.canvas.style.width = `${labelW + width}px`;
    const first = Math.max(0, Math.floor(root.scrollLeft / CELL_W) - OVERSCAN);
    const last = Math.min(cols.length, Math.ceil((root.scrollLeft + root.clientWidth) / CELL_W) + OVERSCAN);
    this.drawnAt = this.position();
    const sel = s.selection;
    const related = s.related;

    this.corner.replaceChildren(
      h('span', { class: 'corner-title', text: 'layers ↓  paths →' }),
      h('span', { class: 'corner-sub', text: `${cols.length} of ${snap.columns.length} paths` }),
    );
    const heads = [];
    for (let c = first; c < last; c += 1) {
      const path = cols[c];
      const dir = this.isDir(s, path);
      const folded = s.collapsed.has(path);
      const name = basename(path) + (dir ? '/' : '');
      const d = depth(path);
      const head = h('div', {
        class: `mx-col${c === s.cursor.col ? ' active-col' : ''}${sel && sel.path === path ? ' selected-col' : ''}`,
        role: 'columnheader',
        'data-col-path': path,
        'data-col': c,
        'aria-colindex': c + 2,
        title: path,
      });
      head.style.left = `${c * CELL_W}px`;
      const label = h('span', { class: 'col-name' });
      // Deeper paths sit higher: the headers step like an indented tree.
      head.style.paddingBottom = `${6 + Math.min(d, 5) * 12}px`;
      label.append(name);
      if (d > 0) head.classList.add('nested');
      head.append(label);
      if (dir) {
        const hidden = s.view.hidden.get(path);
        head.append(h('button', {
          class: 'fold',
          type: 'button',
          tabindex: '-1',
          'aria-label': `${folded ? 'unfold' : 'fold'} ${path}`,
          'aria-expanded': folded ? 'false' : 'true',
          text: folded ? `▸${hidden ? ` +${hidden}` : ''}` : '▾',
        }));
      }
      heads.push(head);
    }
    this.heads.style.width = `${width}px`;
    this.heads.replaceChildren(...heads);

    const rowEls = [];
    snap.rows.forEach((row, r) => {
      const rowEl = h('div', {
        class: `mx-row row-${row.key === 'merged' ? 'merged' : row.key === 'container' ? 'container' : 'image'}${r === s.cursor.row ? ' active-row' : ''}`,
        role: 'row',
        'data-layer': row.key,
        'aria-rowindex': r + 2,
      });
      rowEl.append(this.label(row, snap));
      const cellsEl = h('div', { class: 'mx-cells', role: 'presentation' });
      cellsEl.style.width = `${width}px`;
      const layerIndex = row.info ? row.info.index : -1;
      for (let c = first; c < last; c += 1) {
        const path = cols[c];
        const entry = row.map.get(path);
        const state = cellState(entry);
        const [glyph, text] = cellText(entry, row, snap.imageCount);
        let cls = `cell s-${state}`;
        if (row.key !== 'merged' && masked(entry, layerIndex, snap.merged.get(path))) cls += ' masked';
        if (r === s.cursor.row && c === s.cursor.col) cls += ' active';
        if (sel && sel.path === path && (sel.row === row.key)) cls += ' selected';
        if (related && related.cells.has(`${row.key}|${path}`)) cls += ' related';
        if (entry && entry.metacopy) cls += ' metacopy';
        const cell = h('div', {
          class: cls,
          id: `cell-${r}-${c}`,
          role: 'gridcell',
          'data-path': path,
          'data-state': state,
          'data-row': r,
          'data-col': c,
          'aria-colindex': c + 2,
          'aria-selected': sel && sel.path === path && sel.row === row.key ? 'true' : 'false',
          'aria-label': cellLabel(row, path, entry, snap.imageCount),
        });
        cell.style.left = `${c * CELL_W}px`;
        if (entry) {
          cell.append(h('span', { class: 'glyph', 'aria-hidden': 'true', text: glyph }), h('span', { class: 'ctext', text }));
          if (row.key === 'merged') {
            const tag = layerTag(entry.layer, snap.imageCount);
            cell.append(h('span', { class: `src src-${tag === 'C' ? 'c' : 'l'}`, 'aria-hidden': 'true', text: tag }));
          }
        }
        cellsEl.append(cell);
      }
      rowEl.append(cellsEl);
      rowEls.push(rowEl);
    });
    this.body.replaceChildren(...rowEls);
    const active = this.cellElement(s.cursor.row, s.cursor.col);
    if (active) root.setAttribute('aria-activedescendant', active.id);
    else root.removeAttribute('aria-activedescendant');
  }

  label(row, snap) {
    const el = h('div', { class: 'mx-label', role: 'rowheader' });
    if (row.key === 'merged') {
      el.append(
        h('span', { class: 'tag tag-merged', text: 'M' }),
        h('span', { class: 'lbl-main' }, h('strong', { text: 'merged view' }), h('span', { class: 'lbl-sub', text: 'what the container sees' })),
      );
      return el;
    }
    const info = row.info;
    const isC = row.key === 'container';
    el.append(
      h('span', { class: `tag ${isC ? 'tag-c' : 'tag-l'}`, text: isC ? 'C' : `L${info.index}` }),
      h('span', { class: 'lbl-main' },
        h('strong', { text: isC ? 'container layer' : shortDigest(info.diffId), title: info.diffId ?? 'writable, not committed yet' }),
        h('span', { class: 'lbl-sub', text: isC ? 'writable · copy-on-write' : info.createdBy, title: info.createdBy })),
      h('span', { class: 'lbl-size', title: info.hiddenBytes ? `${bytes(info.hiddenBytes)} of it hidden by layers above` : 'bytes in this layer' },
        bytes(info.bytes),
        info.hiddenBytes ? h('span', { class: 'wasted', text: ` (${bytes(info.hiddenBytes)} hidden)` }) : null),
    );
    return el;
  }
}
