// The live view of a <layer-lab> embed, imported by embed.js only when an embed is shown or
// clicked. It holds the one wasm engine of the page (every embed shares this module, so the
// wasm is fetched and compiled once) and draws, per embed: a compact layer matrix (paths down,
// layers across: the merged view, the container layer, the image layers), the scenario's
// commands with their output and the sentences of their events, step and play controls, a
// small terminal unless read-only, a lesson's goal, and an "Open in Layer Lab" link that holds
// the embed's state. Every name and content reaches the DOM as text.

import init, { LayerLab } from './pkg/layerlab.js';
import { el, header, messages, subtitle } from './embed.js';
import { bytes, basename, depth } from './dom.js';
import { treeKey, masked, validateSaved } from './model.js';
import { encodeFragment } from './share.js';

let engine = null;

/**
 * Lessons (www/lesson-core.js and www/lessons/), loaded only by an embed with a lesson
 * attribute: a lesson's start state, its goal, and the check after every command.
 */
const lessons = {
  core: null,
  async load(id, href) {
    this.core ??= await import('./lesson-core.js');
    return this.core.loadLesson(id, new URL('./', href).href);
  },
  start(LayerLab, lesson) {
    return this.core.startLab(LayerLab, lesson);
  },
  check(lab, lesson) {
    return this.core.checkGoal(lab, lesson);
  },
};

/** Loads and instantiates the wasm module once for the page. */
export function ready() {
  if (!engine) {
    engine = init().catch((e) => {
      engine = null;
      throw e;
    });
  }
  return engine;
}

const STORE_PREFIX = 'layerlab.embed.';
const PLAY_DELAY = 1100;
const ALL_OPEN_BELOW = 16;

function errorText(e) {
  return e instanceof Error ? e.message : String(e);
}

function reducedMotion() {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** Every directory above `path` (not `path` itself). */
function ancestors(path) {
  const out = [];
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

function cellText(entry) {
  switch (entry.type) {
    case 'file': return `▤ ${bytes(entry.size)}${entry.metacopy ? ' meta' : ''}`;
    case 'dir': return entry.redirect ? '▸ dir ↩' : '▸ dir';
    case 'symlink': return `↪ ${entry.target ?? ''}`;
    case 'whiteout': return '✕ whiteout';
    case 'opaque': return '◆ opaque';
    default: return entry.type;
  }
}

function layerTag(index, imageCount) {
  return index === imageCount ? 'C' : `L${index}`;
}

/**
 * Mounts the live view into `wrap` (the embed's shadow wrapper). Throws an Error with a plain
 * message when the embed's starting image cannot be built (a layer script that fails).
 */
export function mount(wrap, config, env) {
  const view = new EmbedView(wrap, config, env);
  return { destroy: () => view.destroy(), setHeight: (h) => view.setHeight(h) };
}

class EmbedView {
  constructor(wrap, config, env) {
    this.wrap = wrap;
    this.config = config;
    this.env = env;
    this.lab = null;
    this.entries = [];
    this.next = 0;
    this.playing = false;
    this.timer = 0;
    this.folds = new Map();
    this.layerCache = new Map();
    this.linkToken = 0;
    this.notice = null;
    this.lesson = null;
    this.goal = null;
    this.hintsShown = 0;
    this.destroyed = false;
    this.history = [];
    this.historyAt = 0;
    this.mentioned = new Set();
    for (const s of config.steps) {
      for (const m of s.line.matchAll(/(?:^|[\s'"=<>])(\/[^\s'";&|<>]*)/g)) if (m[1].length > 1) this.mentioned.add(m[1].replace(/\/+$/, ''));
    }
    this.build();
    if (config.lesson) {
      // The lesson decides the starting image; until it is loaded the embed says so.
      this.setNotice({ text: `Loading lesson ${config.lesson}…`, fatal: false });
      this.render();
      lessons.load(config.lesson, env.href).then((lesson) => {
        if (this.destroyed) return;
        this.lesson = lesson;
        this.notice = null;
        this.start();
      }, (e) => {
        if (this.destroyed) return;
        this.setNotice({ text: `The lesson “${config.lesson}” could not be loaded: ${errorText(e)}`, fatal: true });
        this.render();
      });
      return;
    }
    this.start(true);
  }

  /** Builds the engine for the starting state; `strict` throws instead of showing the error. */
  start(strict = false) {
    try {
      this.lab = this.fresh();
    } catch (e) {
      const text = `The embed's starting image could not be built: ${errorText(e)}`;
      if (strict) throw new Error(text);
      this.setNotice({ text, fatal: true });
      this.render();
      return;
    }
    this.restore();
    this.check();
    this.render();
    if (this.config.autoplay && this.next < this.config.steps.length) this.play();
  }

  fresh() {
    if (this.lesson) return lessons.start(LayerLab, this.lesson);
    const scenario = { options: this.config.options };
    if (this.config.layers) scenario.layers = this.config.layers;
    return new LayerLab(scenario);
  }

  destroy() {
    this.destroyed = true;
    clearTimeout(this.timer);
    this.playing = false;
    if (this.lab) this.lab.free();
    this.lab = null;
  }

  setHeight(h) {
    this.view.style.maxHeight = h ?? '';
  }

  setNotice(n) {
    this.notice = n;
  }

  // -------------------------------------------------------------------------------------------
  // Actions. Each changes the engine, then renders.

  run(line, scripted) {
    if (!this.lab) return;
    let r;
    try {
      r = this.lab.run(line);
    } catch (e) {
      this.setNotice({ text: `${line}: ${errorText(e)}`, fatal: false });
      this.render();
      return;
    }
    const step = scripted ? this.config.steps[this.next] : null;
    this.entries.push({ line, caption: step?.caption ?? '', stdout: r.stdout, stderr: r.stderr, status: r.status, events: r.events, scripted });
    if (scripted) this.next += 1;
    this.notice = null;
    this.changed();
  }

  stepForward() {
    if (this.next < this.config.steps.length) this.run(this.config.steps[this.next].line, true);
  }

  back() {
    if (!this.lab || this.entries.length === 0) return;
    this.stop();
    if (!this.lab.undo()) return;
    const e = this.entries.pop();
    if (e.scripted) this.next -= 1;
    this.changed();
  }

  reset() {
    this.stop();
    if (!this.lab) return;
    let lab;
    try {
      lab = this.fresh();
    } catch (e) {
      this.setNotice({ text: errorText(e), fatal: true });
      this.render();
      return;
    }
    this.lab.free();
    this.lab = lab;
    this.entries = [];
    this.next = 0;
    this.changed();
  }

  play() {
    if (this.playing) {
      this.stop();
      this.render();
      return;
    }
    if (this.next >= this.config.steps.length) this.reset();
    if (reducedMotion()) {
      // No moving content for people who asked for less motion: the whole scenario at once.
      while (this.next < this.config.steps.length) this.stepForward();
      return;
    }
    this.playing = true;
    this.render();
    const tick = () => {
      if (!this.playing || this.destroyed) return;
      this.stepForward();
      if (this.next >= this.config.steps.length) {
        this.playing = false;
        this.render();
        return;
      }
      this.timer = setTimeout(tick, PLAY_DELAY);
    };
    this.timer = setTimeout(tick, 300);
  }

  stop() {
    this.playing = false;
    clearTimeout(this.timer);
  }

  /** A lesson's goal, checked against the present state. */
  check() {
    if (!this.lesson || !this.lab) return;
    try {
      this.goal = lessons.check(this.lab, this.lesson);
    } catch (e) {
      this.goal = { met: false, differences: [errorText(e)] };
    }
  }

  changed() {
    this.check();
    this.persist();
    this.render();
  }

  // -------------------------------------------------------------------------------------------
  // Opt-in storage: only with persist="key", and only under that key.

  storageKey() {
    return this.config.persist ? STORE_PREFIX + this.config.persist : null;
  }

  fingerprint() {
    const c = this.config;
    return JSON.stringify([c.steps.map((s) => s.line), c.layers, c.options, c.lesson]);
  }

  persist() {
    const key = this.storageKey();
    if (!key || !this.lab) return;
    try {
      localStorage.setItem(key, JSON.stringify({ embed: this.fingerprint(), state: this.lab.save() }));
    } catch {
      // Storage full or switched off: the embed still works, it just forgets.
    }
  }

  restore() {
    const key = this.storageKey();
    if (!key) return;
    let saved;
    try {
      const doc = JSON.parse(localStorage.getItem(key) ?? 'null');
      if (!doc || doc.embed !== this.fingerprint()) return;
      saved = validateSaved(doc.state);
    } catch {
      return;
    }
    if (saved.actions.some((a) => a.action !== 'run')) return;
    for (const a of saved.actions) {
      const scripted = this.next < this.config.steps.length && this.config.steps[this.next].line === a.line;
      this.run(a.line, scripted);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Rendering.

  build() {
    this.link = el('a', { class: 'open', target: '_blank', rel: 'noopener', text: 'Open in Layer Lab ↗', title: 'Open this state in the full Layer Lab page' });
    this.head = header(this.config.lesson ? `lesson ${this.config.lesson}` : subtitle(this.config));
    this.head.append(this.link);
    this.msgs = el('div');
    this.goalBox = el('div', { class: 'goal', hidden: true, role: 'status' });
    this.view = el('div', { class: 'view', tabindex: '0', role: 'region', 'aria-label': 'Layers: paths down, layers across' });
    this.view.addEventListener('click', (e) => {
      const b = e.target instanceof Element ? e.target.closest('button[data-dir]') : null;
      if (!b) return;
      const dir = b.getAttribute('data-dir');
      this.folds.set(dir, b.getAttribute('aria-expanded') !== 'true');
      this.render();
    });
    this.setHeight(this.config.height);
    this.legend = el('ul', { class: 'layers', 'aria-label': 'Layers, bottom first' });
    this.controls = el('div', { class: 'controls', role: 'group', 'aria-label': 'Scenario' });
    this.log = el('ol', { class: 'log', 'aria-label': 'Commands and what they did' });
    this.live = el('div', { class: 'vh', role: 'status' });
    this.term = null;
    if (!this.config.readonly) {
      const input = el('input', { type: 'text', 'aria-label': 'command', spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off', placeholder: 'type a command, e.g. rm /etc/hosts' });
      this.input = input;
      this.prompt = el('span', { text: '#' });
      this.term = el('form', { class: 'term', autocomplete: 'off' }, this.prompt, input);
      this.term.addEventListener('submit', (e) => {
        e.preventDefault();
        const line = input.value.trim();
        if (!line) return;
        input.value = '';
        this.history.push(line);
        this.historyAt = this.history.length;
        this.stop();
        this.run(line, false);
      });
      input.addEventListener('keydown', (e) => {
        // Tab completes the path under the cursor, as in the full page's terminal; with
        // nothing to complete it moves the focus on as usual (no keyboard trap).
        if (e.key === 'Tab' && !e.shiftKey && this.complete(input)) {
          e.preventDefault();
          return;
        }
        if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
        e.preventDefault();
        this.historyAt = Math.max(0, Math.min(this.history.length, this.historyAt + (e.key === 'ArrowUp' ? -1 : 1)));
        input.value = this.history[this.historyAt] ?? '';
      });
    }
    this.wrap.replaceChildren(this.head, this.msgs, this.goalBox, this.view, this.legend, this.controls, this.log, ...(this.term ? [this.term] : []), this.live);
  }

  /**
   * Completes the word before the cursor to the longest common prefix of the engine's
   * completions (whole words, directories ending in `/`); a single file gets a space after it.
   * Returns whether it changed the input.
   */
  complete(input) {
    if (!this.lab || input.value.trim() === '') return false;
    const at = input.selectionStart ?? input.value.length;
    const before = input.value.slice(0, at);
    const word = before.match(/[^\s;&|<>'"]*$/)[0];
    let names;
    try {
      names = this.lab.completions(word);
    } catch {
      return false;
    }
    if (!names.length) return false;
    let common = names[0];
    for (const n of names) while (!n.startsWith(common)) common = common.slice(0, -1);
    const filled = common + (names.length === 1 && !common.endsWith('/') ? ' ' : '');
    if (filled.length <= word.length) return false;
    input.value = before.slice(0, at - word.length) + filled + input.value.slice(at);
    const end = at - word.length + filled.length;
    input.setSelectionRange(end, end);
    return true;
  }

  render() {
    if (this.destroyed) return;
    const problems = this.config.problems.filter((p) => !p.fatal);
    if (this.notice) problems.push(this.notice);
    this.msgs.replaceChildren(...messages(problems));
    this.renderGoal();
    if (!this.lab) {
      this.view.hidden = true;
      this.controls.replaceChildren();
      this.link.hidden = true;
      return;
    }
    this.view.hidden = false;
    this.link.hidden = false;
    const layers = this.lab.layers();
    this.renderMatrix(layers);
    this.renderLegend(layers);
    this.renderControls();
    this.renderLog();
    if (this.prompt) this.prompt.textContent = `${this.lab.cwd()} #`;
    this.updateLink();
  }

  renderGoal() {
    const box = this.goalBox;
    if (!this.lesson) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const l = this.lesson;
    const met = Boolean(this.goal?.met);
    box.classList.toggle('met', met);
    const kids = [el('div', {}, el('strong', { text: l.title }))];
    if (l.summary) kids.push(el('p', { class: 'summary', text: l.summary }));
    kids.push(el('p', { class: 'goal-text' }, el('b', { text: l.goal ? 'Goal: ' : 'No goal: ' }), l.goal?.text ?? 'a sandbox; try anything.'));
    if (l.goal) {
      const hints = l.hints ?? [];
      kids.push(el('div', { class: 'goal-row' },
        el('span', { class: 'state', text: met ? '✓ goal met' : 'goal not met yet' }),
        this.hintsShown < hints.length ? el('button', { type: 'button', text: this.hintsShown ? 'another hint' : 'hint', onclick: () => { this.hintsShown += 1; this.render(); } }) : null));
      for (const h of hints.slice(0, this.hintsShown)) kids.push(el('p', { class: 'hint', text: `Hint: ${h}` }));
    }
    box.replaceChildren(...kids);
  }

  trees(layers) {
    const imageCount = layers.length - 1;
    const cols = [];
    for (let i = imageCount; i >= 0; i -= 1) {
      const info = layers[i];
      let map;
      if (i === imageCount) map = new Map(this.lab.tree('container').map((e) => [e.path, e]));
      else {
        const k = `${i}:${info.diffId}`;
        map = this.layerCache.get(k);
        if (!map) {
          map = new Map(this.lab.tree(i).map((e) => [e.path, e]));
          this.layerCache.set(k, map);
        }
      }
      cols.push({ index: i, info, map, tag: layerTag(i, imageCount) });
    }
    return cols;
  }

  renderMatrix(layers) {
    const imageCount = layers.length - 1;
    const cols = this.trees(layers);
    const merged = new Map(this.lab.tree('merged').map((e) => [e.path, e]));
    const all = new Set(merged.keys());
    for (const c of cols) for (const p of c.map.keys()) all.add(p);
    const paths = [...all].sort((a, b) => (treeKey(a) < treeKey(b) ? -1 : 1));
    const dirs = new Set(paths.filter((p) => merged.get(p)?.type === 'dir' || cols.some((c) => ['dir', 'opaque'].includes(c.map.get(p)?.type))));

    // What the last command touched lights up; directories on the way to it, to anything in
    // the container layer, or to a path the scenario names start unfolded.
    const last = this.entries[this.entries.length - 1];
    const hits = new Set();
    const hitPaths = new Set();
    for (const e of last?.events ?? []) {
      const dest = e.layers[e.layers.length - 1];
      for (const p of [e.path, e.to]) {
        if (!p) continue;
        hitPaths.add(p);
        if (dest !== undefined) hits.add(`${dest}|${p}`);
      }
    }
    const auto = new Set();
    const openTo = (p) => {
      for (const a of ancestors(p)) auto.add(a);
    };
    for (const p of cols[0].map.keys()) openTo(p);
    for (const p of hitPaths) openTo(p);
    for (const p of this.mentioned) openTo(`${p}/x`);
    const everything = paths.length <= ALL_OPEN_BELOW;
    const isOpen = (d) => this.folds.get(d) ?? (everything || auto.has(d));

    const head = el('tr', {},
      el('th', { scope: 'col', text: 'path' }),
      el('th', { scope: 'col', class: 'm', text: 'merged', title: 'what the container sees' }),
      cols.map((c) => el('th', { scope: 'col', text: c.tag, title: c.index === imageCount ? 'the container layer (writable)' : c.info.createdBy })));
    const rows = [];
    for (const p of paths) {
      if (ancestors(p).some((a) => !isOpen(a))) continue;
      const d = depth(p);
      const name = basename(p) + (dirs.has(p) ? '/' : '');
      const th = el('th', { scope: 'row', title: p });
      th.style.paddingLeft = `${6 + d * 14}px`;
      if (dirs.has(p)) {
        const open = isOpen(p);
        th.append(el('button', { type: 'button', class: 'fold', 'data-dir': p, 'aria-expanded': open ? 'true' : 'false', 'aria-label': `${open ? 'fold' : 'unfold'} ${p}`, text: open ? '▾' : '▸' }), name);
      } else th.append(el('span', { class: 'leaf', 'aria-hidden': 'true' }), name);
      const m = merged.get(p);
      const mcell = el('td', { class: `m ${m ? m.type : 'none'}`, 'data-layer': 'merged', 'data-path': p, 'data-state': m ? m.type : 'none' });
      if (m) mcell.append(cellText(m), el('span', { class: 'src', text: layerTag(m.layer, imageCount) }));
      const cells = cols.map((c) => {
        const e = c.map.get(p);
        let cls = e ? e.type : 'none';
        if (e && masked(e, c.index, m)) cls += ' masked';
        if (hits.has(`${c.index}|${p}`)) cls += ' hit';
        return el('td', { class: cls, 'data-layer': c.index === imageCount ? 'container' : String(c.index), 'data-path': p, 'data-state': e ? e.type : 'none', text: e ? cellText(e) : '' });
      });
      rows.push(el('tr', { class: hitPaths.has(p) ? 'hit' : null }, th, mcell, cells));
    }
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: String(cols.length + 2), text: 'The image is empty.' })));
    this.view.replaceChildren(el('table', { class: 'mx' }, el('thead', {}, head), el('tbody', {}, rows)));
  }

  renderLegend(layers) {
    const imageCount = layers.length - 1;
    this.legend.replaceChildren(...layers.map((l) => el('li', { title: l.diffId ?? 'writable, not committed' },
      el('b', { text: layerTag(l.index, imageCount) }), ' ',
      l.index === imageCount ? 'container layer' : l.createdBy, ' · ',
      bytes(l.bytes),
      l.hiddenBytes ? ` (${bytes(l.hiddenBytes)} hidden)` : '')));
  }

  renderControls() {
    const n = this.config.steps.length;
    const button = (text, label, f, disabled, extra = {}) => el('button', { type: 'button', text, 'aria-label': label, disabled, onclick: f, ...extra });
    const kids = [];
    kids.push(button('⟲', 'reset', () => this.reset(), this.entries.length === 0, { title: 'Start over' }));
    kids.push(button('◀', 'back', () => this.back(), this.entries.length === 0, { title: 'Undo the last command' }));
    if (n) {
      kids.push(button('▶|', 'next command', () => { this.stop(); this.stepForward(); }, this.next >= n, { title: 'Run the next command of the scenario' }));
      kids.push(button(this.playing ? '❚❚ pause' : this.next >= n ? '▶ replay' : '▶ play', this.playing ? 'pause' : 'play', () => this.play(), false, { class: 'primary', 'aria-pressed': this.playing ? 'true' : 'false' }));
      kids.push(el('span', { class: 'pos', text: `${this.next} of ${n} commands run` }));
    }
    this.controls.replaceChildren(...kids);
  }

  renderLog() {
    const items = this.entries.map((e, i) => {
      const li = el('li', { class: i === this.entries.length - 1 ? 'current' : null },
        e.caption ? el('div', { class: 'caption', text: e.caption }) : null,
        el('div', { class: 'cmd', text: e.line }));
      if (e.stdout) li.append(el('pre', { text: e.stdout }));
      if (e.stderr) li.append(el('pre', { class: 'err', text: e.stderr }));
      if (e.status !== 0) li.append(el('div', { class: 'status', text: `exit status ${e.status}` }));
      if (e.events.length) {
        li.append(el('ul', { class: 'ev' }, e.events.map((ev) => el('li', {},
          el('span', { class: `kind ${ev.kind}`, text: ev.kind }), ev.message.replace(/^[a-z-]+: /, '')))));
      } else if (e.status === 0) li.append(el('div', { class: 'noev', text: 'no change to any layer' }));
      return li;
    });
    for (let i = this.next; i < this.config.steps.length; i += 1) {
      const s = this.config.steps[i];
      items.push(el('li', { class: 'pending' },
        s.caption ? el('div', { class: 'caption', text: s.caption }) : null,
        el('div', { class: 'cmd', text: s.line })));
    }
    this.log.replaceChildren(...items);
    this.log.hidden = items.length === 0;
    const last = this.entries[this.entries.length - 1];
    this.live.textContent = last ? `${last.line}: ${last.events.length} events` : '';
  }

  /** The "Open in Layer Lab" link: the page's share fragment of this state. */
  updateLink() {
    const token = ++this.linkToken;
    let json;
    try {
      json = this.lab.save();
    } catch {
      return;
    }
    // A lesson not yet begun opens as the lesson itself on the full page; after that, the
    // state the learner made.
    const fragment = this.lesson && this.entries.length === 0 ? Promise.resolve(`lesson=${encodeURIComponent(this.lesson.id)}`) : encodeFragment(json);
    fragment.then((frag) => {
      if (token === this.linkToken && !this.destroyed) this.link.href = `${this.env.href}#${frag}`;
    }, () => {
      if (token === this.linkToken) this.link.hidden = true;
    });
  }
}
