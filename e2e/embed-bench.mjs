// The embed's benchmark (not part of `node --test`), in headless Chromium against the
// gzip-serving test server:
//  1. the transfer before first interaction: a host page whose one embed is below the fold
//     gets only the static preview; every byte the embed adds (gzip) is counted, beside what
//     the live view adds once it is shown (for information);
//  2. ten embeds on one page, all on screen, cold context each run: the wasm requests, and
//     the time from navigation start until all ten are live, then until each has run a
//     command (usable), measured in the page.
//
//   node e2e/embed-bench.mjs            (build the wasm into www/pkg first)

import { chromium } from 'playwright-core';
import { ARGS } from './browser.mjs';
import { serve } from './server.mjs';

const RUNS = Number(process.env.LAYERLAB_BENCH_RUNS ?? 5);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const HOST_HEAD = '<meta charset="utf-8"><link rel="icon" href="favicon.svg"><title>bench host</title><script type="module" src="embed.js"></script>';

const server = await serve({ gzip: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
const results = {};
try {
  // 1. The preview's transfer.
  server.pages.set('/bench-preview.html', `<!doctype html><html><head>${HOST_HEAD}</head><body><h1>below</h1><div style="height: 4000px"></div>
    <layer-lab id="a" scenario="echo 10.0.0.2 db >> /etc/hosts&#10;rm /etc/passwd"></layer-lab></body></html>`);
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    server.transferred.clear();
    await page.goto(`${server.url}bench-preview.html`);
    await page.waitForFunction(() => document.getElementById('a').status === 'preview');
    await page.waitForTimeout(1000);
    const preview = new Map(server.transferred);
    preview.delete('/bench-preview.html');
    preview.delete('/favicon.svg');
    server.transferred.clear();
    await page.locator('#a').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.getElementById('a').status === 'live', null, { timeout: 30000 });
    await page.waitForTimeout(500);
    const live = new Map(server.transferred);
    const sum = (m, f = () => true) => [...m].filter(([p]) => f(p)).reduce((a, [, n]) => a + n, 0);
    results.preview = {
      files: Object.fromEntries([...preview].map(([p, n]) => [p, n])),
      gzipBytes: sum(preview),
      gzipKB: +(sum(preview) / 1024).toFixed(2),
    };
    results.liveAdds = {
      files: Object.fromEntries([...live].map(([p, n]) => [p, n])),
      wasmKB: +(sum(live, (p) => p.endsWith('.wasm')) / 1024).toFixed(1),
      jsKB: +(sum(live, (p) => p.endsWith('.js')) / 1024).toFixed(1),
    };
    await context.close();
  }

  // 2. Ten embeds, all on screen.
  const embeds = Array.from({ length: 10 }, (_, i) => `<layer-lab id="e${i}" scenario="echo ${i} >> /etc/hosts&#10;rm /etc/passwd"></layer-lab>`).join('\n');
  // The bench page's own inline script (this page is the benchmark's, not shipped) records when
  // each embed goes live, from the element's bubbling layerlab-status event.
  // Once all ten are live, the same script uses each at once (its next command, as a click on
  // the button does) and records when the last one has answered: that is "usable".
  server.pages.set('/bench-ten.html', `<!doctype html><html><head>${HOST_HEAD}<script>
    window.liveAt = {};
    window.commandMs = [];
    document.addEventListener('layerlab-status', (e) => {
      if (e.detail !== 'live') return;
      window.liveAt[e.target.id] = performance.now();
      if (Object.keys(window.liveAt).length < 10) return;
      for (let i = 0; i < 10; i += 1) {
        const root = document.getElementById('e' + i).shadowRoot;
        const a = performance.now();
        root.querySelector('button[aria-label="next command"]').click();
        window.commandMs.push(performance.now() - a);
        if (root.querySelector('td[data-layer="container"][data-path="/etc/hosts"]')?.dataset.state !== 'file') throw new Error('embed ' + i + ' did not run its command');
      }
      window.usableAt = performance.now();
    });
    </script></head><body>${embeds}</body></html>`);
  const runs = [];
  for (let r = 0; r < RUNS; r += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 12000 } });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
    let wasm = 0;
    page.on('request', (q) => { if (q.url().endsWith('.wasm')) wasm += 1; });
    await page.goto(`${server.url}bench-ten.html`);
    await page.waitForFunction(() => window.usableAt !== undefined, null, { timeout: 30000 });
    const t = await page.evaluate(() => ({
      allLive: Math.max(...Object.values(window.liveAt)),
      firstLive: Math.min(...Object.values(window.liveAt)),
      usable: window.usableAt,
      commandMs: window.commandMs,
      wasmFetched: performance.getEntriesByType('resource').filter((r) => r.name.endsWith('.wasm')).map((r) => Math.round(r.responseEnd)),
    }));
    runs.push({ ...t, wasm, problems });
    await context.close();
  }
  results.tenEmbeds = {
    wasmRequests: runs.map((x) => x.wasm),
    allLiveMs: { median: Math.round(median(runs.map((x) => x.allLive))), runs: runs.map((x) => Math.round(x.allLive)) },
    usableMs: { median: Math.round(median(runs.map((x) => x.usable))), runs: runs.map((x) => Math.round(x.usable)) },
    firstLiveMs: Math.round(median(runs.map((x) => x.firstLive))),
    wasmResponseEndMs: runs.map((x) => x.wasmFetched[0]),
    commandMs: { median: +median(runs.flatMap((x) => x.commandMs)).toFixed(1), max: +Math.max(...runs.flatMap((x) => x.commandMs)).toFixed(1) },
    consoleProblems: runs.flatMap((x) => x.problems),
  };
} finally {
  await browser.close();
  await server.close();
}

const t = results;
console.log(JSON.stringify(t, null, 2));
console.log(`
| measure | result | target |
|---|---|---|
| embed transfer before first interaction (gzip) | ${t.preview.gzipKB} KB (${Object.entries(t.preview.files).map(([p, n]) => `${p.slice(1)} ${n} B`).join(', ')}) | < 20 KB |
| what the live view adds when shown (gzip) | wasm ${t.liveAdds.wasmKB} KB, JS ${t.liveAdds.jsKB} KB | (info) |
| ten embeds: wasm modules fetched | ${t.tenEmbeds.wasmRequests.join(', ')} | 1 |
| ten embeds: navigation to all ten usable | median ${t.tenEmbeds.usableMs.median} ms (runs ${t.tenEmbeds.usableMs.runs.join(', ')}); all live at ${t.tenEmbeds.allLiveMs.median} ms, the first at ${t.tenEmbeds.firstLiveMs} ms; wasm received at ${t.tenEmbeds.wasmResponseEndMs.join(', ')} ms | < 1000 ms |
| one command in an embed | median ${t.tenEmbeds.commandMs.median} ms, worst ${t.tenEmbeds.commandMs.max} ms | (info) |
`);
