// Share links: the whole state (the saved history of `LayerLab.save()`) in the URL fragment,
// versioned and compressed: `#s=1.<base64url of deflate-raw(JSON)>`. Opening such a link
// replays the history. The fragment never reaches a server.

import { LIMITS } from './saved.js';

// What a location hash asks for (`hashKind`, `isShareHash`) is in hash.js: every visit needs
// it, this module only a visit with a link to read or make.

export const FRAGMENT_VERSION = '1';

function toBase64url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64url(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('the link holds characters that are not base64url');
  const b64 = s.replaceAll('-', '+').replaceAll('_', '/');
  let bin;
  try {
    bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  } catch {
    throw new Error('the link is not valid base64url');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

async function readAll(stream, limit) {
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new Error('the link expands to more than a session may hold');
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** `VERSION.base64url(deflate-raw(text))`: the body of a fragment. */
async function pack(json) {
  const stream = new Blob([new TextEncoder().encode(json)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const bytes = await readAll(stream, LIMITS.json * 2);
  return `${FRAGMENT_VERSION}.${toBase64url(bytes)}`;
}

/** The fragment (without `#`) for a saved state. */
export async function encodeFragment(json) {
  return `s=${await pack(json)}`;
}

/** The fragment (without `#`) for a lesson's JSON: `lesson-data=1.<base64url>`. */
export async function encodeLessonFragment(json) {
  return `lesson-data=${await pack(json)}`;
}

/** The lesson JSON of a `#lesson-data=` hash; throws like decodeFragment. */
export async function decodeLessonFragment(hash) {
  return unpack(hash.replace(/^#lesson-data=/, ''));
}

/**
 * The saved-state JSON in a location hash. Throws an Error with a plain message when the link
 * is from another version, damaged, or would expand past the size limit (a deflate bomb).
 */
export async function decodeFragment(hash) {
  return unpack(hash.replace(/^#s=/, ''));
}

async function unpack(body) {
  const dot = body.indexOf('.');
  if (dot < 0) throw new Error('the link has no version');
  const version = body.slice(0, dot);
  if (version !== FRAGMENT_VERSION) throw new Error(`the link is of version ${version.slice(0, 12)}, this page reads version ${FRAGMENT_VERSION}`);
  const bytes = fromBase64url(body.slice(dot + 1));
  let raw;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    raw = await readAll(stream, LIMITS.json);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('the link expands')) throw e;
    throw new Error('the link is damaged (it does not decompress)');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new Error('the link is damaged (it is not text)');
  }
}
