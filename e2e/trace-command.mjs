// A performance trace of one command on the 20 000-file image of `bench.mjs` (not a test):
// records a Chromium trace (CDP Tracing) around the command's frame and the animation's first
// frames, then prints where the time went: the tasks on the page's main thread, the script
// functions and page phases (`ll-*` measures) inside them, and style, layout, pre-paint and
// paint, and the longest main-thread task from the command on (a task longer than a frame holds
// the next frame up). Used to find what makes the command's frame longer than a frame.
//
//   node e2e/trace-command.mjs [rounds] [frames]   (build the wasm into www/pkg first)
//
// `frames` (6 unless given) is how many animation frames after the command the trace covers.
//
// The raw trace of the last round is written to target/trace-command.json (load it in
// Chromium's DevTools Performance panel to look closer).

import { chromium } from 'playwright-core';
import { deflateRawSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ARGS } from './browser.mjs';
import { serve } from './server.mjs';
import { bigState } from './big-image.mjs';

const ROUNDS = Number(process.argv[2] ?? 3);
const FRAMES = Number(process.argv[3] ?? 6);
const totals = [];
// The longest main-thread task from the command on, per round.
const worst = [];
const OUT = fileURLToPath(new URL('../target/trace-command.json', import.meta.url));

const server = await serve({ gzip: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
try {
  const frag = `#s=1.${deflateRawSync(Buffer.from(bigState())).toString('base64url')}`;
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  await page.goto(server.url + frag);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120000 });
  const cdp = await context.newCDPSession(page);
  for (let round = 0; round < ROUNDS; round += 1) {
    await page.waitForTimeout(800);
    await page.evaluate(() => new Promise((r) => requestIdleCallback(r, { timeout: 2000 })));
    const events = [];
    const done = new Promise((resolve) => {
      cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
      cdp.once('Tracing.tracingComplete', resolve);
    });
    await cdp.send('Tracing.start', {
      traceConfig: {
        includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'disabled-by-default-devtools.timeline.stack', 'blink.user_timing', 'v8.execute', 'blink', 'cc', 'toplevel'],
      },
      transferMode: 'ReportEvents',
    });
    await page.evaluate(`(async () => {
      const input = document.querySelector('[aria-label="command"]');
      input.value = 'echo trace >> /srv/d1${round}3/f098.txt';
      input.form.requestSubmit();
      for (let i = 0; i < ${FRAMES}; i += 1) await new Promise((r) => requestAnimationFrame(r));
    })()`);
    await cdp.send('Tracing.end');
    await done;
    cdp.removeAllListeners('Tracing.dataCollected');
    if (round === ROUNDS - 1) {
      mkdirSync(fileURLToPath(new URL('../target/', import.meta.url)), { recursive: true });
      writeFileSync(OUT, JSON.stringify({ traceEvents: events }));
    }
    report(round, events);
  }
  await context.close();
  const sorted = [...totals].sort((a, b) => a - b);
  if (sorted.length) console.log(`main-thread time of the command's frame (task + frame), ${sorted.length} rounds: median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, range ${sorted[0].toFixed(1)} to ${sorted[sorted.length - 1].toFixed(1)} ms`);
  const w = [...worst].sort((a, b) => a - b);
  if (w.length) console.log(`the longest main-thread task from the command on, ${w.length} rounds: median ${w[Math.floor(w.length / 2)].toFixed(1)} ms, range ${w[0].toFixed(1)} to ${w[w.length - 1].toFixed(1)} ms`);
} finally {
  await browser.close();
  await server.close();
}

/** Prints the main thread's tasks over 2 ms and what each spent its time on. */
function report(round, events) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const mine = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X');
  const tasks = mine.filter((e) => e.name === 'RunTask').sort((a, b) => a.ts - b.ts);
  const t0 = tasks[0]?.ts ?? 0;
  console.log(`round ${round + 1}:`);
  const interesting = new Set(['FunctionCall', 'EvaluateScript', 'TimerFire', 'EventDispatch', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'UpdateLayer', 'CompositeLayers', 'HitTest', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER', 'ScheduleStyleRecalculation', 'RecalculateStyles', 'UpdateLayerTree', 'Commit', 'ParseHTML']);
  for (const t of tasks) {
    const ms = t.dur / 1000;
    if ((t.tdur ?? t.dur) / 1000 < 1) continue;
    const inner = mine.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && interesting.has(e.name));
    // A Paint inside a Paint (the document's, then the root element's) counts once.
    const nested = (e) => inner.some((o) => o !== e && o.name === e.name && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur);
    const sum = new Map();
    // Thread time (tdur) where the trace has it: on a loaded machine wall time counts the
    // waits for a core too.
    for (const e of inner) if (!nested(e)) sum.set(e.name, (sum.get(e.name) ?? 0) + (e.tdur ?? e.dur) / 1000);
    const parts = [...sum].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
    console.log(`  +${((t.ts - t0) / 1000).toFixed(1)} ms: task ${ms.toFixed(1)} ms (thread ${((t.tdur ?? t.dur) / 1000).toFixed(1)} ms): ${parts}`);
    // Style and layout forced by a script (a read of layout after a change) name the script.
    for (const e of inner) {
      const stack = e.args?.beginData?.stackTrace ?? e.args?.data?.stackTrace;
      if ((e.name === 'Layout' || e.name === 'UpdateLayoutTree') && stack?.length) {
        const at = stack.slice(0, 3).map((f) => `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`).join(' < ');
        console.log(`      forced ${e.name} ${((e.tdur ?? e.dur) / 1000).toFixed(1)} ms at ${at}`);
      }
    }
  }
  // The command's frame on the main thread: the task that ran the command (the one holding
  // the 'submit' event), then the next task that painted (the frame that shows the result).
  const cpu = (e) => (e.tdur ?? e.dur) / 1000;
  const inside = (t, name) => mine.some((e) => e.name === name && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && (name !== 'EventDispatch' || e.args?.data?.type === 'submit'));
  const command = tasks.find((t) => inside(t, 'EventDispatch'));
  const frame = command && tasks.find((t) => t.ts > command.ts && inside(t, 'Paint'));
  if (command && frame) {
    const line = `  command task ${cpu(command).toFixed(1)} ms, its frame ${cpu(frame).toFixed(1)} ms: ${(cpu(command) + cpu(frame)).toFixed(1)} ms of main-thread time (wall: from the command to the frame's end ${((frame.ts + frame.dur - command.ts) / 1000).toFixed(1)} ms)`;
    console.log(line);
    totals.push(cpu(command) + cpu(frame));
    // The longest task from the command on (the command's own, the frame that draws it, the
    // work the page leaves to later frames): a task longer than a frame (16.7 ms) holds up the
    // next frame, shorter ones each fit between two.
    const after = tasks.filter((t) => t.ts >= command.ts);
    const longest = Math.max(...after.map(cpu));
    console.log(`  longest main-thread task from the command on: ${longest.toFixed(1)} ms (thread time)`);
    worst.push(longest);
  }
  const marks = events.filter((e) => e.cat?.includes('blink.user_timing') && e.name.startsWith('ll-') && (e.ph === 'b' || e.ph === 'e'));
  const open = new Map();
  const measures = [];
  for (const e of marks.sort((a, b) => a.ts - b.ts)) {
    if (e.ph === 'b') open.set(`${e.name}|${e.id2?.local ?? e.id}`, e.ts);
    else {
      const k = `${e.name}|${e.id2?.local ?? e.id}`;
      if (open.has(k)) measures.push(`${e.name} ${((e.ts - open.get(k)) / 1000).toFixed(1)}`);
    }
  }
  if (measures.length) console.log(`  measures: ${measures.join(', ')}`);
}
