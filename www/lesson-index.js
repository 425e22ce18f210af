// The lesson list (www/lessons/index.json) and what reading it needs: the limits on a lesson's
// text, the id pattern, the JSON fetch with plain errors. A module of its own, without the DOM
// and without the rest of lesson-core.js, so the page can list the lessons on a plain visit and
// load the lesson engine only when a lesson is opened. lesson-core.js builds on it and
// re-exports loadLessonIndex and LESSON_LIMITS.

/** Limits on a lesson from a file or a link, checked before anything runs. */
export const LESSON_LIMITS = {
  title: 200,
  text: 8000,
  layers: 64,
  layerScript: 1024 * 1024,
  script: 64 * 1024,
  hints: 20,
  hint: 2000,
  ignore: 50,
  entries: 20000,
  path: 4096,
  containers: 64,
};

/** A lesson id: 1 to 64 of a-z, 0-9 and `-`, not starting or ending with `-`. */
export const ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function isObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function own(o, key) {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export function text(v, max, what, { empty = true } = {}) {
  if (typeof v !== 'string') throw new Error(`${what} is not text`);
  if (v.length > max) throw new Error(`${what} is longer than ${max} characters`);
  if (!empty && v.trim() === '') throw new Error(`${what} is empty`);
  return v;
}

/** The folder the lessons are under by default: this module's (www/). */
export const HERE = new URL('.', import.meta.url);

/** Fetches `url` and parses it as JSON; every failure is an Error naming `what`. */
export async function getJson(url, fetchFn, what) {
  let res;
  try {
    res = await fetchFn(url);
  } catch (e) {
    throw new Error(`${what} could not be fetched: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) throw new Error(`${what} could not be fetched (HTTP ${res.status})`);
  const body = await res.text();
  if (body.length > 8 * 1024 * 1024) throw new Error(`${what} is too large`);
  try {
    return JSON.parse(body);
  } catch {
    throw new Error(`${what} is not valid JSON`);
  }
}

/**
 * The lesson list, `{version, lessons: [{id, title, file, goal}]}`, from `lessons/index.json`
 * under `baseUrl` (by default the folder of this module, www/). `goal` is false for a sandbox
 * (left out: true), so a list can count what there is to solve without loading every lesson.
 */
export async function loadLessonIndex(baseUrl = HERE, fetchFn = globalThis.fetch) {
  const doc = await getJson(new URL('lessons/index.json', baseUrl), fetchFn, 'the lesson list');
  if (!isObject(doc) || own(doc, 'version') !== 1 || !Array.isArray(own(doc, 'lessons'))) throw new Error('the lesson list is not a version 1 list');
  if (doc.lessons.length > 1000) throw new Error('the lesson list is too long');
  const seen = new Set();
  const lessons = doc.lessons.map((l, i) => {
    if (!isObject(l)) throw new Error(`lesson ${i + 1} of the list is not an object`);
    const id = own(l, 'id');
    if (typeof id !== 'string' || !ID.test(id)) throw new Error(`lesson ${i + 1} of the list has a bad id`);
    if (seen.has(id)) throw new Error(`the lesson list names ${id} twice`);
    seen.add(id);
    const file = own(l, 'file') ?? `${id}.json`;
    if (typeof file !== 'string' || !/^[a-z0-9-]{1,64}\.json$/.test(file)) throw new Error(`lesson ${id} has a bad file name`);
    const goal = own(l, 'goal') ?? true;
    if (typeof goal !== 'boolean') throw new Error(`lesson ${id} of the list has a goal that is not true or false`);
    return { id, title: text(own(l, 'title'), LESSON_LIMITS.title, `lesson ${id}'s title`, { empty: false }), file, goal };
  });
  return { version: 1, lessons };
}
