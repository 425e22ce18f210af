// Time to a usable page, this tree against another checkout, in alternating cold loads so
// that both meet the same machine load (not part of `node --test`):
//
//   node e2e/ab-usable.mjs /path/to/other/checkout [rounds]
//
// The other checkout needs its page built (`cargo xtask build`) and its own e2e/server.mjs, which
// serves its built page. Prints the medians and every run, in ms from navigation to the page's
// `layerlab-ready` mark.
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ARGS } from './browser.mjs';
import { serve } from './server.mjs';

const other = process.argv[2];
if (!other) throw new Error('usage: node e2e/ab-usable.mjs /path/to/other/checkout [rounds]');
const rounds = Number(process.argv[3] ?? 8);
const { serve: serveOther } = await import(pathToFileURL(resolve(other, 'e2e/server.mjs')).href);
const servers = { this: await serve({ gzip: true }), other: await serveOther({ gzip: true }) };
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
const runs = { this: [], other: [] };
try {
  for (let i = 0; i < rounds; i += 1) {
    for (const key of ['this', 'other']) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(servers[key].url);
      await page.waitForFunction(() => document.body.dataset.ready === 'true');
      runs[key].push(Math.round(await page.evaluate(() => performance.getEntriesByName('layerlab-ready')[0].startTime)));
      await context.close();
    }
  }
} finally {
  await browser.close();
  await servers.this.close();
  await servers.other.close();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(JSON.stringify({ thisMedianMs: median(runs.this), otherMedianMs: median(runs.other), runs }));
