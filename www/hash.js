// What a location hash asks the page to open, read without decoding it: the page needs this
// on every visit, the share-link codec (share.js) only when there is a link to read or make.

/**
 * What a location hash asks the page to open: `{kind: 'session'}` (`#s=`), `{kind: 'lesson',
 * id}` (`#lesson=ID`, a lesson of www/lessons/), `{kind: 'lesson-data'}` (`#lesson-data=`, a
 * whole lesson in the link), or null.
 */
export function hashKind(hash) {
  if (hash.startsWith('#s=')) return { kind: 'session' };
  if (hash.startsWith('#lesson-data=')) return { kind: 'lesson-data' };
  if (hash.startsWith('#lesson=')) {
    let id;
    try {
      id = decodeURIComponent(hash.slice('#lesson='.length)).slice(0, 100);
    } catch {
      id = '';
    }
    return { kind: 'lesson', id };
  }
  return null;
}

/** Whether a location hash holds a shared state. */
export function isShareHash(hash) {
  return hash.startsWith('#s=');
}
