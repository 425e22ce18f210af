// The engine benchmarks (benches/engine.rs, Layer Lab column) inside wasm under Node.
//
//   node benches/wasm-node.mjs            build target/pkg-bench, run the full sizes
//   LAYERLAB_BENCH_QUICK=1 node benches/wasm-node.mjs   small sizes, a smoke run
//   node benches/wasm-node.mjs --no-build  run the package already in target/pkg-bench
//
// The package is the library built for Node with the `wasm-bench` feature (never part of the
// page's package), at the release profile of Cargo.toml (opt-level 3, fat LTO; no wasm-opt).
// Native figures to compare with come from target/bench-native.json, which
// `LAYERLAB_BENCH_JSON=target/bench-native.json cargo bench --bench engine` writes; without it
// only the wasm figures and ratios print. Kernel and vfs columns are native-only.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "target", "pkg-bench");
const quick = !!process.env.LAYERLAB_BENCH_QUICK && process.env.LAYERLAB_BENCH_QUICK !== "0";

if (!process.argv.includes("--no-build")) {
  execFileSync(
    "wasm-pack",
    ["build", "--mode", "no-install", "--release", "--no-pack", "--target", "nodejs",
      "--out-dir", pkg, "--out-name", "layerlab", "--", "--features", "wasm-bench"],
    { cwd: root, stdio: "inherit", env: {
      ...process.env,
      // Where `cargo install` put wasm-pack, as `cargo xtask` looks for it too.
      PATH: `${join(homedir(), ".cargo", "bin")}${delimiter}${process.env.PATH}`,
      // The speed build: Cargo.toml's opt-level 3, not the page's "z" (wasm-pack.toml).
      CARGO_PROFILE_RELEASE_OPT_LEVEL: "3",
    } },
  );
}

const { runEngineBenchmarks } = createRequire(import.meta.url)(join(pkg, "layerlab.js"));
const nativePath = process.env.LAYERLAB_BENCH_NATIVE ?? join(root, "target", "bench-native.json");
const native = existsSync(nativePath) ? JSON.parse(readFileSync(nativePath, "utf8")) : null;
if (native && native.quick !== quick) {
  console.log(`${nativePath} is from a ${native.quick ? "quick" : "full"} run: not compared`);
}
const nat = native && native.quick === quick ? native : null;

const fmtNs = (ns) =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;

console.log(`Layer Lab engine benchmarks in wasm under Node ${process.version} (${quick ? "quick" : "full"} mode)`);
const t0 = performance.now();
const w = JSON.parse(runEngineBenchmarks(quick));
const total = (performance.now() - t0) / 1e3;

for (const r of w.stat) {
  console.log(
    `stat ${String(r.layers).padStart(3)} layers: wasm cold ${fmtNs(r.coldNs).padStart(9)} warm ${fmtNs(r.warmNs).padStart(9)} (merged view built in ${r.buildMs.toFixed(1)} ms)`,
  );
}
console.log(`script of ${w.scriptOps} ops over ${w.scriptLayers} layers: wasm ${w.scriptOpsPerS.toFixed(0)} ops/s`);
console.log(`readdir of ${w.bigEntries} entries over ${w.bigLayers} layers (${w.bigWhiteouts} whited out): wasm ${fmtNs(w.readdirNs)}`);
console.log(
  `commit of ${(w.commitBytes / 1e6).toFixed(0)} MB: export + DiffID ${(w.commitBytesPerS / 1e6).toFixed(0)} MB/s | raw sha256 ${(w.rawSha256BytesPerS / 1e6).toFixed(0)} MB/s`,
);

const first = w.stat[0];
const last = w.stat[w.stat.length - 1];
const nLast = nat?.stat[nat.stat.length - 1];
const rows = [
  [`stat warm: ${last.layers} layers / 1 layer (layerlab time)`, last.warmNs / first.warmNs, "<= 1.5", (r) => r <= 1.5],
  [`stat cold: ${last.layers} layers / 1 layer (layerlab time)`, last.coldNs / first.coldNs, "(info)"],
  ["commit: commit MB/s / raw sha256 MB/s", w.commitBytesPerS / w.rawSha256BytesPerS, ">= 0.80", (r) => r >= 0.8],
];
console.log();
console.log("Ratios within the wasm run (the targets that do not need the kernel or vfs):");
console.log();
console.log("| ratio | measured | target | met |");
console.log("|---|---|---|---|");
for (const [what, r, target, ok] of rows) {
  console.log(`| ${what} | ${r.toFixed(2)} | ${target} | ${ok ? (ok(r) ? "yes" : "NO") : ""} |`);
}

if (nat) {
  // Slowdown of wasm against the native run: wasm time / native time (above 1: wasm is slower).
  const cmp = [];
  w.stat.forEach((r, i) => {
    const n = nat.stat[i];
    if (!n || n.layers !== r.layers) return;
    cmp.push([`stat cold, ${r.layers} layers`, fmtNs(n.coldNs), fmtNs(r.coldNs), r.coldNs / n.coldNs]);
    cmp.push([`stat warm, ${r.layers} layers`, fmtNs(n.warmNs), fmtNs(r.warmNs), r.warmNs / n.warmNs]);
  });
  cmp.push(["script (ops/s)", nat.scriptOpsPerS.toFixed(0), w.scriptOpsPerS.toFixed(0), nat.scriptOpsPerS / w.scriptOpsPerS]);
  cmp.push(["big readdir", fmtNs(nat.readdirNs), fmtNs(w.readdirNs), w.readdirNs / nat.readdirNs]);
  cmp.push(["commit (MB/s)", (nat.commitBytesPerS / 1e6).toFixed(0), (w.commitBytesPerS / 1e6).toFixed(0), nat.commitBytesPerS / w.commitBytesPerS]);
  cmp.push(["raw sha256 (MB/s)", (nat.rawSha256BytesPerS / 1e6).toFixed(0), (w.rawSha256BytesPerS / 1e6).toFixed(0), nat.rawSha256BytesPerS / w.rawSha256BytesPerS]);
  console.log();
  console.log(`Native (${nativePath}) beside wasm; slowdown = wasm time / native time:`);
  console.log();
  console.log("| workload | native | wasm | slowdown |");
  console.log("|---|---|---|---|");
  for (const [what, n, x, s] of cmp) console.log(`| ${what} | ${n} | ${x} | ${s.toFixed(2)} |`);
  console.log();
  console.log("Kernel ratios of the native bench with the wasm figures in Layer Lab's place:");
  console.log();
  console.log("| ratio | measured | native target |");
  console.log("|---|---|---|");
  console.log(`| stat warm at ${last.layers} layers: kernel time / wasm time | ${nLast?.kWarmNs ? (nLast.kWarmNs / last.warmNs).toFixed(2) : "-"} | >= 7 |`);
  if (nat.readdirKernelNs) console.log(`| big readdir: kernel time / wasm time | ${(nat.readdirKernelNs / w.readdirNs).toFixed(2)} | >= 7 |`);
  if (nat.scriptKernelOpsPerS) console.log(`| script: wasm ops/s / kernel ops/s | ${(w.scriptOpsPerS / nat.scriptKernelOpsPerS).toFixed(2)} | >= 20 |`);
}
console.log();
console.log(`total wasm bench time ${total.toFixed(1)} s`);
