// The host page's side of the iframe mode. Include it once on a page with
//   <iframe data-layerlab src="https://…/embed.html?scenario=…" title="Layer Lab" loading="lazy"></iframe>
// (copy it and embed-theme.js next to your page, or load them from where Layer Lab is served).
// It sizes each such iframe to the height the embed reports, so no inner scrollbar appears,
// and tells the embeds when the page switches between light and dark.
//
// A message is believed only when it comes from the window of one of those iframes
// (event.source) and from the origin of that iframe's src (event.origin); anything else is
// ignored. The theme goes to each iframe with its src origin as targetOrigin.

import { hostTheme, watchHostTheme } from './embed-theme.js';

const MAX_HEIGHT = 20000;
const themed = new WeakSet();
const hooked = new WeakSet();

function frames() {
  return [...document.querySelectorAll('iframe[data-layerlab]')];
}

function originOf(frame) {
  try {
    return new URL(frame.src, location.href).origin;
  } catch {
    return null;
  }
}

window.addEventListener('message', (e) => {
  const d = e.data;
  if (!d || typeof d !== 'object' || d.type !== 'layerlab:height') return;
  const frame = frames().find((f) => f.contentWindow === e.source);
  if (!frame || originOf(frame) !== e.origin) return;
  const h = Number(d.height);
  if (!Number.isFinite(h) || h < 0 || h > MAX_HEIGHT) return;
  frame.style.height = `${Math.ceil(h)}px`;
  // The first message shows the embed is listening: tell it the page's theme.
  if (!themed.has(frame)) {
    themed.add(frame);
    sendTheme(frame, hostTheme());
  }
});

function sendTheme(frame, theme) {
  const origin = originOf(frame);
  if (origin && origin !== 'null' && frame.contentWindow) frame.contentWindow.postMessage({ type: 'layerlab:theme', theme }, origin);
}

watchHostTheme((theme) => {
  for (const f of frames()) sendTheme(f, theme);
});

// Each iframe learns the page's theme when it has loaded (and after any reload).
function hook(frame) {
  if (hooked.has(frame)) return;
  hooked.add(frame);
  frame.addEventListener('load', () => sendTheme(frame, hostTheme()));
}
for (const f of frames()) hook(f);
new MutationObserver(() => frames().forEach(hook)).observe(document.documentElement, { childList: true, subtree: true });
