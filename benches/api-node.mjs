// The JavaScript API's calls that the page makes after every command, timed under Node on the
// 20 000-file image of e2e/bench.mjs (e2e/big-image.mjs): `layers()` (sizes, with the image's part cached per
// image) and `tree("merged")`. Side by side with another build of the package when one is
// given, so that a change is measured against its baseline in the same run:
//
//   node benches/api-node.mjs [PKG_DIR] [BASELINE_PKG_DIR]
//
// PKG_DIR defaults to target/pkg-node (`cargo xtask test` builds it; so does
// `wasm-pack build --mode no-install --target nodejs --out-dir target/pkg-node --out-name
// layerlab -- --no-default-features`). Rounds alternate between the packages, so both meet the
// same machine load; medians of nine commands each.
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bigLayers } from "../e2e/big-image.mjs";

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dirs = process.argv.slice(2).map((d) => resolve(d));
if (dirs.length === 0) dirs.push(join(root, "target", "pkg-node"));

const scenario = { layers: bigLayers() };

const time = (f) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const runs = dirs.map((dir) => {
  const { LayerLab } = require(join(dir, "layerlab.js"));
  return { dir, lab: new LayerLab(scenario), first: 0, layers: [], tree: [] };
});
for (const r of runs) r.first = time(() => r.lab.layers());
for (let i = 0; i < 9; i += 1) {
  const line = `echo more >> /srv/d${String(20 + i * 20).padStart(3, "0")}/f0${10 + i}.txt`;
  for (const r of runs) {
    r.lab.run(line);
    r.layers.push(time(() => r.lab.layers()));
    r.tree.push(time(() => r.lab.tree("merged")));
  }
}
for (const r of runs) {
  console.log(JSON.stringify({
    package: r.dir,
    firstLayersMs: +r.first.toFixed(1),
    layersMs: +median(r.layers).toFixed(1),
    treeMergedMs: +median(r.tree).toFixed(1),
    layersRuns: r.layers.map((x) => +x.toFixed(1)),
  }));
  r.lab.free();
}
