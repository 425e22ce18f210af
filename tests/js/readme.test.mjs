// tests/js/readme.test.mjs: the README's example, run by `cargo xtask test`.
// Build the package for Node first: `cargo xtask test` does, or
//   wasm-pack build --mode no-install --target nodejs --out-dir target/pkg-node --out-name layerlab
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { LayerLab } = require("../../target/pkg-node/layerlab.js");

test("deleting a file from the image leaves a whiteout; the image does not shrink", () => {
  const lab = new LayerLab(); // the default scenario: a small Linux image in three layers
  try {
    const before = lab.layers().map((l) => l.bytes);

    const out = lab.run("rm /etc/hosts && ls /etc");
    assert.equal(out.status, 0);
    assert.doesNotMatch(out.stdout, /hosts/);
    assert.deepEqual(out.events.map((e) => e.kind), ["copy-up", "whiteout"]);
    assert.match(out.events[1].message, /^whiteout: \/etc\/hosts/);

    // The container layer holds a whiteout; the image layers are unchanged.
    const upper = lab.tree("container");
    assert.deepEqual(upper.map((e) => [e.path, e.type]), [["/etc", "dir"], ["/etc/hosts", "whiteout"]]);
    assert.deepEqual(lab.layers().slice(0, -1).map((l) => l.bytes), before.slice(0, -1));

    // Why is /etc/hosts gone? The container layer's whiteout deletes it from layer 0.
    const why = lab.explain("/etc/hosts");
    assert.equal(why.winner, null);
    assert.deepEqual(why.cells.map((c) => c.role), ["deletes", "absent", "absent", "masked"]);

    // Time travel: the state after the first event (the copy-up of /etc) only.
    assert.deepEqual(lab.tree("container", 1).map((e) => e.path), ["/etc"]);
  } finally {
    lab.free();
  }
});

test("errors are JavaScript Errors with kind, errno and path", () => {
  const lab = new LayerLab();
  try {
    assert.throws(() => lab.stat("/nope"), (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.kind, "not-found");
      assert.equal(e.errno, "ENOENT");
      assert.equal(e.path, "/nope");
      return true;
    });
    assert.throws(() => LayerLab.load("{ not json"), { kind: "format", errno: "EINVAL" });
  } finally {
    lab.free();
  }
});

test("save, load, undo and redo", () => {
  const lab = new LayerLab({
    layers: [{ createdBy: "base", script: "mkdir /app\necho v1 > /app/VERSION" }],
    options: { metacopy: true },
  });
  const copy = LayerLab.load(lab.save());
  try {
    const ran = lab.run("echo v2 > /app/VERSION");
    assert.equal(lab.readFile("/app/VERSION"), "v2\n");
    // Layer 0 still holds v1, masked by the container layer's copy.
    assert.equal(lab.readFile("/app/VERSION", undefined, 0), "v1\n");
    assert.deepEqual(lab.history(), [{ action: "run", line: "echo v2 > /app/VERSION" }]);
    assert.ok(lab.undo());
    assert.equal(lab.readFile("/app/VERSION"), "v1\n");
    assert.deepEqual(lab.redo(), ran); // what run returned: output, status and events
    assert.equal(lab.redo(), null); // nothing left to redo
    const again = LayerLab.load(lab.save());
    assert.equal(again.readFile("/app/VERSION"), "v2\n");
    assert.deepEqual(again.options(), { redirectDir: false, metacopy: true, index: false });
    assert.ok(again.undo()); // a loaded history keeps its undo
    assert.equal(again.readFile("/app/VERSION"), "v1\n");
    again.free();
    assert.equal(copy.readFile("/app/VERSION"), "v1\n");
  } finally {
    lab.free();
    copy.free();
  }
});
