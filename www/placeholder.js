// The placeholder page's script: one LayerLab, one command line, its output and events as text.
import init, { LayerLab } from "./pkg/layerlab.js";

await init();
const lab = new LayerLab();
const out = document.getElementById("out");
const print = (text) => out.append(document.createTextNode(text));
print(lab.layers().map((l) => `layer ${l.index}: ${l.createdBy} (${l.bytes} B)\n`).join(""));
document.getElementById("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("line");
  const r = lab.run(input.value);
  print(`$ ${input.value}\n${r.stdout}${r.stderr}`);
  for (const e of r.events) print(`  [${e.kind}] ${e.message}\n`);
  input.value = "";
});
document.body.dataset.ready = "true";
