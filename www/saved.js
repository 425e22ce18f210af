// Saved states (the JSON of `LayerLab.save()`, from storage, a file or a share link): their
// limits and their validation, before the engine replays them. No DOM. A module of its own so
// that the page loads it only when there is a saved state to read (model.js re-exports it).

/** Limits on a saved state from storage, a file or a share link, checked before the engine
 * sees it. The engine checks again; these keep a hostile document from even starting. */
export const LIMITS = {
  json: 8 * 1024 * 1024,
  layers: 64,
  actions: 10000,
  line: 64 * 1024,
  script: 4 * 1024 * 1024,
};

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v, max, what) {
  if (typeof v !== 'string') throw new Error(`${what} is not text`);
  if (v.length > max) throw new Error(`${what} is too long`);
  return v;
}

function uint(v, what) {
  if (!Number.isInteger(v) || v < 0 || v > 1e9) throw new Error(`${what} is not a container id`);
  return v;
}

function bool(v, what) {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new Error(`${what} is not true or false`);
  return v;
}

function options(o, what) {
  if (o === undefined) return { redirectDir: false, metacopy: false, index: false };
  if (!isObject(o)) throw new Error(`${what} are not an object`);
  return {
    redirectDir: bool(o.redirectDir ?? o.redirect_dir, `${what}.redirectDir`),
    metacopy: bool(o.metacopy, `${what}.metacopy`),
    index: bool(o.index, `${what}.index`),
  };
}

/**
 * Checks the shape of a saved state (the JSON of `LayerLab.save()`) and returns a clean copy
 * holding only what the page replays. Throws an Error with a plain message on anything else.
 */
export function validateSaved(json) {
  if (typeof json !== 'string') throw new Error('the saved state is not text');
  if (json.length > LIMITS.json) throw new Error('the saved state is too large');
  let doc;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new Error('the saved state is not valid JSON');
  }
  if (!isObject(doc)) throw new Error('the saved state is not an object');
  if (doc.version !== 1) throw new Error(`saved state version ${String(doc.version).slice(0, 20)} is not supported (this page reads version 1)`);
  if (!Array.isArray(doc.base) || doc.base.length > LIMITS.layers) throw new Error('the base image is missing or has too many layers');
  const base = doc.base.map((l, i) => {
    if (!isObject(l)) throw new Error(`base layer ${i} is not an object`);
    return {
      createdBy: str(l.created_by ?? l.createdBy, 4096, `base layer ${i}'s created_by`),
      script: str(l.script, LIMITS.script, `base layer ${i}'s script`),
    };
  });
  if (!Array.isArray(doc.actions) || doc.actions.length > LIMITS.actions) throw new Error('the history is missing or too long');
  const actions = doc.actions.map((a, i) => {
    const what = `action ${i + 1}`;
    if (!isObject(a)) throw new Error(`${what} is not an object`);
    switch (a.action) {
      case 'run': return { action: 'run', line: str(a.line, LIMITS.line, `${what}'s line`) };
      case 'commit': return { action: 'commit', message: str(a.message, 4096, `${what}'s message`) };
      case 'new-container': return { action: 'new-container' };
      case 'remove-container': return { action: 'remove-container', id: uint(a.id, what) };
      case 'switch': return { action: 'switch', id: uint(a.id, what) };
      case 'set-options': return { action: 'set-options', options: options(a.options, `${what}'s options`) };
      default: throw new Error(`${what} is of an unknown kind`);
    }
  });
  return { base, options: options(doc.options, 'the options'), actions };
}
