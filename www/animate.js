// The animation queue. Events go in as the engine returns them; each copy-up, whiteout and
// opaque directory becomes a short animation over the matrix, which is already rendered in
// its new state: a copy-up carries a copy of the entry from its lower layer up into the
// container layer, a whiteout drops into the container layer while the merged cell fades, an
// opaque directory wipes a blank over everything it hides. Escape or the Skip button ends
// them. With reduced motion (the system setting or the page's toggle) nothing moves and the
// caption says in words what changed.

import { h } from './dom.js';

const ANIMATED = new Set(['copy-up', 'whiteout', 'opaque']);
/** Beyond this many events in one command, the rest change instantly. */
const MAX_ANIMATED = 6;

/**
 * Resolves in the idle time after the current frame is drawn (at most 50 ms later), or after
 * 100 ms without a frame (a hidden page).
 */
function afterThisFrame() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestIdleCallback(() => {
      clearTimeout(timer);
      resolve();
    }, { timeout: 50 });
  });
}

export class Animator {
  constructor({ caption, skip, matrix }) {
    // The ghosts fly inside the matrix (its overlay scrolls with the cells), placed from the
    // matrix's own geometry: starting an animation reads no layout.
    this.overlay = matrix.overlay;
    this.caption = caption;
    this.skipButton = skip;
    this.matrix = matrix;
    this.queue = [];
    this.playing = false;
    this.count = 0;
    // The animations this queue started, so that skipping finishes them without asking the
    // document for its animations (getAnimations brings style and layout up to date first: a
    // whole restyle of the matrix just drawn, inside the command's frame).
    this.running = new Set();
    // The event moving now and the sentences marked as playing.
    this.current = null;
    this.marks = [];
    // What waits for the queue to drain (whenStill).
    this.still = [];
    this.skipButton.addEventListener('click', () => this.skip());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.busy()) this.skip();
    });
  }

  busy() {
    return this.playing || this.queue.length > 0;
  }

  /** Runs `f` once no animation plays: now, or when the queue has drained (or was skipped). */
  whenStill(f) {
    if (this.busy()) this.still.push(f);
    else f();
  }

  /** Ends every animation now; the matrix already shows the final state. */
  skip() {
    this.queue = [];
    for (const a of [...this.running]) a.finish();
    this.running.clear();
  }

  /** Starts a Web Animation on `el` and keeps it until it ends, so that skip can finish it. */
  animate(el, keyframes, options) {
    const a = el.animate(keyframes, options);
    this.running.add(a);
    const done = () => this.running.delete(a);
    a.addEventListener('finish', done);
    a.addEventListener('cancel', done);
    return a;
  }

  /** Says in words what changed (always), and animates it unless motion is reduced. */
  play(events, ctx) {
    if (events.length === 0) {
      this.caption.replaceChildren(...(ctx.quiet ? [] : [h('div', { text: 'No layer changed: reading, listing and failed commands never copy anything up.' })]));
      return;
    }
    const lines = events.slice(0, 3).map((e) => h('div', { 'data-seq': e.seq, text: e.message }));
    if (events.length > 3) lines.push(h('div', { text: `… and ${events.length - 3} more event${events.length === 4 ? '' : 's'} in the timeline.` }));
    this.caption.replaceChildren(...lines);
    if (ctx.reduced) return;
    let n = 0;
    for (const e of events) {
      if (!ANIMATED.has(e.kind)) continue;
      if (n >= MAX_ANIMATED) break;
      this.queue.push({ event: e, ctx });
      n += 1;
    }
    if (!this.playing) this.drain();
  }

  async drain() {
    this.playing = true;
    this.skipButton.hidden = false;
    document.body.classList.add('animating');
    let first = true;
    while (this.queue.length) {
      // The next step (its scroll, its drawing of the matrix) begins in the idle time after
      // the frame where the last one ended, not inside that frame: an animation ends in the
      // frame's animation phase, and drawing the matrix there put the script, style, layout and
      // paint of a scroll of 100 columns in one frame. Skipping empties the queue meanwhile.
      if (!first) await afterThisFrame();
      first = false;
      if (!this.queue.length) break;
      const job = this.queue.shift();
      this.current = job.event;
      this.markPlaying();
      try {
        await this.one(job.event, job.ctx);
      } catch {
        // A skipped or cancelled animation rejects its promise; the state is already final.
      } finally {
        for (const m of this.marks) m.classList.remove('playing');
        this.marks = [];
        this.current = null;
      }
    }
    this.overlay.replaceChildren();
    this.playing = false;
    this.skipButton.hidden = true;
    document.body.classList.remove('animating');
    const still = this.still;
    this.still = [];
    for (const f of still) f();
  }

  /**
   * Marks the sentence of the event that is moving, in the caption and the timeline. The page
   * draws the timeline a frame after the command (and the caption), so it calls this again then.
   */
  markPlaying() {
    if (!this.current) return;
    // Each list is searched on its own: one query of the document for both (a selector list)
    // visited every element of the page, the matrix's cells included, in the command's task.
    const seq = `[data-seq="${this.current.seq}"]`;
    for (const list of [this.caption, document.getElementById('timeline')]) {
      if (!list) continue;
      for (const m of list.querySelectorAll(seq)) {
        if (m.classList.contains('playing')) continue;
        m.classList.add('playing');
        this.marks.push(m);
      }
    }
  }

  /**
   * The matrix column of the first event `play` would animate, or null: the page scrolls there
   * before drawing a command, so that the animation starts on what was just drawn instead of
   * scrolling and drawing the matrix again inside the command's frame.
   */
  firstColumn(events, state) {
    let n = 0;
    for (const e of events) {
      if (!ANIMATED.has(e.kind)) continue;
      if (n >= MAX_ANIMATED) break;
      n += 1;
      const col = this.column({ state }, e.path);
      if (col !== null) return col;
    }
    return null;
  }

  counted() {
    this.count += 1;
    document.body.dataset.animations = String(this.count);
  }

  column(ctx, path) {
    const cols = ctx.state.view.cols;
    let col = ctx.state.view.index.get(path);
    // A path inside a folded directory animates on the folded directory's column.
    let p = path;
    while (col === undefined && p.lastIndexOf('/') > 0) {
      p = p.slice(0, p.lastIndexOf('/'));
      col = ctx.state.view.index.get(p);
    }
    return col === undefined || col >= cols.length ? null : col;
  }

  /**
   * Has the matrix draw the columns of the next step in idle time while this one plays
   * (`Matrix.prepare`), `after` ms from now: the next step's scroll then finds them drawn.
   */
  prepareNext(after) {
    const next = this.queue[0];
    if (!next) return;
    const col = this.column(next.ctx, next.event.path);
    if (col === null) return;
    // Only while that step is still the next one (a skip or a new command empties the queue).
    setTimeout(() => requestIdleCallback(() => {
      if (this.queue[0] === next) this.matrix.prepare(next.ctx.state, col);
    }, { timeout: 300 }), after);
  }

  rowIndex(ctx, key) {
    return ctx.state.snap.rows.findIndex((r) => r.key === key);
  }

  ghost(rect, cls, text) {
    const g = h('div', { class: `ghost ${cls}`, 'aria-hidden': 'true' });
    if (text) g.append(h('span', { text }));
    g.style.left = `${rect.left}px`;
    g.style.top = `${rect.top}px`;
    g.style.width = `${rect.width}px`;
    g.style.height = `${rect.height}px`;
    this.overlay.append(g);
    return g;
  }

  async one(e, ctx) {
    // A replay at 2x or 4x plays its animations faster too.
    const rate = ctx.rate ?? 1;
    const ms = (n) => n / rate;
    const col = this.column(ctx, e.path);
    if (col === null) return;
    this.matrix.reveal(col);
    // The page has just drawn this state; only a scroll by reveal needs a new render (of the
    // columns on screen first, the rest after the frame).
    this.matrix.renderIfMoved(ctx.state, { quick: true });
    const m = this.matrix;
    this.prepareNext(ms(250));
    const top = this.rowIndex(ctx, 'container');
    const mergedRow = this.rowIndex(ctx, 'merged');
    if (top < 0) return;
    const dest = m.cellBox(top, col);
    if (!dest) return;
    this.counted();
    const destCell = m.cellElement(top, col);
    if (e.kind === 'copy-up') {
      const from = this.rowIndex(ctx, String(e.layers[0]));
      const src = from >= 0 ? m.cellBox(from, col) : null;
      if (!src) return;
      const entry = ctx.before?.rows.find((r) => r.key === String(e.layers[0]))?.map.get(e.path);
      const what = entry?.type === 'file' ? `▤ ${e.metadataOnly ? 'meta' : 'copy'}` : entry?.type === 'dir' || entry?.type === 'opaque' ? '▸ dir' : 'copy-up';
      const ghost = this.ghost(src, 'ghost-copy', what);
      if (destCell) this.animate(destCell, [{ opacity: 0 }, { opacity: 0, offset: 0.85 }, { opacity: 1 }], { duration: ms(900), easing: 'ease-out' });
      await this.animate(ghost, [
        { transform: 'translate(0, 0) scale(1)', opacity: 0.95 },
        { transform: `translate(0, ${(dest.top - src.top) * 0.5}px) scale(1.12)`, opacity: 1, offset: 0.5 },
        { transform: `translate(0, ${dest.top - src.top}px) scale(1)`, opacity: 0.2 },
      ], { duration: ms(900), easing: 'ease-in-out', fill: 'forwards' }).finished;
      ghost.remove();
    } else if (e.kind === 'whiteout') {
      const anims = [];
      if (destCell) anims.push(this.animate(destCell, [{ transform: 'scale(1.6)', opacity: 0 }, { transform: 'scale(1)', opacity: 1 }], { duration: ms(600), easing: 'ease-out' }).finished);
      const merged = mergedRow >= 0 ? m.cellBox(mergedRow, col) : null;
      if (merged) {
        const before = ctx.before?.merged.get(e.path);
        const ghost = this.ghost(merged, 'ghost-fade', before ? 'deleted' : '');
        anims.push(this.animate(ghost, [{ opacity: 1 }, { opacity: 1, offset: 0.3 }, { opacity: 0 }], { duration: ms(900), fill: 'forwards' }).finished.then(() => ghost.remove()));
      }
      await Promise.all(anims);
    } else if (e.kind === 'opaque') {
      // Blank every image-layer cell under the directory, from its column to its last
      // visible descendant.
      const cols = ctx.state.view.cols;
      let end = col;
      while (end + 1 < cols.length && cols[end + 1].startsWith(`${e.path}/`)) end += 1;
      const rows = ctx.state.snap.rows;
      const firstImage = rows.findIndex((r) => r.key !== 'merged' && r.key !== 'container');
      if (firstImage < 0) return;
      const a = m.cellBox(firstImage, col);
      const b = m.cellBox(rows.length - 1, end);
      if (!a || !b) return;
      const rect = { left: a.left, top: a.top, width: b.left + b.width - a.left, height: b.top + b.height - a.top };
      const ghost = this.ghost(rect, 'ghost-opaque', 'hidden by the opaque directory');
      ghost.style.transformOrigin = 'left center';
      if (destCell) this.animate(destCell, [{ transform: 'scale(1.5)', opacity: 0 }, { transform: 'scale(1)', opacity: 1 }], { duration: ms(500), easing: 'ease-out' });
      await this.animate(ghost, [
        { transform: 'scaleX(0)', opacity: 0.9 },
        { transform: 'scaleX(1)', opacity: 0.9, offset: 0.45 },
        { transform: 'scaleX(1)', opacity: 0 },
      ], { duration: ms(1200), easing: 'ease-in-out', fill: 'forwards' }).finished;
      ghost.remove();
    }
  }
}
