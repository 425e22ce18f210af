// The page draws the merged row from the layer trees it already holds (www/model.js,
// mergeLayers) instead of asking the engine to list the whole merged view after every
// command. This test holds that shortcut to the engine: after each step of sessions that
// copy up, delete, make opaque directories, rename, link and commit, the page's merged view
// equals the engine's, entry by entry.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './browser.mjs';

let env;
let page;

before(async () => {
  env = await launch();
  page = await env.browser.newPage();
  await page.goto(env.server.url);
  await page.waitForFunction(() => document.body.dataset.ready === "true");
});

after(async () => {
  await env?.close();
});

const SESSIONS = {
  'copy-up, whiteout, opaque and EXDEV': [
    'echo x >> /etc/hosts',
    'rm /etc/passwd',
    'rm -rf /app/config; mkdir /app/config; touch /app/config/new',
    'mv /app/data /app/records',
    'rm -rf /usr/share/doc/base; mkdir -p /usr/share/doc/base/x',
    'ln -s /etc/hosts /root/h; rm /bin/sh; echo f > /bin/sh',
    'rm -rf /var; mkdir /var',
  ],
  'files over directories and directories over files': [
    'rm -rf /app/data; echo now-a-file > /app/data',
    'rm /app/VERSION; mkdir /app/VERSION; touch /app/VERSION/inside',
    'rm -rf /usr; ln -s /app /usr',
  ],
  'metacopy and hard links': [
    { options: { metacopy: true } },
    'chmod 600 /etc/hosts /app/start.sh',
    'echo y >> /app/start.sh',
    { options: { index: true } },
    'ln /etc/hostname /root/hn; echo z >> /root/hn',
  ],
  'commits in between': [
    'echo a > /root/a; rm /etc/hosts',
    { commit: 'step one' },
    'rm /root/a; mkdir /root/a',
    { commit: 'step two' },
    'rm -rf /root; touch /etc/hosts',
  ],
};

for (const [name, steps] of Object.entries(SESSIONS)) {
  test(`the page's merged view equals the engine's: ${name}`, async () => {
    const diffs = await page.evaluate(async ({ base, steps }) => {
      const pkg = await import(`${base}pkg/layerlab.js`);
      await pkg.default();
      const model = await import(`${base}model.js`);
      const lab = new pkg.LayerLab(undefined);
      const problems = [];
      const check = (label) => {
        const total = lab.eventCount();
        for (let step = 0; step <= total; step += 1) {
          const snap = model.snapshot(lab, step, total, model.newCache());
          const ours = snap.merged;
          const theirs = new Map(lab.tree('merged', step === total ? undefined : step).map((e) => [e.path, e]));
          const show = (e) => (e ? `${e.type} ${e.size} L${e.layer}${e.target ? ` -> ${e.target}` : ''}` : 'none');
          for (const p of new Set([...ours.keys(), ...theirs.keys()])) {
            const a = show(ours.get(p));
            const b = show(theirs.get(p));
            if (a !== b) problems.push(`${label}, step ${step}: ${p}: page ${a}, engine ${b}`);
          }
        }
      };
      check('start');
      for (const s of steps) {
        if (typeof s === 'string') lab.run(s);
        else if (s.options) lab.setOptions(s.options);
        else if (s.commit) lab.commit(s.commit);
        check(JSON.stringify(s));
      }
      lab.free();
      return problems;
    }, { base: env.server.url, steps });
    assert.deepEqual(diffs, []);
  });
}
