// Side by side: navigation to a usable page for another copy of the page and this one, in
// alternating cold contexts, with the median of each and their ratio. Not part of `node --test`.
//
//   mkdir -p /tmp/base && git archive REV www | tar -x -C /tmp/base && cp -r www/pkg /tmp/base/www/
//   node e2e/compare-usable.mjs /tmp/base/www [runs]
//
// Both are served gzip'd by this folder's server; load on the machine moves single runs a lot,
// which is why they alternate and the medians are compared.

import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { ARGS } from './browser.mjs';
import { serve } from './server.mjs';

const other = process.argv[2];
const runs = Number(process.argv[3] ?? 9);
if (!other) {
  console.error('usage: node e2e/compare-usable.mjs OTHER_WWW_DIR [runs]');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
const servers = { other: await serve({ gzip: true, root: resolve(other) }), this: await serve({ gzip: true }) };
const times = { other: [], this: [] };
try {
  for (let i = 0; i < runs; i += 1) {
    for (const k of i % 2 ? ['other', 'this'] : ['this', 'other']) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await context.newPage();
      await page.goto(servers[k].url);
      await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30000 });
      times[k].push(await page.evaluate(() => performance.getEntriesByName('layerlab-ready')[0].startTime));
      await context.close();
    }
  }
} finally {
  await browser.close();
  for (const s of Object.values(servers)) await s.close();
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const k of ['other', 'this']) console.log(`${k}: median ${Math.round(median(times[k]))} ms; runs ${times[k].map(Math.round).join(' ')}`);
console.log(`ratio this/other: ${(median(times.this) / median(times.other)).toFixed(2)}`);
