// <layer-lab>: the element documentation pages embed. This file is the only one a host
// includes (`<script type="module" src=".../embed.js">`), and it is kept small on purpose: it
// reads the element's attributes, draws a static preview in a shadow root and waits. Only when
// the embed becomes visible (IntersectionObserver, which also covers a closed <details> or a
// hidden tab: they have no box until shown) or is clicked does it import the live view
// (`embed-live.js`), which loads the wasm engine. Every embed on the page shares that one
// import, so the module is fetched and compiled once. Nothing here writes to the host's
// storage or changes its URL; every URL is resolved against this file's own, so the files can
// live at any path of any static host.

import { hostTheme, watchHostTheme } from './embed-theme.js';

const HERE = import.meta.url;

/** Limits on what attributes may ask for; past them the embed explains and does not start. */
export const EMBED_LIMITS = { lines: 500, line: 8192, layers: 32, script: 256 * 1024 };

const OPTION_NAMES = { redirect_dir: 'redirectDir', redirectdir: 'redirectDir', 'redirect-dir': 'redirectDir', metacopy: 'metacopy', index: 'index' };
const SCRIPT_TYPE = 'text/x-layerlab';

function problem(text, fatal = false) {
  return { text, fatal };
}

function boolAttr(el, name) {
  if (!el.hasAttribute(name)) return false;
  const v = el.getAttribute(name).trim().toLowerCase();
  return v !== 'false' && v !== 'off' && v !== 'no';
}

/**
 * Splits a script into steps: one command line each, with the `#` comment lines just above it
 * as its caption. Blank lines and indentation are dropped.
 */
export function scenarioSteps(text) {
  const steps = [];
  let caption = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      caption.push(line.replace(/^#+\s?/, ''));
      continue;
    }
    steps.push({ line, caption: caption.join(' ') });
    caption = [];
  }
  return steps;
}

function dedent(text) {
  return text.split(/\r?\n/).map((l) => l.trim()).join('\n').trim();
}

function childScripts(el) {
  return [...el.children].filter((c) => c.localName === 'script' && c.type.trim().toLowerCase() === SCRIPT_TYPE);
}

function parseLayers(json, problems) {
  let doc;
  try {
    doc = JSON.parse(json);
  } catch {
    problems.push(problem('The layers attribute is not valid JSON. Write it as [{"createdBy": "…", "script": "…"}, …], or use <script type="text/x-layerlab" data-layer="…"> children.', true));
    return null;
  }
  if (!Array.isArray(doc)) {
    problems.push(problem('The layers attribute must be a JSON array of layers.', true));
    return null;
  }
  if (doc.length > EMBED_LIMITS.layers) {
    problems.push(problem(`The layers attribute has ${doc.length} layers; an embed takes at most ${EMBED_LIMITS.layers}.`, true));
    return null;
  }
  const out = [];
  for (const [i, l] of doc.entries()) {
    const createdBy = l?.createdBy ?? l?.created_by ?? `layer ${i}`;
    if (l === null || typeof l !== 'object' || typeof l.script !== 'string' || typeof createdBy !== 'string') {
      problems.push(problem(`Layer ${i} of the layers attribute needs a "script" (text) and may have a "createdBy" (text).`, true));
      return null;
    }
    if (l.script.length > EMBED_LIMITS.script) {
      problems.push(problem(`Layer ${i}'s script is longer than ${EMBED_LIMITS.script} characters.`, true));
      return null;
    }
    out.push({ createdBy: createdBy.slice(0, 512), script: l.script });
  }
  return out;
}

/**
 * Everything the embed is asked to show, read from its attributes and children. Bad values
 * become `problems` (plain sentences); a fatal one keeps the embed from starting.
 */
export function readConfig(el) {
  const problems = [];
  const scripts = childScripts(el);
  // The scenario: the attribute, else a child script without data-layer, else the text.
  let text = el.getAttribute('scenario');
  if (text === null) {
    const s = scripts.find((c) => !c.hasAttribute('data-layer'));
    if (s) text = s.textContent;
    else {
      text = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('');
    }
  }
  let steps = scenarioSteps(text ?? '');
  if (steps.length > EMBED_LIMITS.lines) {
    problems.push(problem(`The scenario has ${steps.length} lines; an embed plays at most ${EMBED_LIMITS.lines}.`, true));
    steps = [];
  } else if (steps.some((s) => s.line.length > EMBED_LIMITS.line)) {
    problems.push(problem(`A scenario line is longer than ${EMBED_LIMITS.line} characters.`, true));
    steps = [];
  }

  // The starting image: the attribute (JSON, or "default"), else child scripts with
  // data-layer (bottom first), else the engine's default image.
  let layers = null;
  const attr = el.getAttribute('layers');
  if (attr !== null && attr.trim() !== '' && attr.trim() !== 'default') {
    layers = parseLayers(attr, problems);
  } else if (attr === null) {
    const layerScripts = scripts.filter((c) => c.hasAttribute('data-layer'));
    if (layerScripts.length > EMBED_LIMITS.layers) {
      problems.push(problem(`The embed has ${layerScripts.length} layer scripts; it takes at most ${EMBED_LIMITS.layers}.`, true));
    } else if (layerScripts.length) {
      layers = layerScripts.map((c, i) => ({ createdBy: (c.getAttribute('data-layer').trim() || `layer ${i}`).slice(0, 512), script: dedent(c.textContent) }));
      if (layers.some((l) => l.script.length > EMBED_LIMITS.script)) {
        problems.push(problem(`A layer script is longer than ${EMBED_LIMITS.script} characters.`, true));
        layers = null;
      }
    }
  }

  const options = { redirectDir: false, metacopy: false, index: false };
  for (const word of (el.getAttribute('options') ?? '').split(/[\s,]+/).filter(Boolean)) {
    const name = OPTION_NAMES[word.toLowerCase()];
    if (name) options[name] = true;
    else problems.push(problem(`Unknown overlay option “${word.slice(0, 40)}” (known: redirect_dir, metacopy, index); it was ignored.`));
  }

  let lesson = el.getAttribute('lesson');
  if (lesson !== null) {
    lesson = lesson.trim();
    if (!/^[a-z0-9-]{1,64}$/.test(lesson)) {
      problems.push(problem(`“${lesson.slice(0, 40)}” is not a lesson id (a-z, 0-9 and -, as in lessons/index.json).`, true));
      lesson = null;
    }
  }

  let theme = (el.getAttribute('theme') ?? 'auto').trim().toLowerCase();
  if (!['auto', 'light', 'dark'].includes(theme)) {
    problems.push(problem(`theme="${theme.slice(0, 20)}" is not light, dark or auto; following the page instead.`));
    theme = 'auto';
  }

  let height = null;
  const hAttr = el.getAttribute('height');
  if (hAttr !== null && hAttr.trim() !== '') {
    const m = hAttr.trim().match(/^(\d{1,5}(?:\.\d+)?)(px|em|rem|vh|lh)?$/);
    if (m) height = `${m[1]}${m[2] ?? 'px'}`;
    else problems.push(problem(`height="${hAttr.slice(0, 20)}" is not a length such as 320 or 20em; it was ignored.`));
  }

  let persist = el.getAttribute('persist');
  if (persist !== null) {
    persist = persist.trim();
    if (!/^[\w.-]{1,64}$/.test(persist)) {
      problems.push(problem('persist needs a key of letters, digits, ., - and _; nothing will be stored.'));
      persist = null;
    }
  }

  return {
    steps,
    layers,
    options,
    lesson,
    readonly: boolAttr(el, 'readonly'),
    autoplay: boolAttr(el, 'autoplay'),
    theme,
    height,
    persist,
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// The one import of the live view, shared by every embed on the page.

let live = null;

/** The live module with its engine ready; one fetch of the wasm for the whole page. */
export function loadLive() {
  if (!live) {
    live = import(new URL('./embed-live.js', HERE).href).then(async (m) => {
      await m.ready();
      return m;
    });
    // A failed load (offline, a missing file) may be retried by the next embed or click.
    live.catch(() => {
      live = null;
    });
  }
  return live;
}

// ---------------------------------------------------------------------------------------------
// Styles: one constructed sheet adopted by every shadow root (no inline styles, so a host's
// Content-Security-Policy without 'unsafe-inline' does not block them).

const CSS = `
:host { display: block; margin: 1.25em 0; max-width: 100%; text-align: start; }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.ll {
  --bg: var(--layerlab-bg, #ffffff);
  --fg: var(--layerlab-fg, #1b1f24);
  --muted: var(--layerlab-muted, #5b6470);
  --border: var(--layerlab-border, #d9dde3);
  --soft: var(--layerlab-soft, #f1f3f6);
  --accent: var(--layerlab-accent, #0072b2);
  --accent-fg: var(--layerlab-accent-fg, #ffffff);
  --code-bg: var(--layerlab-code-bg, #f6f8fa);
  --code-fg: var(--layerlab-code-fg, #1b1f24);
  --file: var(--layerlab-file, #dcebf7);
  --file-fg: var(--layerlab-file-fg, #004b77);
  --link: #d7f0e7; --link-fg: #00654a;
  --whiteout: var(--layerlab-whiteout, #fbe3d3);
  --whiteout-fg: var(--layerlab-whiteout-fg, #9c3f00);
  --opaque: var(--layerlab-opaque, #f6e1ee);
  --opaque-fg: var(--layerlab-opaque-fg, #86336a);
  --hit: var(--layerlab-highlight, #fff1a8);
  --ok: #00765a; --err: #b3261e;
  --mono: var(--layerlab-mono, ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace);
  color-scheme: light;
  font-family: var(--layerlab-font, system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif);
  font-size: var(--layerlab-font-size, 14px);
  line-height: 1.45;
  background: var(--bg); color: var(--fg);
  border: 1px solid var(--border); border-radius: var(--layerlab-radius, 10px);
  padding: 10px 12px 12px; overflow: hidden;
}
.ll[data-theme="dark"] {
  --bg: var(--layerlab-bg, #171b21);
  --fg: var(--layerlab-fg, #e7eaee);
  --muted: var(--layerlab-muted, #9aa4b0);
  --border: var(--layerlab-border, #2c333c);
  --soft: var(--layerlab-soft, #222831);
  --accent: var(--layerlab-accent, #4ea9e6);
  --accent-fg: var(--layerlab-accent-fg, #0b1118);
  --code-bg: var(--layerlab-code-bg, #0f1216);
  --code-fg: var(--layerlab-code-fg, #e6e9ee);
  --file: var(--layerlab-file, #12344d);
  --file-fg: var(--layerlab-file-fg, #9fd2f5);
  --link: #0f3b30; --link-fg: #7fe0c2;
  --whiteout: var(--layerlab-whiteout, #3b2214);
  --whiteout-fg: var(--layerlab-whiteout-fg, #ffb27a);
  --opaque: var(--layerlab-opaque, #36202f);
  --opaque-fg: var(--layerlab-opaque-fg, #f0a9d2);
  --hit: var(--layerlab-highlight, #4a4313);
  --ok: #5fd3a9; --err: #ff8a80;
  color-scheme: dark;
}
button, input { font: inherit; color: inherit; }
button {
  background: var(--soft); border: 1px solid var(--border); border-radius: 6px;
  padding: 2px 10px; min-height: 28px; cursor: pointer;
}
button:hover:not(:disabled) { border-color: var(--muted); }
button:disabled { opacity: 0.45; cursor: default; }
button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
code, pre, .mono { font-family: var(--mono); font-size: 0.93em; }
.head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; margin-bottom: 8px; }
.logo { display: inline-grid; gap: 2px; width: 16px; flex: none; }
.logo i { display: block; height: 4px; border-radius: 1px; background: #e69f00; }
.logo i + i { background: #009e73; }
.logo i + i + i { background: #0072b2; }
.brand { font-weight: 650; }
.sub { color: var(--muted); flex: 1 1 auto; min-width: 0; }
.open { margin-left: auto; color: var(--accent); font-size: 0.93em; white-space: nowrap; }
.msg { margin: 6px 0; padding: 6px 10px; border-radius: 6px; border-left: 4px solid var(--err); background: var(--soft); }
.msg.warn { border-left-color: #e69f00; }
.goal { margin: 6px 0 8px; padding: 8px 10px; border-radius: 6px; background: var(--soft); border-left: 4px solid var(--accent); }
.goal.met { border-left-color: var(--ok); }
.goal p { margin: 4px 0; }
.goal .summary { color: var(--muted); font-size: 0.93em; }
.goal .goal-row { display: flex; align-items: center; gap: 10px; margin-top: 4px; }
.goal .hint { font-size: 0.93em; }
.goal .state { font-weight: 650; }
.goal.met .state { color: var(--ok); }
.view { overflow: auto; border: 1px solid var(--border); border-radius: 6px; }
table.mx { border-collapse: collapse; width: 100%; font-size: 0.9em; }
.mx th, .mx td { padding: 2px 6px; border-bottom: 1px solid var(--border); text-align: left; white-space: nowrap; }
.mx thead th { position: sticky; top: 0; background: var(--bg); font-weight: 600; color: var(--muted); z-index: 1; }
.mx thead th.m { color: var(--fg); }
.mx tbody th { font-weight: normal; font-family: var(--mono); position: sticky; left: 0; background: var(--bg); z-index: 1; }
.mx thead th:first-child { left: 0; z-index: 2; }
.mx .fold { border: 0; background: none; min-height: 0; padding: 0 4px 0 0; color: var(--muted); }
.mx .leaf { display: inline-block; width: 1.1em; }
.mx td { font-family: var(--mono); font-size: 0.92em; min-width: 5.5em; }
.mx td.m { border-right: 2px solid var(--border); }
.mx td.file { background: var(--file); color: var(--file-fg); }
.mx td.symlink { background: var(--link); color: var(--link-fg); }
.mx td.whiteout { background: repeating-linear-gradient(135deg, var(--whiteout) 0 6px, transparent 6px 9px); color: var(--whiteout-fg); }
.mx td.opaque { background: var(--opaque); color: var(--opaque-fg); }
.mx td.dir { color: var(--muted); }
.mx td.masked { opacity: 0.45; text-decoration: line-through; }
.mx tr.hit th { background: var(--hit); }
.mx td.hit { box-shadow: inset 0 0 0 2px var(--accent); }
.mx .src { color: var(--muted); font-size: 0.85em; margin-left: 4px; }
.layers { list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 2px 14px; color: var(--muted); font-size: 0.88em; }
.layers b { color: var(--fg); font-weight: 600; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 10px 0 6px; }
.controls .pos { color: var(--muted); font-size: 0.9em; margin-left: 4px; }
.log { list-style: none; margin: 0; padding: 0; }
.log > li { padding: 6px 0; border-top: 1px solid var(--border); }
.log > li:first-child { border-top: 0; }
.log .caption { color: var(--muted); font-style: italic; }
.log .cmd { font-family: var(--mono); font-size: 0.93em; }
.log .cmd::before { content: "$ "; color: var(--muted); }
.log .pending { color: var(--muted); }
.log .current .cmd { font-weight: 650; }
.log pre { margin: 4px 0 0; padding: 4px 8px; background: var(--code-bg); color: var(--code-fg); border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
.log pre.err { color: var(--err); }
.log .status { color: var(--err); font-size: 0.88em; }
.ev { list-style: none; margin: 4px 0 0; padding: 0 0 0 2px; font-size: 0.92em; }
.ev li { padding: 1px 0; }
.kind { display: inline-block; min-width: 5.5em; margin-right: 6px; padding: 0 5px; border-radius: 4px; background: var(--soft); font-family: var(--mono); font-size: 0.88em; text-align: center; }
.kind.copy-up { background: var(--file); color: var(--file-fg); }
.kind.whiteout { background: var(--whiteout); color: var(--whiteout-fg); }
.kind.opaque { background: var(--opaque); color: var(--opaque-fg); }
.noev { color: var(--muted); font-size: 0.9em; }
form.term { display: flex; align-items: center; gap: 6px; margin-top: 8px; padding: 4px 8px; border: 1px solid var(--border); border-radius: 6px; background: var(--code-bg); }
form.term span { font-family: var(--mono); color: var(--muted); font-size: 0.93em; }
form.term input { flex: 1; min-width: 0; border: 0; background: transparent; color: var(--code-fg); font-family: var(--mono); padding: 4px 0; }
form.term input:focus { outline: none; }
form.term:focus-within { outline: 2px solid var(--accent); outline-offset: 1px; }
.preview { cursor: pointer; }
.preview .load { margin-top: 8px; }
.note { color: var(--muted); font-size: 0.88em; margin-left: 6px; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
@media (prefers-reduced-motion: no-preference) {
  .mx td.hit, .mx tr.hit th { transition: background-color 0.4s, box-shadow 0.4s; }
}
`;

let sheet = null;
function adoptStyles(root) {
  if ('adoptedStyleSheets' in Document.prototype && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    root.adoptedStyleSheets = [sheet];
  } else {
    // Older browsers: a <style> in the shadow root (a strict host CSP may block it).
    const s = document.createElement('style');
    s.textContent = CSS;
    root.append(s);
  }
}

/** A small element factory: attributes, then text or children. Text is always text. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'class') node.className = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

export function header(sub) {
  return el('div', { class: 'head' },
    el('span', { class: 'logo', 'aria-hidden': 'true' }, el('i'), el('i'), el('i')),
    el('span', { class: 'brand', text: 'Layer Lab' }),
    el('span', { class: 'sub', text: sub }));
}

export function messages(problems) {
  return problems.map((p) => el('div', { class: `msg${p.fatal ? '' : ' warn'}`, role: p.fatal ? 'alert' : 'note', text: p.text }));
}

/** The subtitle of an embed: what it is about, before and after it goes live. */
export function subtitle(config) {
  if (config.lesson) return `lesson ${config.lesson}`;
  const n = config.steps.length;
  return n ? `a scenario of ${n} command${n === 1 ? '' : 's'}` : 'a container to try commands in';
}

// ---------------------------------------------------------------------------------------------
// The element.

let observer = null;
const visibleCallbacks = new WeakMap();

/** One IntersectionObserver for every embed: the first time one shows, it goes live. */
function observeVisible(node, f) {
  if (typeof IntersectionObserver !== 'function') {
    f();
    return () => {};
  }
  if (!observer) {
    observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        const cb = visibleCallbacks.get(e.target);
        observer.unobserve(e.target);
        visibleCallbacks.delete(e.target);
        cb?.();
      }
    });
  }
  visibleCallbacks.set(node, f);
  observer.observe(node);
  return () => {
    visibleCallbacks.delete(node);
    observer.unobserve(node);
  };
}

export class LayerLabElement extends HTMLElement {
  static observedAttributes = ['scenario', 'layers', 'lesson', 'readonly', 'autoplay', 'theme', 'height', 'options', 'persist'];

  #wrap;
  #config = null;
  #on = false;
  #generation = 0;
  #unobserve = null;
  #unwatch = null;
  #controller = null;
  #status = 'idle';

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    adoptStyles(root);
    this.#wrap = el('div', { class: 'll', part: 'root' });
    root.append(this.#wrap);
  }

  /** idle, preview, loading, live or error (for tests and for hosts that care). */
  get status() {
    return this.#status;
  }

  #setStatus(s) {
    this.#status = s;
    this.#wrap.dataset.state = s;
    this.dispatchEvent(new CustomEvent('layerlab-status', { detail: s, bubbles: true }));
  }

  connectedCallback() {
    if (document.readyState === 'loading') {
      // Children (the scenario's <script>) may still be arriving from the parser.
      document.addEventListener('DOMContentLoaded', () => {
        if (this.isConnected) this.connectedCallback();
      }, { once: true });
      return;
    }
    if (this.#on) return;
    this.#on = true;
    this.#start();
  }

  disconnectedCallback() {
    this.#stop();
  }

  attributeChangedCallback(name, before, after) {
    if (!this.#on || before === after) return;
    if (name === 'theme' || name === 'height') {
      this.#config = readConfig(this);
      this.#applyLook();
      return;
    }
    // Anything else is a different embed: start over.
    this.#stop();
    this.#on = true;
    this.#start();
  }

  /** Loads the live view now, as a click would (for hosts that want it before scrolling). */
  activate() {
    if (this.#on && this.#status === 'preview') this.#goLive();
  }

  #start() {
    const gen = ++this.#generation;
    this.#config = readConfig(this);
    this.#applyLook();
    this.#unwatch = watchHostTheme(() => this.#applyLook());
    this.#renderPreview();
    this.#setStatus('preview');
    if (this.#config.problems.some((p) => p.fatal)) {
      this.#setStatus('error');
      return;
    }
    this.#unobserve = observeVisible(this, () => {
      if (gen === this.#generation) this.#goLive();
    });
  }

  #stop() {
    this.#on = false;
    this.#generation += 1;
    this.#unobserve?.();
    this.#unobserve = null;
    this.#unwatch?.();
    this.#unwatch = null;
    this.#controller?.destroy();
    this.#controller = null;
    this.#status = 'idle';
  }

  #applyLook() {
    const c = this.#config;
    if (!c) return;
    this.#wrap.dataset.theme = c.theme === 'auto' ? hostTheme() : c.theme;
    this.#controller?.setHeight(c.height);
  }

  #renderPreview() {
    const c = this.#config;
    const load = el('button', { type: 'button', class: 'primary load', text: '▶ Load the live lab' });
    const log = el('ol', { class: 'log' }, c.steps.map((s) => el('li', { class: 'pending' },
      s.caption ? el('div', { class: 'caption', text: s.caption }) : null,
      el('div', { class: 'cmd', text: s.line }))));
    const fatal = c.problems.some((p) => p.fatal);
    const body = el('div', { class: 'preview' },
      c.lesson ? el('div', { class: 'goal', text: 'A lesson with a goal to reach: it loads when shown.' }) : null,
      c.steps.length ? log : null,
      fatal ? null : el('div', {}, load, el('span', { class: 'note', text: 'loads when it scrolls into view' })));
    if (!fatal) body.addEventListener('click', () => this.#goLive());
    this.#wrap.replaceChildren(header(subtitle(c)), ...messages(c.problems), body);
  }

  #goLive() {
    if (this.#status !== 'preview') return;
    const gen = this.#generation;
    this.#unobserve?.();
    this.#unobserve = null;
    this.#setStatus('loading');
    const button = this.#wrap.querySelector('button.load');
    if (button) {
      button.textContent = 'Loading…';
      button.disabled = true;
    }
    const fail = (text) => {
      this.#wrap.replaceChildren(header(subtitle(this.#config)), ...messages([problem(text, true)]));
      this.#setStatus('error');
    };
    loadLive().then((m) => {
      if (gen !== this.#generation) return;
      try {
        this.#controller = m.mount(this.#wrap, this.#config, { href: new URL('./index.html', HERE).href });
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e));
        return;
      }
      this.#applyLook();
      this.#setStatus('live');
    }, (e) => {
      if (gen === this.#generation) fail(`Layer Lab could not load: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
}

if (!customElements.get('layer-lab')) customElements.define('layer-lab', LayerLabElement);
