// Small helpers shared by the render modules. Every piece of user data (file names, contents,
// command lines, engine messages) reaches the page through textContent, never through HTML
// parsing, so a file named `<img src=x onerror=alert(1)>` is only ever text.

/**
 * Makes an element. `props` sets attributes (class, data-*, aria-*, role, ...); `text` becomes
 * its textContent; children are appended as given (strings become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = value;
    else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Byte counts the way the engine's messages show them: 20 B, 1.5 KiB, 1 MiB. */
export function bytes(n) {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (n < 1024) return `${n} B`;
  let v = n / 1024;
  let unit = 0;
  while (v >= 1024 && unit + 1 < units.length) {
    v /= 1024;
    unit += 1;
  }
  const s = v.toFixed(1).replace(/\.0$/, '');
  return `${s} ${units[unit]}`;
}

/** The first 12 hex digits of a digest, as `docker images` shows IDs. */
export function shortDigest(d) {
  if (!d) return '';
  return d.replace(/^sha256:/, '').slice(0, 12);
}

/** The last component of a path. */
export function basename(path) {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** How deep a path is: /a is 0, /a/b is 1. */
export function depth(path) {
  let n = -1;
  for (let i = 0; i < path.length; i += 1) if (path.charCodeAt(i) === 47) n += 1;
  return n;
}

/** Whether `path` is `dir` or lies under it. */
export function within(path, dir) {
  return path === dir || (path.startsWith(dir) && path.charCodeAt(dir.length) === 47);
}
