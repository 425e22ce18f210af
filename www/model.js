// The page's view of the engine: snapshots of every layer's tree at a timeline step, the
// matrix columns, and the replay of a saved history. Nothing here touches the DOM.

export { LIMITS, validateSaved } from './saved.js';

/**
 * Tree order, as the engine lists trees: depth first, a directory right before its children,
 * names sorted. Comparing with `/` as the lowest character gives exactly that order.
 */
export function treeKey(path) {
  return path.replaceAll('/', '\u0000');
}

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toMap(entries) {
  const m = new Map();
  for (const e of entries) m.set(e.path, e);
  return m;
}

/**
 * Everything the matrix needs at one step: the layers (bottom first, the container layer
 * last), each layer's entries by path, the merged view's entries by path, and the columns
 * (every path any layer holds, in tree order).
 *
 * `cache` keeps image layer trees by index and DiffID (image layers never change) and the
 * last column list, so that a command on a 20 000-file image asks the engine only for the
 * trees that can have changed.
 */
let columnsVersion = 0;

export function snapshot(lab, step, total, cache, hint = {}) {
  const at = step === total ? undefined : step;
  // Layer sizes cost the engine a walk of every layer; after a command line the image layers
  // are the same ones, so the labels can show the previous figures for a moment (hint.layers)
  // while the page asks for fresh ones after the frame.
  performance.mark('ll-snap');
  const layers = hint.layers ?? lab.layers(at);
  performance.measure('ll-snap-layers', 'll-snap');
  const rows = [];
  const imageCount = layers.length - 1;
  let changedPaths = false;
  for (const info of layers) {
    if (info.index === imageCount) {
      const tree = lab.tree('container', at);
      rows.push({ info, key: 'container', map: toMap(tree) });
      continue;
    }
    const k = `${info.index}:${info.diffId}`;
    let map = cache.images.get(k);
    if (!map) {
      map = toMap(lab.tree(info.index, at));
      cache.images.set(k, map);
      changedPaths = true;
    }
    rows.push({ info, key: String(info.index), map });
  }
  const imageKeys = rows.filter((r) => r.key !== 'container').map((r) => `${r.info.index}:${r.info.diffId}`).join(',');
  let columns = cache.columns;
  if (!columns || changedPaths || cache.imageKeys !== imageKeys) {
    columns = null;
  } else {
    // The column set changes only when the container layer holds a path no image layer has,
    // or stops holding one.
    const extra = [];
    const container = rows[rows.length - 1].map;
    for (const p of container.keys()) if (!cache.imagePaths.has(p)) extra.push(p);
    extra.sort();
    if (extra.join('\n') !== cache.extraKey) columns = null;
  }
  if (!columns) {
    const imagePaths = new Set();
    for (const r of rows) if (r.key !== 'container') for (const p of r.map.keys()) imagePaths.add(p);
    const all = new Set(imagePaths);
    const extra = [];
    for (const p of rows[rows.length - 1].map.keys()) {
      if (!imagePaths.has(p)) extra.push(p);
      all.add(p);
    }
    extra.sort();
    columns = [...all].map((p) => [treeKey(p), p]).sort((a, b) => cmp(a[0], b[0])).map((x) => x[1]);
    cache.columns = columns;
    cache.imagePaths = imagePaths;
    cache.imageKeys = imageKeys;
    cache.extraKey = extra.join('\n');
    // Versions count across caches, so that a new session's columns never pass for the old.
    columnsVersion += 1;
    cache.columnsVersion = columnsVersion;
  }
  performance.measure('ll-snap-columns', 'll-snap');
  // Rows top-down: the merged view, the container layer, then the image layers.
  const top = rows.slice().reverse();
  const redirected = top.some((r) => r.key === 'container' && [...r.map.values()].some((e) => e.redirect));
  let merged;
  if (hint.engineMerged || redirected) merged = toMap(lab.tree('merged', at));
  else {
    // The image layers' merged view is the same for every command until a commit; only the
    // container layer is laid over it each time.
    if (cache.imageMergedKey !== `${cache.columnsVersion}|${imageKeys}`) {
      cache.imageMerged = mergeLayers(top.slice(1), columns);
      cache.imageMergedKey = `${cache.columnsVersion}|${imageKeys}`;
      cache.columnIndex = new Map(columns.map((p, i) => [p, i]));
    }
    merged = overlay(cache.imageMerged, top[0], columns, cache.columnIndex);
  }
  performance.measure('ll-snap-merged', 'll-snap');
  const ordered = [{ key: 'merged', info: null, map: merged }, ...top];
  return { step, total, layers, imageCount, rows: ordered, merged, columns, columnsVersion: cache.columnsVersion };
}

/**
 * The merged view with the container layer (`row`) laid over the image's merged view, by
 * the same rule as mergeLayers: a whiteout deletes the path and everything under it, a file
 * or symlink replaces it and hides what was under it, an opaque directory keeps none of the
 * image's children, and a plain directory merges with the image's directory. The container's
 * entries come in tree order, so a directory is laid before its children.
 *
 * The result is an `Overlaid` view over `base` (which it never changes): a command costs what
 * the container layer holds and hides, not a copy of the image's 20 000 entries.
 */
export function overlay(base, row, columns, columnIndex) {
  const merged = new Overlaid(base);
  const layer = row.info.index;
  const dropUnder = (p) => {
    const i = columnIndex.get(p);
    if (i === undefined) return;
    for (let j = i + 1; j < columns.length && within(columns[j], p); j += 1) merged.delete(columns[j]);
  };
  for (const [p, e] of row.map) {
    const cut = p.lastIndexOf('/');
    if (cut > 0 && merged.get(p.slice(0, cut))?.type !== 'dir') continue;
    const below = merged.get(p);
    if (e.type === 'whiteout') {
      merged.delete(p);
      dropUnder(p);
      continue;
    }
    if (e.type === 'dir' && below?.type === 'dir') {
      merged.set(p, { ...below, mode: e.mode, layer });
      continue;
    }
    if (below) dropUnder(p);
    let size = e.type === 'dir' || e.type === 'opaque' ? 0 : e.size;
    if (e.metacopy && below?.type === 'file') size = below.size;
    const entry = { path: p, type: e.type === 'opaque' ? 'dir' : e.type, size, mode: e.mode, layer };
    if (e.target !== undefined) entry.target = e.target;
    merged.set(p, entry);
  }
  return merged;
}

/**
 * A map laid over a base map that it leaves alone: entries set or deleted here win over the
 * base's. Reads like a Map (get, has, size, keys, values, entries, iteration; base entries
 * first, in the base's order, then the added ones).
 */
export class Overlaid {
  constructor(base) {
    this.base = base;
    this.changed = new Map();
    this.deleted = new Set();
  }

  get(p) {
    const e = this.changed.get(p);
    if (e !== undefined) return e;
    return this.deleted.has(p) ? undefined : this.base.get(p);
  }

  has(p) {
    return this.get(p) !== undefined;
  }

  set(p, e) {
    this.changed.set(p, e);
    this.deleted.delete(p);
    return this;
  }

  delete(p) {
    const had = this.has(p);
    this.changed.delete(p);
    if (this.base.has(p)) this.deleted.add(p);
    return had;
  }

  get size() {
    let n = 0;
    for (const p of this.deleted) if (this.base.has(p)) n -= 1;
    for (const p of this.changed.keys()) if (!this.base.has(p)) n += 1;
    return this.base.size + n;
  }

  * keys() {
    for (const p of this.base.keys()) if (!this.deleted.has(p)) yield p;
    for (const p of this.changed.keys()) if (!this.base.has(p)) yield p;
  }

  * entries() {
    for (const p of this.keys()) yield [p, this.get(p)];
  }

  * values() {
    for (const p of this.keys()) yield this.get(p);
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  forEach(f, thisArg) {
    for (const [p, e] of this.entries()) f.call(thisArg, e, p, this);
  }
}

function within(path, dir) {
  return path.startsWith(dir) && path.charCodeAt(dir.length) === 47;
}

/**
 * The merged view of layers (top first), by the overlayfs lookup rule: layers are searched
 * top-down; a whiteout ends the search; a file or symlink hides everything below; directories
 * of the same name merge until an opaque one, and a merged directory shows the topmost
 * layer's entry. The engine's own merged tree says the same (an end-to-end test compares
 * them); computing it here from layer trees the page already holds keeps a command on a
 * 20 000-file image from re-listing the whole merged view. Directories renamed with
 * redirect_dir are left to the engine (the caller asks it instead).
 */
export function mergeLayers(top, columns) {
  const merged = new Map();
  const through = new Map();
  const all = top.map((_, i) => i);
  for (const p of columns) {
    const cut = p.lastIndexOf('/');
    const from = cut <= 0 ? all : through.get(p.slice(0, cut));
    if (!from) continue;
    let win = -1;
    let dirs = null;
    for (const i of from) {
      const e = top[i].map.get(p);
      if (!e) continue;
      if (e.type === 'whiteout') break;
      if (e.type === 'dir' || e.type === 'opaque') {
        if (win < 0) {
          win = i;
          dirs = [];
        }
        dirs.push(i);
        if (e.type === 'opaque') break;
      } else {
        if (win < 0) win = i;
        break;
      }
    }
    if (win < 0) continue;
    const e = top[win].map.get(p);
    let size = e.size;
    if (e.metacopy) {
      // A metadata-only copy-up: the data, and so the size, is still in a lower layer.
      for (const i of from) {
        const lower = i > win ? top[i].map.get(p) : null;
        if (lower && lower.type === 'file') {
          size = lower.size;
          break;
        }
      }
    }
    if (dirs) through.set(p, dirs);
    const entry = { path: p, type: dirs ? 'dir' : e.type, size: dirs ? 0 : size, mode: e.mode, layer: top[win].info.index };
    if (e.target !== undefined) entry.target = e.target;
    merged.set(p, entry);
  }
  return merged;
}

export function newCache() {
  return { images: new Map(), columns: null, imagePaths: new Set(), imageKeys: '', extraKey: '', columnsVersion: 0 };
}

/** The state a cell shows: the entry's type, or `none`. */
export function cellState(entry) {
  return entry ? entry.type : 'none';
}

/**
 * Whether a layer's entry at a path is masked: something above it decides the merged view
 * instead. Only a visual hint; the "why" panel asks the engine.
 */
export function masked(entry, layerIndex, mergedEntry) {
  if (!entry || entry.type === 'whiteout') return false;
  if (!mergedEntry) return true;
  if (mergedEntry.layer === layerIndex) return false;
  if (mergedEntry.type === 'dir' && (entry.type === 'dir' || entry.type === 'opaque')) return false;
  return mergedEntry.layer > layerIndex;
}
