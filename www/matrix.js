// The layer matrix: one row per layer (the merged view on top, the container layer, the image
// layers below), one column per path in tree order. Only the columns on screen are in the
// DOM, so an image of 20 000 files renders as fast as one of twenty. The grid is one keyboard
// stop: arrows move the active cell, Home and End jump to the first and last column, Enter
// folds or unfolds a directory.

import { h, bytes, shortDigest, basename, depth, within } from './dom.js';
import { cellState, masked } from './model.js';

export const CELL_W = 84;
/** A row's height and the column heads' height, as styles.css sets them (`--row-h`, `.mx-head`). */
export const ROW_H = 46;
export const HEAD_H = 132;
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

/**
 * A cell's text: its state's glyph, then the size, target or word. One text node, so that a
 * cell is one element: a glyph of its own (a span, or a ::before) would be one more element to
 * restyle and lay out for every cell a command's new window draws.
 */
function cellText(entry) {
  if (!entry) return '';
  switch (entry.type) {
    case 'file': return `▤ ${bytes(entry.size)}`;
    case 'dir': return entry.redirect ? '▸ dir ↩' : '▸ dir';
    case 'symlink': return `↪ ${entry.target ?? ''}`;
    case 'whiteout': return '✕ whiteout';
    case 'opaque': return '◆ opaque';
    default: return '';
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
    // When the columns around the ones a quick render drew are drawn (see render): by default
    // in an idle period of its own once the next frame is drawn, after the one where the page
    // draws its panels.
    this.fill = callbacks.fill ?? ((f) => afterNextFrame(() => requestIdleCallback(f, { timeout: 500 })));
    // The wrappers between grid, rows and cells are only for layout; to assistive technology
    // the grid owns its rows and the rows their cells.
    this.canvas = h('div', { class: 'mx-canvas', role: 'presentation' });
    this.head = h('div', { class: 'mx-row mx-head', role: 'row', 'aria-rowindex': 1 });
    this.corner = h('div', { class: 'mx-label mx-corner', role: 'columnheader' });
    this.heads = h('div', { class: 'mx-cells', role: 'presentation' });
    this.head.append(this.corner, this.heads);
    this.body = h('div', { class: 'mx-body', role: 'rowgroup' });
    // The animations' ghosts fly in this layer, inside the scrolled canvas: placed in the
    // canvas's own coordinates, which the matrix knows without asking the layout (see cellBox).
    this.overlay = h('div', { class: 'mx-overlay', 'aria-hidden': 'true' });
    this.canvas.append(this.head, this.body, this.overlay);
    root.append(this.canvas);
    this.pending = false;
    this.state = null;
    // Per bank of slots (see render): the render it was drawn after (`renders`) and the columns
    // it shows; the bank on screen.
    this.banks = [null, null];
    this.bank = 0;
    // The scroll position and the visible width are kept here, from scroll events and a
    // ResizeObserver (both run when layout is up to date), so that drawing reads no layout:
    // a read after the page's changes would force a layout of the whole page mid-command.
    this.scrollX = 0;
    this.viewW = 0;
    this.pendingX = undefined;
    // Counts full renders, so that a fill scheduled by a quick render (see render) that a
    // later render made unneeded does nothing.
    this.renders = 0;
    root.addEventListener('scroll', () => {
      // A scroll the page asked for is applied in the next animation frame (see scrollTo);
      // until then the position it asked for is the one to draw.
      if (this.pendingX !== undefined) return;
      this.scrollX = root.scrollLeft;
      this.schedule();
    });
    new ResizeObserver(() => {
      if (root.clientWidth === this.viewW) return;
      this.viewW = root.clientWidth;
      this.labelW = 0;
      this.drawnAt = null;
      this.schedule();
    }).observe(root);
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
    return `${this.scrollX}|${this.viewW}`;
  }

  /** The visible width, read from the layout only before the ResizeObserver first reports. */
  width() {
    if (!this.viewW) this.viewW = this.root.clientWidth;
    return this.viewW;
  }

  /** Renders unless the last render already drew the current position of an unchanged state. */
  renderIfMoved(s, options) {
    if (this.state !== s || this.drawnAt !== this.position()) this.render(s, options);
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
    const to = this.revealX(col);
    if (to !== null) this.scrollTo(to);
  }

  /** The scroll position `reveal(col)` would scroll to, or null if the column is on screen. */
  revealX(col) {
    const x = col * CELL_W;
    const visible = this.cellsWidth();
    if (x < this.scrollX) return x;
    if (x + CELL_W > this.scrollX + visible) return x + CELL_W - visible;
    return null;
  }

  /**
   * Scrolls the matrix to `x` in the next animation frame, and draws for `x` from now on.
   * Setting (or reading) scrollLeft right away would lay out the page first, in the middle of
   * a command's changes; in the frame, the layout is due anyway. `x` is always reachable once
   * the next render has sized the canvas for the column revealed; should the browser stop
   * short all the same, its scroll event corrects the position drawn.
   */
  scrollTo(x) {
    this.scrollX = x;
    if (this.pendingX === undefined) {
      requestAnimationFrame(() => {
        const to = this.pendingX;
        this.pendingX = undefined;
        if (to !== undefined && this.root.scrollLeft !== to) this.root.scrollLeft = to;
      });
    }
    this.pendingX = x;
  }

  /** The row labels' width, read once: reading layout while drawing would force one. */
  labelWidth() {
    if (!this.labelW) this.labelW = this.corner.offsetWidth;
    return this.labelW || 300;
  }

  /**
   * Where a cell's slot is in the canvas (the coordinates of `overlay`), even if it is not
   * rendered: computed from the fixed sizes of rows, heads and columns, so that an animation
   * starting right after a command reads no layout (a read would lay out the whole page inside
   * the command's frame).
   */
  cellBox(rowIndex, col) {
    if (!this.lines || rowIndex < 0 || rowIndex >= this.lines.length) return null;
    return { left: this.labelWidth() + col * CELL_W, top: HEAD_H + rowIndex * ROW_H, width: CELL_W, height: ROW_H };
  }

  cellElement(rowIndex, col) {
    return this.root.querySelector(`#cell-${rowIndex}-${col}`);
  }

  /**
   * Draws the columns on screen. The cells stay in the DOM between renders, one per row and
   * column slot (column index modulo the slots that fit on screen): a render changes only what
   * differs (a class, a text, an attribute, a position), so a command that scrolls the matrix
   * to another part of a 20 000-file image restyles and lays out what changed, not a new grid.
   * The rows, their labels and the slots are built again only when the layers or the width
   * change.
   *
   * There are two banks of slots: the one on screen, and one that `prepare` can draw, in idle
   * time, for a window an animation is about to scroll to. A render whose window the other
   * bank already shows, for the same state, switches to it and writes nothing.
   *
   * With `quick`, only the columns on screen are drawn now (a command's frame has enough to
   * do); the columns around them, drawn so that a scroll finds them ready, follow later, when
   * the `fill` callback says (by default in an idle period once that frame is drawn; the page
   * waits for the command's animation to end, so that none of its frames draws them). A scroll
   * before then draws them at once (`schedule`).
   */
  render(s, { quick = false } = {}) {
    // The page's state is one object that changes in place: what a bank shows is right only
    // if no render came between its drawing and now (prepare stamps it with `renders`).
    const prepared = this.banks[1 - this.bank];
    const fresh = prepared !== null && prepared.version === this.renders && this.state === s;
    this.state = s;
    this.renders += 1;
    const snap = s.snap;
    if (!snap) return;
    const cols = s.view.cols;
    const root = this.root;
    setAttr(root, 'aria-rowcount', String(snap.rows.length + 1));
    setAttr(root, 'aria-colcount', String(cols.length + 1));
    const width = cols.length * CELL_W;
    const labelW = this.labelWidth();
    setStyle(this.canvas, 'width', `${labelW + width}px`);
    const { first, last } = this.windowAt(this.scrollX, cols.length, quick ? 0 : OVERSCAN);
    this.drawnAt = this.position();
    if (quick) {
      const n = this.renders;
      this.fill(() => {
        if (this.renders === n && this.state === s) this.render(s);
      });
    }
    // Enough slots for every column a render can draw at this width.
    const slots = Math.ceil(this.cellsWidth() / CELL_W) + 2 * OVERSCAN + 2;
    const rowKeys = snap.rows.map((r) => r.key).join('|');
    if (slots !== this.slots || rowKeys !== this.rowKeys) this.rebuild(snap, slots, rowKeys);

    setText(this.cornerSub, `${cols.length} of ${snap.columns.length} paths`);
    setStyle(this.heads, 'width', `${width}px`);
    snap.rows.forEach((row, r) => {
      const line = this.lines[r];
      setClass(line.el, `mx-row row-${row.key === 'merged' ? 'merged' : row.key === 'container' ? 'container' : 'image'}${r === s.cursor.row ? ' active-row' : ''}`);
      // A command changes the container layer's size, not what the layer is: only the size's
      // text changes then (a new label would take ten layout objects out and put ten in).
      const labelKey = row.info ? JSON.stringify([row.info.index, row.info.diffId, row.info.createdBy]) : '';
      const sizeKey = row.info ? `${row.info.bytes}|${row.info.hiddenBytes}` : '';
      if (line.labelKey !== labelKey) {
        const label = this.label(row, snap);
        line.label.replaceWith(label);
        line.label = label;
        line.labelKey = labelKey;
        line.sizeKey = sizeKey;
      } else if (line.sizeKey !== sizeKey) {
        const size = line.label.querySelector('.lbl-size');
        if (size) drawSize(size, row.info);
        line.sizeKey = sizeKey;
      }
      setStyle(line.cells, 'width', `${width}px`);
    });
    // The other bank, if prepare drew this window since the last render, is ready: show it.
    if (fresh && prepared.first <= first && last <= prepared.last) this.bank = 1 - this.bank;
    // A slot this render does not draw: hidden, or (quick) only unnamed, which writes nothing
    // that needs a new style or layout; it still shows a column off screen until the fill.
    this.drawWindow(s, this.bank, first, last, quick ? unname : park, false);
    const active = this.cellElement(s.cursor.row, s.cursor.col);
    if (active) setAttr(root, 'aria-activedescendant', active.id);
    else if (root.hasAttribute('aria-activedescendant')) root.removeAttribute('aria-activedescendant');
  }

  /** The width the cells show in: the row labels stay on screen at the left. */
  cellsWidth() {
    return Math.max(0, this.width() - this.labelWidth());
  }

  /** The columns a render at scroll position `x` draws, with `overscan` columns each side. */
  windowAt(x, count, overscan) {
    const first = Math.max(0, Math.floor(x / CELL_W) - overscan);
    const last = Math.min(count, Math.ceil((x + this.cellsWidth()) / CELL_W) + overscan);
    return { first, last };
  }

  /**
   * Draws, in idle time, the columns that `reveal(col)` will scroll to into the bank not on
   * screen, so that the scroll (an animation's next step) finds them drawn: its frame then
   * scrolls instead of restyling and laying out a new window of cells. Does nothing when that
   * window is on screen already, or the state is not the one on screen.
   */
  prepare(s, col) {
    if (this.state !== s || !s.snap || !this.lines) return;
    const x = this.revealX(col);
    if (x === null) return;
    const { first, last } = this.windowAt(x, s.view.cols.length, 0);
    const shown = this.banks[this.bank];
    if (!shown || shown.version !== this.renders || (first < shown.last && shown.first < last)) return;
    const other = this.banks[1 - this.bank];
    if (other && other.version === this.renders && other.first <= first && last <= other.last) return;
    this.drawWindow(s, 1 - this.bank, first, last, unname, true);
  }

  /**
   * Draws columns [first, last) into bank `b`. Its slots this window does not use go through
   * `unused`. A column of the other bank inside this window is hidden (the two would overlap);
   * the rest of the other bank is kept with `keepOther` (prepare: it is the bank on screen),
   * else it goes through `unused` too (a render: it may show an older state).
   */
  drawWindow(s, b, first, last, unused, keepOther) {
    const snap = s.snap;
    const cols = s.view.cols;
    const slots = this.slots;
    const base = b * slots;
    const ob = 1 - b;
    const otherOk = keepOther;
    const inWindow = (el) => {
      const c = colOf.get(el);
      return c !== undefined && c >= first && c < last;
    };
    const sel = s.selection;
    const related = s.related;
    const used = new Set();
    for (let c = first; c < last; c += 1) {
      const slot = base + (c % slots);
      used.add(slot);
      let head = this.headSlots.get(slot);
      if (!head) {
        head = h('div', { role: 'columnheader' }, h('span', { class: 'col-name' }));
        this.headSlots.set(slot, head);
        this.heads.append(head);
      }
      if (head.hidden) head.hidden = false;
      if (head.hasAttribute('aria-hidden')) head.removeAttribute('aria-hidden');
      colOf.set(head, c);
      this.drawHead(head, s, cols[c], c);
    }
    // The other bank's cells outside the window are only unnamed, never hidden here: hiding
    // a bank of cells would restyle and lay out a hundred elements in the frame after a step.
    const retire = (el, slot, pathAttr) => {
      if (used.has(slot)) return;
      if (slot >= base && slot < base + slots) unused(el, pathAttr);
      else if (inWindow(el)) park(el, pathAttr);
      else if (!otherOk) unname(el, pathAttr);
    };
    for (const [slot, head] of this.headSlots) retire(head, slot, 'data-col-path');

    snap.rows.forEach((row, r) => {
      const line = this.lines[r];
      const layerIndex = row.info ? row.info.index : -1;
      for (let c = first; c < last; c += 1) {
        const slot = base + (c % slots);
        let cell = line.slots.get(slot);
        if (!cell) {
          cell = h('div', { role: 'gridcell' });
          line.slots.set(slot, cell);
          line.cells.append(cell);
        }
        if (cell.hidden) cell.hidden = false;
        if (cell.hasAttribute('aria-hidden')) cell.removeAttribute('aria-hidden');
        colOf.set(cell, c);
        const path = cols[c];
        const entry = row.map.get(path);
        const state = cellState(entry);
        let cls = `cell s-${state}`;
        if (row.key !== 'merged' && masked(entry, layerIndex, snap.merged.get(path))) cls += ' masked';
        if (r === s.cursor.row && c === s.cursor.col) cls += ' active';
        const selected = !!sel && sel.path === path && sel.row === row.key;
        if (selected) cls += ' selected';
        if (related && related.cells.has(`${row.key}|${path}`)) cls += ' related';
        if (entry && entry.metacopy) cls += ' metacopy';
        setClass(cell, cls);
        setAttr(cell, 'id', `cell-${r}-${c}`);
        setAttr(cell, 'data-path', path);
        setAttr(cell, 'data-state', state);
        setAttr(cell, 'data-row', String(r));
        setAttr(cell, 'data-col', String(c));
        setAttr(cell, 'aria-colindex', String(c + 2));
        setAttr(cell, 'aria-selected', selected ? 'true' : 'false');
        setAttr(cell, 'aria-label', cellLabel(row, path, entry, snap.imageCount));
        setStyle(cell, 'left', `${c * CELL_W}px`);
        this.drawCell(cell, entry, row, snap);
      }
      for (const [slot, cell] of line.slots) retire(cell, slot, 'data-path');
    });
    this.banks[b] = { version: this.renders, first, last };
    if (!otherOk) this.banks[ob] = null;
  }

  /** New rows (labels drawn on the next render) and no cells: the layers or the width changed. */
  rebuild(snap, slots, rowKeys) {
    this.slots = slots;
    this.rowKeys = rowKeys;
    this.banks = [null, null];
    this.bank = 0;
    if (!this.cornerSub) {
      this.cornerSub = h('span', { class: 'corner-sub' });
      this.corner.replaceChildren(h('span', { class: 'corner-title', text: 'layers ↓  paths →' }), this.cornerSub);
    }
    this.headSlots = new Map();
    this.heads.replaceChildren();
    this.lines = snap.rows.map((row, r) => {
      const label = h('div', { class: 'mx-label', role: 'rowheader' });
      const cells = h('div', { class: 'mx-cells', role: 'presentation' });
      const el = h('div', { role: 'row', 'data-layer': row.key, 'aria-rowindex': r + 2 }, label, cells);
      return { el, label, labelKey: null, sizeKey: null, cells, slots: new Map() };
    });
    this.body.replaceChildren(...this.lines.map((l) => l.el));
  }

  /** Brings a column header up to date for the path at column `c`. */
  drawHead(head, s, path, c) {
    const sel = s.selection;
    const dir = this.isDir(s, path);
    const folded = s.collapsed.has(path);
    const d = depth(path);
    setClass(head, `mx-col${d > 0 ? ' nested' : ''}${c === s.cursor.col ? ' active-col' : ''}${sel && sel.path === path ? ' selected-col' : ''}`);
    setAttr(head, 'data-col-path', path);
    setAttr(head, 'data-col', String(c));
    setAttr(head, 'aria-colindex', String(c + 2));
    setAttr(head, 'title', path);
    setStyle(head, 'left', `${c * CELL_W}px`);
    // Deeper paths sit higher: the headers step like an indented tree.
    setStyle(head, 'paddingBottom', `${6 + Math.min(d, 5) * 12}px`);
    setText(head.firstChild, basename(path) + (dir ? '/' : ''));
    let fold = head.childNodes[1] ?? null;
    if (!dir) {
      if (fold) fold.remove();
      return;
    }
    if (!fold) {
      fold = h('button', { class: 'fold', type: 'button', tabindex: '-1' });
      head.append(fold);
    }
    const hidden = s.view.hidden.get(path);
    setAttr(fold, 'aria-label', `${folded ? 'unfold' : 'fold'} ${path}`);
    setAttr(fold, 'aria-expanded', folded ? 'false' : 'true');
    setText(fold, folded ? `▸${hidden ? ` +${hidden}` : ''}` : '▾');
  }

  /**
   * Brings a cell's text and (in the merged row) source tag up to date. A cell is one element:
   * the glyph and text are its own text node, changed in place; the merged row's source tag is
   * `data-src`, which styles.css draws (`::after`).
   */
  drawCell(cell, entry, row, snap) {
    setText(cell, cellText(entry));
    if (row.key !== 'merged') return;
    if (entry) setAttr(cell, 'data-src', layerTag(entry.layer, snap.imageCount));
    else if (cell.hasAttribute('data-src')) cell.removeAttribute('data-src');
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
      drawSize(h('span', { class: 'lbl-size' }), info),
    );
    return el;
  }
}

/** Writes a layer's size (and what of it layers above hide) into its label's `.lbl-size`. */
function drawSize(el, info) {
  setAttr(el, 'title', info.hiddenBytes ? `${bytes(info.hiddenBytes)} of it hidden by layers above` : 'bytes in this layer');
  if (info.hiddenBytes) el.replaceChildren(bytes(info.bytes), h('span', { class: 'wasted', text: ` (${bytes(info.hiddenBytes)} hidden)` }));
  else setText(el, bytes(info.bytes));
  return el;
}

/** The column each head and cell element was last drawn for. */
const colOf = new WeakMap();

/**
 * Hides a slot's element that this render does not use (the window is a column narrower at
 * some scroll positions), keeping it for the next render instead of removing and building it
 * again; without its path and id, so that nothing finds it as a column's cell.
 */
function park(el, pathAttr) {
  if (el.hidden) return;
  el.hidden = true;
  unname(el, pathAttr);
}

/**
 * Takes a slot's element out of the columns that queries and assistive technology find,
 * leaving it as it looks (no style or layout changes): it stays off screen until a render
 * draws a column in it or hides it.
 */
function unname(el, pathAttr) {
  if (!el.hasAttribute(pathAttr)) return;
  el.removeAttribute(pathAttr);
  el.removeAttribute('id');
  el.removeAttribute('data-col');
  el.setAttribute('aria-hidden', 'true');
}

/**
 * Runs `f` once the next frame has been drawn, in the idle time after it (at most 50 ms later,
 * busy or not), or after 100 ms if no frame comes (a hidden page). Work that can wait a frame
 * goes here, out of a command's frame: the next frame lays out and paints what the command
 * changed, and `f` runs in what is left of a frame's time after that (asked for from within an
 * animation frame: asked for at once, the idle time left before the next frame would come
 * first, and what `f` changes would be drawn with the command's changes).
 */
export function afterNextFrame(f) {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    f();
  };
  const timer = setTimeout(once, 100);
  requestAnimationFrame(() => requestIdleCallback(once, { timeout: 50 }));
}

// Writes that skip what is already there: an unchanged cell costs no style, layout or paint.

function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function setClass(el, value) {
  if (el.className !== value) el.className = value;
}

/**
 * Changes a text in place: the element's one text node keeps its place in the tree (setting
 * textContent would remove it and insert a new one, and each is a layout object taken out and
 * put in again: about 150 per command that scrolls the matrix).
 */
function setText(el, value) {
  const t = el.firstChild;
  if (t !== null && t.nodeType === Node.TEXT_NODE && t.nextSibling === null) {
    if (t.data !== value) t.data = value;
  } else if (el.textContent !== value) {
    el.textContent = value;
  }
}

function setStyle(el, prop, value) {
  if (el.style[prop] !== value) el.style[prop] = value;
}
