// The session in localStorage, so that a reload brings it back, and export and import of a
// session file. A stored session is the engine's saved history plus a few page preferences;
// anything that does not read back cleanly is reported and dropped.

const KEY = 'layerlab.session.v1';
const PREFS = 'layerlab.prefs.v1';

/** The stored session's JSON, or null. Storage that cannot be read counts as empty. */
export function loadSession() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Stores the session; false when storage is full or switched off. */
export function saveSession(json) {
  try {
    localStorage.setItem(KEY, json);
    return true;
  } catch {
    return false;
  }
}

export function clearSession() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing to clear when storage is unavailable.
  }
}

export function loadPrefs() {
  const defaults = { theme: 'auto', motion: 'auto', speed: 1, lessons: 'open' };
  try {
    const p = JSON.parse(localStorage.getItem(PREFS) ?? '{}');
    return {
      theme: ['auto', 'light', 'dark'].includes(p.theme) ? p.theme : defaults.theme,
      motion: ['auto', 'off'].includes(p.motion) ? p.motion : defaults.motion,
      speed: [0.5, 1, 2, 4].includes(p.speed) ? p.speed : defaults.speed,
      lessons: ['open', 'closed'].includes(p.lessons) ? p.lessons : defaults.lessons,
    };
  } catch {
    return defaults;
  }
}

export function savePrefs(prefs) {
  try {
    localStorage.setItem(PREFS, JSON.stringify(prefs));
  } catch {
    // Preferences are a convenience; without storage they last until the tab closes.
  }
}

/** Offers the session as a file download. */
export function exportFile(json) {
  const blob = new Blob([json], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = 'layerlab-session.json';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// Lesson progress: which lessons are solved, and the lesson in progress (so a reload comes back
// to it). A key of its own, apart from the session; export and import as a file.

const LESSONS = 'layerlab.lessons.v1';
const FREE = 'layerlab.session.free.v1';

function emptyProgress() {
  return { version: 1, solved: {}, active: null };
}

/**
 * Checks progress JSON (from storage or an imported file) and returns a clean copy. Throws an
 * Error with a plain message when it is not progress of this page.
 */
export function validateProgress(json) {
  if (typeof json !== 'string' || json.length > 4 * 1024 * 1024) throw new Error('it is not a progress file of Layer Lab');
  let doc;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new Error('it is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || doc.version !== 1 || typeof doc.solved !== 'object' || doc.solved === null || Array.isArray(doc.solved)) {
    throw new Error('it is not version 1 lesson progress');
  }
  const out = emptyProgress();
  for (const [id, v] of Object.entries(doc.solved)) {
    if (!/^[a-z0-9-]{1,64}$/.test(id)) throw new Error('it names a lesson with a bad id');
    if (typeof v !== 'object' || v === null) throw new Error(`its entry for ${id} is not an object`);
    Object.defineProperty(out.solved, id, {
      value: { title: typeof v.title === 'string' ? v.title.slice(0, 200) : id, at: typeof v.at === 'string' ? v.at.slice(0, 40) : '' },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const a = doc.active;
  if (a && typeof a === 'object' && typeof a.id === 'string' && /^[a-z0-9-]{1,64}$/.test(a.id) && ['index', 'link', 'author'].includes(a.source)) {
    out.active = {
      id: a.id,
      source: a.source,
      lesson: a.source === 'index' ? null : a.lesson ?? null,
      peeked: a.peeked === true,
      hints: Number.isInteger(a.hints) && a.hints >= 0 && a.hints <= 100 ? a.hints : 0,
      goalShown: a.goalShown === true,
    };
  }
  return out;
}

/** The stored progress; `error` says why stored progress was unreadable (it is then dropped). */
export function loadProgress() {
  let raw = null;
  try {
    raw = localStorage.getItem(LESSONS);
  } catch {
    return { progress: emptyProgress(), error: null };
  }
  if (raw === null) return { progress: emptyProgress(), error: null };
  try {
    return { progress: validateProgress(raw), error: null };
  } catch (e) {
    try {
      localStorage.removeItem(LESSONS);
    } catch {
      // Nothing to drop.
    }
    return { progress: emptyProgress(), error: e instanceof Error ? e.message : String(e) };
  }
}

export function saveProgress(progress) {
  try {
    localStorage.setItem(LESSONS, JSON.stringify(progress));
    return true;
  } catch {
    return false;
  }
}

/** The free session, kept aside while a lesson runs, so leaving the lesson brings it back. */
export function stashFreeSession(json) {
  try {
    if (json === null) localStorage.removeItem(FREE);
    else localStorage.setItem(FREE, json);
    return true;
  } catch {
    return false;
  }
}

export function loadFreeSession() {
  try {
    return localStorage.getItem(FREE);
  } catch {
    return null;
  }
}

/** Offers text as a file download. */
export function downloadFile(text, name) {
  const blob = new Blob([text], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
