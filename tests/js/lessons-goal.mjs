// Writes (or checks) the goal snapshots of the lessons in www/lessons/.
//
//   node tests/js/lessons-goal.mjs           # check: every stored goal is what the solution makes
//   node tests/js/lessons-goal.mjs --write   # (re)write goal.state of every lesson from its solution
//   node tests/js/lessons-goal.mjs --write copy-on-write   # just one lesson
//
// A goal is a stored snapshot, not computed when a lesson runs, so the test that the reference
// solution reaches it (tests/js/lessons.test.mjs) checks something that can fail. Run --write
// once after writing or changing a lesson's start or solution, look at the diff, commit it.
// Needs the Node package: wasm-pack build --mode no-install --target nodejs --out-dir
// target/pkg-node --out-name layerlab -- --no-default-features

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { validateLesson, startLab, runScript, snapshot } from '../../www/lesson-core.js';

const require = createRequire(import.meta.url);
const { LayerLab } = require('../../target/pkg-node/layerlab.js');

const DIR = fileURLToPath(new URL('../../www/lessons/', import.meta.url));

/** The goal state the lesson's reference solution makes from its start. */
export function goalOf(lesson) {
  const lab = startLab(LayerLab, lesson);
  try {
    const results = runScript(lab, lesson.solution);
    results.forEach((r, i) => {
      if (r.status !== 0) throw new Error(`lesson ${lesson.id}: solution step ${i + 1} failed: ${r.stderr.trim()}`);
    });
    return snapshot(lab, lesson.goal.compare, lesson.goal.ignore);
  } finally {
    lab.free();
  }
}

function main() {
  const write = process.argv.includes('--write');
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const index = JSON.parse(readFileSync(`${DIR}index.json`, 'utf8'));
  let stale = 0;
  for (const { id, file } of index.lessons) {
    if (only.length && !only.includes(id)) continue;
    const path = `${DIR}${file}`;
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    if (!raw.goal) continue;
    // The structure is checked with the goal it will hold, so a half-written file fails here.
    const computed = goalOf(validateLesson({ ...raw, goal: { ...raw.goal, state: { merged: {}, layers: [], container: {} } } }));
    const fresh = JSON.parse(JSON.stringify(computed));
    if (JSON.stringify(raw.goal.state) === JSON.stringify(fresh)) continue;
    if (write) {
      raw.goal.state = fresh;
      validateLesson(raw);
      writeFileSync(path, `${JSON.stringify(raw, null, 2)}\n`);
      console.log(`wrote the goal of ${id}`);
    } else {
      stale += 1;
      console.log(`${id}: the stored goal is not what the solution makes (run with --write)`);
    }
  }
  if (stale) process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
