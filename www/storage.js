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
  const defaults = { theme: 'auto', motion: 'auto', speed: 1 };
  try {
    const p = JSON.parse(localStorage.getItem(PREFS) ?? '{}');
    return {
      theme: ['auto', 'light', 'dark'].includes(p.theme) ? p.theme : defaults.theme,
      motion: ['auto', 'off'].includes(p.motion) ? p.motion : defaults.motion,
      speed: [0.5, 1, 2, 4].includes(p.speed) ? p.speed : defaults.speed,
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
