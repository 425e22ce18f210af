// The host page's light or dark mode, as documentation generators mark it, for embeds with
// theme="auto". No DOM of our own and no storage: it only reads the host's <html> and <body>
// attributes and the prefers-color-scheme media query, and watches both for changes.
//
// The signals, first match wins, <html> before <body>:
//   data-theme="dark|light"             Docusaurus, Starlight, Furo (on <body>), pydata-sphinx-theme
//   data-bs-theme="dark|light"          Bootstrap 5.3
//   data-md-color-scheme="slate|default" MkDocs Material (on <body>)
//   data-color-mode="dark|light"        GitHub Primer
//   data-mode="dark|light"              Sphinx Book Theme and others
//   class="dark" / "light"              VitePress, Tailwind (class strategy), Nextra
//   class="theme-dark" / "theme-light"  Docusaurus 1 and others
//   class="coal" / "navy" / "ayu"       mdBook's dark themes ("light" and "rust" are light)
// A value such as data-theme="auto" or "system" says nothing, so the media query decides.

const ATTRS = ['data-theme', 'data-bs-theme', 'data-md-color-scheme', 'data-color-mode', 'data-mode'];
const DARK_WORDS = new Set(['dark', 'slate', 'night']);
const LIGHT_WORDS = new Set(['light', 'default', 'day']);
const DARK_CLASSES = ['dark', 'theme-dark', 'dark-mode', 'coal', 'navy', 'ayu'];
const LIGHT_CLASSES = ['light', 'theme-light', 'light-mode', 'rust'];

/** What one element says about the scheme: 'dark', 'light' or null (nothing). */
function signal(el) {
  if (!el) return null;
  for (const name of ATTRS) {
    const v = el.getAttribute(name)?.trim().toLowerCase();
    if (!v) continue;
    if (DARK_WORDS.has(v)) return 'dark';
    if (LIGHT_WORDS.has(v)) return 'light';
  }
  const cl = el.classList;
  if (DARK_CLASSES.some((c) => cl.contains(c))) return 'dark';
  if (LIGHT_CLASSES.some((c) => cl.contains(c))) return 'light';
  return null;
}

const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

/** The host's scheme now: the page's own marking, else the browser's preference. */
export function hostTheme(doc = document) {
  return signal(doc.documentElement) ?? signal(doc.body) ?? (media?.matches ? 'dark' : 'light');
}

const listeners = new Set();
let watching = null;
let last = null;

function notify() {
  const now = hostTheme();
  if (now === last) return;
  last = now;
  for (const f of listeners) f(now);
}

function startWatching() {
  const mo = new MutationObserver(notify);
  const opts = { attributes: true, attributeFilter: ['class', ...ATTRS] };
  mo.observe(document.documentElement, opts);
  // <body> may not exist yet when a module in <head> runs; observe it once it does.
  const watchBody = () => {
    if (document.body) mo.observe(document.body, opts);
  };
  if (document.body) watchBody();
  else document.addEventListener('DOMContentLoaded', () => { watchBody(); notify(); }, { once: true });
  media?.addEventListener('change', notify);
  return () => {
    mo.disconnect();
    media?.removeEventListener('change', notify);
  };
}

/**
 * Calls `f(theme)` whenever the host's scheme changes (one MutationObserver and one media
 * listener for all callers). Returns a function that stops the calls.
 */
export function watchHostTheme(f) {
  listeners.add(f);
  if (!watching) {
    last = hostTheme();
    watching = startWatching();
  }
  return () => {
    listeners.delete(f);
    if (listeners.size === 0 && watching) {
      watching();
      watching = null;
    }
  };
}
