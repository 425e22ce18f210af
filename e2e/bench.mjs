// The page's benchmark (not part of `node --test`): in headless Chromium on this machine,
// reports the wasm and JavaScript transferred (gzip: the build's zopfli copies, as `cargo xtask
// serve` sends them, and beside them the same files' gzip -9), the time from navigation to a usable
// page, the time from pressing Enter to the updated matrix for one command on an image of
// 20 000 files, and the frames per second during a copy-up animation over that image (from
// the frame before the command to the animation's end, and the earlier sessions' 900 ms after
// the command's frame), each beside an empty page's.
//
//   node e2e/bench.mjs            (build the page into target/site first: cargo xtask build)
//   node e2e/bench.mjs --transfer (the transfer sizes and time to usable only: a plain visit,
//                                  before usable and after, and what the first use of a lesson,
//                                  author mode, share and export fetches on top, and a second
//                                  visit with a saved session)

import { chromium } from 'playwright-core';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARGS, SHOTS } from './browser.mjs';
import { SITE, serve } from './server.mjs';

import { FILES, bigState } from './big-image.mjs';

/**
 * Collects the start time of every animation frame after the frame at `first` (source text,
 * evaluated in the page) until `done()` says so and at least `min` ms have passed (at most 6 s).
 */
const FRAMES = `async (first, min, done) => {
  const times = [first];
  await new Promise((resolve) => {
    const tick = (now) => {
      times.push(now);
      if ((now - first < min || !done()) && now - first < 6000) requestAnimationFrame(tick);
      else resolve();
    };
    requestAnimationFrame(tick);
  });
  return times;
}`;

/**
 * Frames per second over `times` (frame start times): intervals over elapsed time; the worst
 * interval; and the frames dropped (an interval of n frame periods of 16.7 ms drops n - 1).
 */
function rate(times) {
  let worst = 0;
  let dropped = 0;
  // Where the frames were dropped: ms from the first frame counted to the start of each long
  // interval, with the frames it dropped ("+950:1").
  const at = [];
  for (let i = 1; i < times.length; i += 1) {
    const gap = times[i] - times[i - 1];
    worst = Math.max(worst, gap);
    const n = Math.max(0, Math.round(gap / (1000 / 60)) - 1);
    dropped += n;
    if (n > 0) at.push(`+${Math.round(times[i - 1] - times[0])}:${n}`);
  }
  return { fps: (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000), worst, dropped, at, ms: times[times.length - 1] - times[0] };
}

/** The frames from `times[from]` for 900 ms (the first one at or past 900 ms included). */
function window900(times, from) {
  const out = [];
  for (let i = from; i < times.length; i += 1) {
    out.push(times[i]);
    if (times[i] - times[from] >= 900) break;
  }
  return out;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const server = await serve({ gzip: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
const results = {};
try {
  // 1. Transfer size and time to usable, default scenario, cold context each time. Every
  // response the server sent before the page's `layerlab-ready` mark counts as needed to be
  // usable; what the page fetches after it (the lesson list, loaded once the page is usable,
  // and anything started in idle time) is reported apart, up to 3 s after the network went
  // quiet, and the two together are what a plain visit fetches. The figures are those of the
  // last run (each run fetches everything again: the server sends Cache-Control: no-store).
  const usable = [];
  const phases = [];
  let before = [];
  let after = [];
  for (let i = 0; i < 5; i += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    server.transferred.clear();
    server.log.length = 0;
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    // Whatever the page starts once usable has time to arrive, so that it is counted (after).
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(3000);
    const readyAt = await page.evaluate(() => performance.timeOrigin + performance.getEntriesByName('layerlab-ready')[0].startTime);
    before = server.log.filter((r) => r.at <= readyAt);
    after = server.log.filter((r) => r.at > readyAt);
    usable.push(await page.evaluate(() => performance.getEntriesByName('layerlab-ready')[0].startTime));
    phases.push(await page.evaluate(() => {
      const at = (n) => Math.round(performance.getEntriesByName(n)[0]?.startTime ?? -1);
      const nav = performance.getEntriesByType('navigation')[0];
      return { responseEnd: Math.round(nav.responseEnd), domInteractive: Math.round(nav.domInteractive), wasmReady: at('layerlab-wasm'), engineBuilt: at('layerlab-engine'), drawn: at('layerlab-ready') };
    }));
    await context.close();
  }
  const sum = (rs, test) => +(rs.filter((r) => test(r.path)).reduce((n, r) => n + r.bytes, 0) / 1024).toFixed(1);
  const isWasm = (p) => p.endsWith('.wasm');
  const isJs = (p) => p.endsWith('.js');
  const isCode = (p) => isWasm(p) || isJs(p);
  const files = (rs) => rs.map((r) => `${r.path} ${(r.bytes / 1024).toFixed(1)} KB`);
  results.transfer = {
    wasmGzipKB: sum(before, isWasm),
    jsGzipKB: sum(before, isJs),
    wasmPlusJsKB: sum(before, isCode),
    htmlCssSvgKB: sum(before, (p) => !isCode(p)),
    files: files(before),
    afterUsable: { wasmPlusJsKB: sum(after, isCode), otherKB: sum(after, (p) => !isCode(p)), files: files(after) },
    // Everything a plain visit fetches, before usable and after: the figure of the 150 KB target.
    plainVisit: {
      wasmPlusJsKB: sum([...before, ...after], isCode),
      wasmPlusJsBytes: [...before, ...after].filter((r) => isCode(r.path)).reduce((n, r) => n + r.bytes, 0),
      allKB: sum([...before, ...after], () => true),
    },
  };
  // The server sends the build's zopfli copies (NAME.gz), as `cargo xtask serve` does; the same
  // files compressed with gzip -9 on the fly (a server without those copies) for comparison.
  results.transfer.plainVisit.wasmPlusJsGzip9KB = +([...before, ...after]
    .filter((r) => isCode(r.path))
    .reduce((n, r) => n + gzipSync(readFileSync(join(SITE, r.path)), { level: 9 }).length, 0) / 1024).toFixed(1);

  // 1b. What loads lazily, each in a fresh page that is usable and quiet: what the first use of
  // a feature fetches, apart from the plain visit.
  const lazily = async (what) => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await page.waitForLoadState('networkidle');
    await page.locator('#lesson-list button[data-lesson]').first().waitFor();
    server.log.length = 0;
    await what(page);
    await page.waitForLoadState('networkidle');
    const rs = [...server.log];
    await context.close();
    return { wasmPlusJsKB: sum(rs, isCode), otherKB: sum(rs, (p) => !isCode(p)), files: files(rs) };
  };
  results.transfer.lazy = {
    openLesson: await lazily(async (page) => {
      await page.click('#lesson-list button[data-lesson="copy-on-write"]');
      await page.waitForFunction(() => document.querySelector('#lesson-main .lesson-title')?.textContent.startsWith('Copy-on-write'));
    }),
    authorMode: await lazily(async (page) => {
      await page.click('#btn-author');
      await page.waitForFunction(() => !document.querySelector('#author').hidden);
    }),
    share: await lazily(async (page) => {
      await page.click('#btn-share');
      await page.waitForFunction(() => document.querySelector('#share-url').value.includes('#s='));
    }),
    // A second visit with a saved session (a command typed, then a reload): the whole page
    // again, and session-io.js to read the session back.
    returnVisit: await lazily(async (page) => {
      await page.fill('[aria-label="command"]', 'echo hello > /greeting');
      await page.press('[aria-label="command"]', 'Enter');
      await page.waitForFunction(() => (localStorage.getItem('layerlab.session.v1') ?? '').includes('greeting'));
      await page.waitForLoadState('networkidle');
      server.log.length = 0;
      await page.reload();
      await page.waitForFunction(() => document.body.dataset.ready === 'true');
      await page.waitForTimeout(3000);
    }),
    export: await lazily(async (page) => {
      const download = page.waitForEvent('download');
      await page.click('#btn-export');
      await download;
    }),
  };
  results.usableMs = { median: Math.round(median(usable)), runs: usable.map(Math.round), phasesOfLastRun: phases[phases.length - 1] };
  if (process.argv.includes('--transfer')) {
    // `node e2e/bench.mjs --transfer`: this part alone, for measuring a size change quickly.
    await browser.close();
    await server.close();
    console.log(JSON.stringify({ transfer: results.transfer, usableMs: results.usableMs }, null, 2));
    process.exit(0);
  }

  // 2. An image of 20 000 files, opened from a share link.
  const frag = `#s=1.${deflateRawSync(Buffer.from(bigState())).toString('base64url')}`;
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
  const t0 = Date.now();
  await page.goto(server.url + frag);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120000 });
  results.bigImage = {
    files: FILES,
    linkKB: +(frag.length / 1024).toFixed(1),
    columns: await page.evaluate(() => document.querySelector('.corner-sub').textContent),
    openMs: Date.now() - t0,
    renderedCells: await page.evaluate(() => document.querySelectorAll('#matrix [role=gridcell]:not([hidden])').length),
  };
  await page.uncheck('#opt-motion');
  // 3. Enter to updated matrix: the command runs, the engine answers and the matrix is drawn
  // synchronously in the submit handler; the next frame shows it.
  const perCommand = [];
  const toFrame = [];
  for (let i = 0; i < 9; i += 1) {
    // Each command starts from a quiet page: the previous one's deferred work (layer sizes,
    // saving the session) is done.
    await page.waitForTimeout(400);
    await page.evaluate(() => new Promise((r) => requestIdleCallback(r, { timeout: 2000 })));
    const line = `echo more >> /srv/d${String(20 + i * 20).padStart(3, '0')}/f0${10 + i}.txt`;
    const t = await page.evaluate(async (l) => {
      const input = document.querySelector('[aria-label="command"]');
      input.value = l;
      const a = performance.now();
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      input.form.requestSubmit();
      const b = performance.now();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const c = performance.now();
      const ok = document.querySelector(`[data-layer="container"] [data-path="${l.split(' ').pop()}"]`)?.getAttribute('data-state');
      return { sync: b - a, frame: c - a, ok };
    }, line);
    if (t.ok !== 'file') throw new Error(`the matrix did not show ${line}: ${t.ok}`);
    perCommand.push(t.sync);
    toFrame.push(t.frame);
  }
  results.phasesOfLastCommandMs = await page.evaluate(() => {
    const out = {};
    for (const m of performance.getEntriesByType('measure')) if (m.name.startsWith('ll-')) out[m.name] = +m.duration.toFixed(1);
    return out;
  });
  results.enterToMatrixMs = { median: +median(perCommand).toFixed(1), min: +Math.min(...perCommand).toFixed(1), toNextFrameMedian: +median(toFrame).toFixed(1), runs: perCommand.map((x) => +x.toFixed(1)) };

  // 4. Frames per second while a copy-up animates over the 20 000-file matrix, side by side
  // with an empty page in the same browser: on a shared machine even about:blank misses
  // frames, so the ratio is the figure. Each round types one command that copies a directory
  // and a file up, as a key press arrives: in its own task, just after a frame. Frames are
  // counted two ways: "whole" from the frame before the command to the end of its animations
  // (so the command's own frame, its task and the drawing of its result, is one of the counted
  // intervals, and so is every scroll between animation steps); "first 900 ms" from the frame
  // after the command, for 900 ms (the measure of earlier sessions, which leaves the command's
  // task out). The empty page is counted over the same length of time, after each round. Long
  // animation frames during the animation are kept with the scripts they ran, so a shortfall
  // can be told from the page's own work.
  const blankContext = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const blank = await blankContext.newPage();
  await blank.goto('about:blank');
  await page.check('#opt-motion');
  await page.evaluate(() => {
    window.llLoaf = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.llLoaf.push({ start: e.startTime, ms: Math.round(e.duration), scripts: e.scripts.map((s) => `${s.invoker} (${(s.sourceURL || '').split('/').pop()}) ${Math.round(s.duration)} ms`) });
      }
    }).observe({ type: 'long-animation-frame' });
  });
  const anim = [];
  const empty = [];
  const longFrames = [];
  for (let round = 0; round < 5; round += 1) {
    await page.bringToFront();
    await page.waitForTimeout(600);
    await page.evaluate(() => new Promise((r) => requestIdleCallback(r, { timeout: 2000 })));
    // A string expression, not a function: the counter is spliced in as source, and the
    // page's CSP (no eval) does not apply to what the test harness evaluates.
    const r = await page.evaluate(`(async () => {
      const input = document.querySelector('[aria-label="command"]');
      input.value = 'echo anim >> /srv/d1${round}1/f099.txt';
      const before = await new Promise((r) => requestAnimationFrame(r));
      await new Promise((r) => setTimeout(r, 0));
      const t0 = performance.now();
      input.form.requestSubmit();
      const task = performance.now() - t0;
      window.llLoaf = [];
      const times = await (${FRAMES})(before, 900, () => !document.body.classList.contains('animating'));
      // Entries arrive late: keep the frames that began inside the counted window.
      const loaf = window.llLoaf.filter((e) => e.start >= before).map(({ ms, scripts }) => ({ ms, scripts }));
      return { times, task, commitFrame: times[1] - t0, loaf, animations: Number(document.body.dataset.animations ?? 0) };
    })()`);
    anim.push({ whole: rate(r.times), first: rate(window900(r.times, 1)), task: r.task, commitFrame: r.commitFrame, animations: r.animations });
    longFrames.push(...r.loaf);
    await page.waitForTimeout(1200);
    await blank.bringToFront();
    const times = await blank.evaluate(`(async () => {
      const before = await new Promise((r) => requestAnimationFrame(r));
      await new Promise((r) => setTimeout(r, 0));
      return (${FRAMES})(before, ${Math.ceil(anim[anim.length - 1].whole.ms)}, () => true);
    })()`);
    empty.push({ whole: rate(times), first: rate(window900(times, 1)) });
  }
  await blankContext.close();
  await page.bringToFront();
  await page.waitForTimeout(1500);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}12-20000-files.png` });
  const fpsOf = (xs, k) => +median(xs.map((r) => r[k].fps)).toFixed(1);
  const summary = (k) => ({
    fps: fpsOf(anim, k),
    emptyPageFps: fpsOf(empty, k),
    ratio: +(fpsOf(anim, k) / fpsOf(empty, k)).toFixed(2),
    runs: anim.map((r) => +r[k].fps.toFixed(1)),
    emptyRuns: empty.map((r) => +r[k].fps.toFixed(1)),
    worstFrameMs: +Math.max(...anim.map((r) => r[k].worst)).toFixed(1),
    emptyWorstFrameMs: +Math.max(...empty.map((r) => r[k].worst)).toFixed(1),
    // Over the five rounds together.
    droppedFrames: anim.reduce((n, r) => n + r[k].dropped, 0),
    emptyDroppedFrames: empty.reduce((n, r) => n + r[k].dropped, 0),
    // Per round, where (ms after the first frame counted) and how many.
    droppedAt: anim.map((r) => r[k].at.join(' ')),
    emptyDroppedAt: empty.map((r) => r[k].at.join(' ')),
    countedMs: Math.round(median(anim.map((r) => r[k].ms))),
  });
  results.copyUpAnimation = {
    whole: summary('whole'),
    first900: summary('first'),
    commandTaskMs: +median(anim.map((r) => r.task)).toFixed(1),
    commandFrameMs: +median(anim.map((r) => r.commitFrame)).toFixed(1),
    animationsRun: anim[anim.length - 1].animations,
    longFramesDuringAnimation: longFrames,
  };
  results.consoleProblems = problems;
  await context.close();
} finally {
  await browser.close();
  await server.close();
}

const t = results;
console.log(JSON.stringify(t, null, 2));
console.log(`
| measure | result | target |
|---|---|---|
| wasm + JS transferred (gzip), a plain visit | ${t.transfer.plainVisit.wasmPlusJsKB} KB, ${t.transfer.plainVisit.wasmPlusJsBytes} bytes (the build's zopfli copies; gzip -9 on the fly would be ${t.transfer.plainVisit.wasmPlusJsGzip9KB} KB): before usable ${t.transfer.wasmPlusJsKB} KB (wasm ${t.transfer.wasmGzipKB} KB, JS ${t.transfer.jsGzipKB} KB), after usable ${t.transfer.afterUsable.wasmPlusJsKB} KB wasm + JS and ${t.transfer.afterUsable.otherKB} KB data; on first use: a lesson ${t.transfer.lazy.openLesson.wasmPlusJsKB} KB, author mode ${t.transfer.lazy.authorMode.wasmPlusJsKB} KB, share ${t.transfer.lazy.share.wasmPlusJsKB} KB, export ${t.transfer.lazy.export.wasmPlusJsKB} KB; a second visit with a saved session ${t.transfer.lazy.returnVisit.wasmPlusJsKB} KB | < 150 KB |
| navigation to usable (default scenario) | ${t.usableMs.median} ms | < 500 ms |
| Enter to updated matrix, ${t.bigImage.files} files | median ${t.enterToMatrixMs.median} ms, best ${t.enterToMatrixMs.min} ms (next frame ${t.enterToMatrixMs.toNextFrameMedian} ms) | < 50 ms |
| copy-up animation, ${t.bigImage.files} files, from the frame before the command to the animation's end (${t.copyUpAnimation.whole.countedMs} ms) | ${t.copyUpAnimation.whole.fps} fps, an empty page ${t.copyUpAnimation.whole.emptyPageFps} fps side by side: ratio ${t.copyUpAnimation.whole.ratio} (worst frame ${t.copyUpAnimation.whole.worstFrameMs} ms, empty page ${t.copyUpAnimation.whole.emptyWorstFrameMs} ms; frames dropped in 5 rounds ${t.copyUpAnimation.whole.droppedFrames}, empty page ${t.copyUpAnimation.whole.emptyDroppedFrames}; the command's task ${t.copyUpAnimation.commandTaskMs} ms) | 60 fps |
| the same, first 900 ms after the command's frame (earlier sessions' measure) | ${t.copyUpAnimation.first900.fps} fps, an empty page ${t.copyUpAnimation.first900.emptyPageFps} fps: ratio ${t.copyUpAnimation.first900.ratio} (worst frame ${t.copyUpAnimation.first900.worstFrameMs} ms, empty page ${t.copyUpAnimation.first900.emptyWorstFrameMs} ms) | 60 fps |
| opening the ${t.bigImage.files}-file image from a ${t.bigImage.linkKB} KB share link | ${t.bigImage.openMs} ms | |
`);
