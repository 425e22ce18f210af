// Reading and writing sessions: saved-state validation (saved.js) and the share-link codec
// (share.js) in one module, which the page imports only when it has a saved session, a link or
// a file to read, or a share link to make (at the start of boot when there is one to read, so it
// arrives alongside the wasm). A first visit without any of them does not fetch it.

export { validateSaved } from './saved.js';
export { encodeFragment, decodeFragment, decodeLessonFragment } from './share.js';
