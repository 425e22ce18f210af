// A property test: 1 000 random sessions survive the share link (deflate-raw, base64url, the
// URL fragment) and the JSON round trip (validated, replayed into a fresh engine, saved
// again) unchanged. Runs in Chromium, where CompressionStream and the wasm engine live.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './browser.mjs';

let env;
let page;

before(async () => {
  env = await launch();
  page = await env.browser.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') page.problems.push(m.text()); });
  await page.goto(env.server.url);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
});

after(async () => {
  await env?.close();
});

test('1 000 random sessions survive the URL and JSON round trips unchanged', async () => {
  const result = await page.evaluate(async (base) => {
    const pkg = await import(`${base}pkg/layerlab.js`);
    await pkg.default();
    const share = await import(`${base}share.js`);
    const model = await import(`${base}model.js`);
    // A small deterministic generator (mulberry32), so a failure names a reproducible seed.
    let seed = 0x5eed;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = (xs) => xs[Math.floor(rand() * xs.length)];
    const paths = ['/etc/hosts', '/etc/passwd', '/app/config', '/app/data', '/app/VERSION', '/usr/share/doc', '/tmp/x', '/root/é ü', '/var/log', '/bin/sh'];
    const names = ['a', 'b c', '<img src=x onerror=alert(1)>', 'ünï', 'Δ', '"q"', "it's", '日本', '😀'];
    const line = () => {
      const p = pick(paths);
      const n = pick(names);
      switch (Math.floor(rand() * 9)) {
        case 0: return `echo ${JSON.stringify(n)} >> ${p}`;
        case 1: return `rm -rf ${p}`;
        case 2: return `mkdir -p ${p}/${JSON.stringify(n)}`;
        case 3: return `mv ${p} /tmp/moved-${Math.floor(rand() * 5)}`;
        case 4: return `chmod ${pick(['600', '755', 'u+x'])} ${p}`;
        case 5: return `touch ${p}; ln -s ${p} /root/l${Math.floor(rand() * 3)}`;
        case 6: return `cat ${p}`;
        case 7: return `rm -rf ${p}; mkdir ${p}`;
        default: return `cp -r ${p} /root/copy`;
      }
    };
    const failures = [];
    let actions = 0;
    for (let i = 0; i < 1000; i += 1) {
      const start = seed;
      const lab = new pkg.LayerLab(undefined);
      try {
        const n = Math.floor(rand() * 6);
        for (let k = 0; k < n; k += 1) {
          const r = rand();
          try {
            if (r < 0.7) lab.run(line());
            else if (r < 0.78) lab.commit(`commit ${k}`);
            else if (r < 0.84) lab.newContainer();
            else if (r < 0.9) lab.setOptions({ redirectDir: rand() < 0.5, metacopy: rand() < 0.5, index: rand() < 0.5 });
            else if (r < 0.95) lab.undo();
            else lab.switchContainer(1);
          } catch {
            // An action the engine refuses (switching to a removed container) is not recorded.
          }
        }
        const json = lab.save();
        const frag = await share.encodeFragment(json);
        const back = await share.decodeFragment(`#${frag}`);
        if (back !== json) failures.push(`seed ${start}: the URL round trip changed the state`);
        const saved = model.validateSaved(json);
        actions += saved.actions.length;
        const again = new pkg.LayerLab({ layers: saved.base, options: saved.options });
        for (const a of saved.actions) {
          if (a.action === 'run') again.run(a.line);
          else if (a.action === 'commit') again.commit(a.message);
          else if (a.action === 'new-container') again.newContainer();
          else if (a.action === 'remove-container') again.removeContainer(a.id);
          else if (a.action === 'switch') again.switchContainer(a.id);
          else if (a.action === 'set-options') again.setOptions(a.options);
        }
        const json2 = again.save();
        const same = JSON.stringify(JSON.parse(json2)) === JSON.stringify(JSON.parse(json));
        if (!same) failures.push(`seed ${start}: the JSON round trip changed the state:\n${json}\n${json2}`);
        const t1 = JSON.stringify(lab.tree('merged'));
        const t2 = JSON.stringify(again.tree('merged'));
        if (t1 !== t2) failures.push(`seed ${start}: the replayed merged view differs`);
        again.free();
      } catch (e) {
        failures.push(`seed ${start}: ${e.message}`);
      } finally {
        lab.free();
      }
      if (failures.length > 5) break;
    }
    return { failures, actions };
  }, env.server.url);
  assert.deepEqual(result.failures, []);
  assert.ok(result.actions > 1000, `only ${result.actions} actions were exercised`);
  assert.deepEqual(page.problems, []);
});
