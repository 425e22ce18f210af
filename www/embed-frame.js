// The iframe mode: embed.html?scenario=…&layers=…&lesson=…&readonly&autoplay&theme=…&height=…
// &options=…&origin=… shows one <layer-lab> built from the query, and tells the page around
// it how tall it is, so the host can size the iframe and no inner scrollbar appears.
//
// The height goes to `parent` with postMessage({type: "layerlab:height", height}) and a
// targetOrigin: the `origin` parameter when given, else the origin of document.referrer (the
// embedding page). When neither is known nothing is posted: the height is never broadcast to
// whatever page happens to frame this one. The host's side is embed-host.js, which checks
// event.origin and event.source before resizing. A host may also send
// {type: "layerlab:theme", theme: "light"|"dark"}; it is taken only from that same origin and
// only when the embed follows the page (theme absent or "auto").

import './embed.js';

const ATTRS = ['scenario', 'layers', 'lesson', 'theme', 'height', 'options'];
const FLAGS = ['readonly', 'autoplay'];

const params = new URLSearchParams(location.search);
const lab = document.createElement('layer-lab');
for (const name of ATTRS) {
  const v = params.get(name);
  if (v !== null) lab.setAttribute(name, v);
}
for (const name of FLAGS) {
  if (params.has(name) && !['false', '0', 'no', 'off'].includes(params.get(name))) lab.setAttribute(name, '');
}
// Storage is the host's to grant; in an iframe it would be this origin's, so persist is not
// offered here.
document.body.append(lab);

// The frame's colour scheme follows the embed's theme, so that it matches the host's and the
// browser keeps the frame transparent (a frame whose scheme differs from its host's gets an
// opaque backdrop, white corners around the rounded box).
const wrap = lab.shadowRoot?.querySelector('.ll');
if (wrap) {
  const sync = () => {
    if (wrap.dataset.theme) document.documentElement.style.colorScheme = wrap.dataset.theme;
  };
  new MutationObserver(sync).observe(wrap, { attributes: true, attributeFilter: ['data-theme'] });
  sync();
}

/** The embedding page's origin, or null when it is not known. */
export function parentOrigin() {
  if (window.parent === window) return null;
  const given = params.get('origin');
  try {
    if (given) {
      const u = new URL(given);
      return u.origin === 'null' ? null : u.origin;
    }
    if (document.referrer) {
      const u = new URL(document.referrer);
      return u.origin === 'null' ? null : u.origin;
    }
  } catch {
    return null;
  }
  return null;
}

const origin = parentOrigin();
if (origin) {
  let sent = -1;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === sent) return;
    sent = height;
    window.parent.postMessage({ type: 'layerlab:height', height }, origin);
  };
  new ResizeObserver(post).observe(document.documentElement);
  post();
  const follows = !params.has('theme') || params.get('theme') === 'auto';
  window.addEventListener('message', (e) => {
    if (e.source !== window.parent || e.origin !== origin) return;
    const d = e.data;
    if (follows && d && d.type === 'layerlab:theme' && (d.theme === 'light' || d.theme === 'dark')) lab.setAttribute('theme', d.theme);
  });
}
