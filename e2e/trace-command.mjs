// A performance trace of one command on the 20 000-file image of `bench.mjs` (not a test):
// records a Chromium trace (CDP Tracing) around the command's frame and its animation, then
// prints where the time went: the tasks on the page's main thread, the script functions and
// page phases (`ll-*` measures) inside them, and style, layout, pre-paint and paint; the
// longest main-thread task from the command on (a task longer than a frame holds the next frame
// up); a breakdown of the frame that draws the command (how many elements were restyled and
// why, how many layout objects were laid out from which roots, the areas painted, the tiles
// rastered, the composited layers); and, with `end`, every frame the page missed from the frame
// before the command to the end of its animation, with what the threads did meanwhile.
//
//   node e2e/trace-command.mjs [rounds] [frames|end]   (build the page first: cargo xtask build)
//   LAYERLAB_TRACE_SOURCE=1 node e2e/trace-command.mjs ...  (www/ unminified: functions by name)
//
// `frames` (6 unless given) is how many animation frames after the command the trace covers;
// `end` traces until the command's animations have ended, and types the command as the bench
// does (in its own task just after a frame), so that the frames counted are the bench's.
//
// The raw trace of the last round is written to target/trace-command.json (load it in
// Chromium's DevTools Performance panel to look closer).

import { chromium } from 'playwright-core';
import { deflateRawSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ARGS } from './browser.mjs';
import { serve, WWW } from './server.mjs';
import { bigState } from './big-image.mjs';

const ROUNDS = Number(process.argv[2] ?? 3);
const TO_END = process.argv[3] === 'end';
const FRAMES = TO_END ? 0 : Number(process.argv[3] ?? 6);
const PERIOD = 1000 / 60;
const totals = [];
// The longest main-thread task from the command on, per round.
const worst = [];
// Per round: the frame after the command's style elements, layout objects, painted area,
// raster time; and the frames dropped (with `end`).
const frameStats = [];
/** The CDP session, for describing the trace's nodes. */
const cdpOf = { session: null, layers: new Map() };
const OUT = fileURLToPath(new URL('../target/trace-command.json', import.meta.url));

// LAYERLAB_TRACE_SOURCE=1 serves www/ as it is (unminified modules, named functions in the
// trace) instead of the built page.
const server = await serve(process.env.LAYERLAB_TRACE_SOURCE ? { gzip: true, root: WWW } : { gzip: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
try {
  const frag = `#s=1.${deflateRawSync(Buffer.from(bigState())).toString('base64url')}`;
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  await page.goto(server.url + frag);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('DOM.enable');
  cdpOf.session = cdp;
  // The composited layers, to name the layers the raster tasks work for.
  cdp.on('LayerTree.layerTreeDidChange', ({ layers }) => {
    if (layers) cdpOf.layers = new Map(layers.map((l) => [Number(l.layerId), l]));
  });
  await cdp.send('LayerTree.enable');
  for (let round = 0; round < ROUNDS; round += 1) {
    await page.waitForTimeout(800);
    await page.evaluate(() => new Promise((r) => requestIdleCallback(r, { timeout: 2000 })));
    // Backend node ids in the trace are resolved against this document.
    await cdp.send('DOM.getDocument', { depth: 0 });
    const events = [];
    const done = new Promise((resolve) => {
      cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
      cdp.once('Tracing.tracingComplete', resolve);
    });
    await cdp.send('Tracing.start', {
      traceConfig: {
        includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'disabled-by-default-devtools.timeline.stack', 'disabled-by-default-devtools.timeline.invalidationTracking', 'blink.user_timing', 'v8.execute', 'blink', 'cc', 'toplevel'],
      },
      transferMode: 'ReportEvents',
    });
    const times = await page.evaluate(`(async () => {
      const input = document.querySelector('[aria-label="command"]');
      input.value = 'echo trace >> /srv/d1${round}3/f098.txt';
      const times = [];
      let markAt = 0;
      if (${TO_END}) {
        // As bench.mjs: the command in its own task just after a frame, then every frame
        // until the animation has ended.
        times.push(await new Promise((r) => requestAnimationFrame(r)));
        await new Promise((r) => setTimeout(r, 0));
        markAt = performance.now();
        performance.mark('trace-command');
        input.form.requestSubmit();
        await new Promise((resolve) => {
          const tick = (now) => {
            times.push(now);
            if ((now - times[0] < 900 || document.body.classList.contains('animating')) && now - times[0] < 6000) requestAnimationFrame(tick);
            else resolve();
          };
          requestAnimationFrame(tick);
        });
      } else {
        input.form.requestSubmit();
        for (let i = 0; i < ${FRAMES}; i += 1) times.push(await new Promise((r) => requestAnimationFrame(r)));
      }
      return { times, markAt };
    })()`);
    await cdp.send('Tracing.end');
    await done;
    cdp.removeAllListeners('Tracing.dataCollected');
    if (round === ROUNDS - 1) {
      mkdirSync(fileURLToPath(new URL('../target/', import.meta.url)), { recursive: true });
      writeFileSync(OUT, JSON.stringify({ traceEvents: events }));
    }
    await report(round, events, times);
  }
  await context.close();
  const sorted = [...totals].sort((a, b) => a - b);
  if (sorted.length) console.log(`main-thread time of the command's frame (task + frame), ${sorted.length} rounds: median ${med(sorted).toFixed(1)} ms, range ${sorted[0].toFixed(1)} to ${sorted[sorted.length - 1].toFixed(1)} ms`);
  const w = [...worst].sort((a, b) => a - b);
  if (w.length) console.log(`the longest main-thread task from the command on, ${w.length} rounds: median ${med(w).toFixed(1)} ms, range ${w[0].toFixed(1)} to ${w[w.length - 1].toFixed(1)} ms`);
  if (frameStats.length) {
    const m = (k) => med(frameStats.map((f) => f[k]).sort((a, b) => a - b));
    console.log(`the frame after the command, median of ${frameStats.length}: style ${m('style').toFixed(1)} ms (${m('elements')} elements), layout ${m('layout').toFixed(1)} ms (${m('dirty')} objects), pre-paint + paint ${m('paint').toFixed(1)} ms (${m('paintArea')} px² recorded), raster ${m('raster').toFixed(1)} ms (${m('tiles')} tiles), ${m('layers')} layers updated`);
    if (TO_END) {
      console.log(`frames dropped from the frame before the command to the animation's end: ${frameStats.map((f) => f.dropped).join(', ')} (sum ${frameStats.reduce((n, f) => n + f.dropped, 0)} in ${frameStats.length} rounds)`);
      console.log(`the same window, median of ${frameStats.length}: main thread ${m('mainMs').toFixed(1)} ms, raster ${m('rasterMs').toFixed(1)} ms (thread time), busiest frame interval ${m('busiest').toFixed(1)} ms of main thread; intervals with over 10 ms of main thread ${frameStats.map((f) => f.over10).join(', ')}, over 16.7 ms ${frameStats.map((f) => f.over16).join(', ')}`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}

function med(sorted) {
  return sorted[Math.floor(sorted.length / 2)];
}

/** Prints the main thread's tasks over 1 ms and what each spent its time on. */
async function report(round, events, { times, markAt }) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const pid = main?.pid;
  const mine = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X');
  const tasks = mine.filter((e) => e.name === 'RunTask').sort((a, b) => a.ts - b.ts);
  const t0 = tasks[0]?.ts ?? 0;
  const cpu = (e) => (e.tdur ?? e.dur) / 1000;
  const within = (t) => (e) => e.ts >= t.ts && e.ts + (e.dur ?? 0) <= t.ts + t.dur;
  console.log(`round ${round + 1}:`);
  const interesting = new Set(['FunctionCall', 'EvaluateScript', 'TimerFire', 'FireIdleCallback', 'FireAnimationFrame', 'EventDispatch', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'UpdateLayer', 'CompositeLayers', 'HitTest', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER', 'ScheduleStyleRecalculation', 'RecalculateStyles', 'UpdateLayerTree', 'Commit', 'ParseHTML']);
  const breakdown = (t) => {
    const inner = mine.filter((e) => e !== t && within(t)(e) && interesting.has(e.name));
    // A Paint inside a Paint (the document's, then the root element's) counts once; so does a
    // function call inside a timer or an idle callback.
    const nested = (e) => inner.some((o) => o !== e && o.name === e.name && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur);
    const sum = new Map();
    // Thread time (tdur) where the trace has it: on a loaded machine wall time counts the
    // waits for a core too.
    for (const e of inner) if (!nested(e)) sum.set(e.name, (sum.get(e.name) ?? 0) + cpu(e));
    return { inner, parts: [...sum].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ') };
  };
  const where = (e) => {
    const d = e.args?.data;
    if (!d) return '';
    if (d.url) return ` ${d.functionName || '(anonymous)'} ${d.url.split('/').pop()}:${d.lineNumber + 1}:${d.columnNumber}`;
    if (d.type) return ` ${d.type}`;
    return '';
  };
  for (const t of tasks) {
    if (cpu(t) < 1) continue;
    const { inner, parts } = breakdown(t);
    const entry = inner.filter((e) => ['TimerFire', 'FireIdleCallback', 'FireAnimationFrame', 'EventDispatch'].includes(e.name)).map((e) => e.name + where(e));
    // How much each style recalculation and layout covered: elements restyled, layout objects
    // laid out of the total.
    const counts = inner.filter((e) => e.name === 'UpdateLayoutTree' || e.name === 'Layout').map((e) => (e.name === 'Layout' ? `layout ${e.args?.beginData?.dirtyObjects}/${e.args?.beginData?.totalObjects}` : `style ${e.args?.elementCount}`));
    console.log(`  +${((t.ts - t0) / 1000).toFixed(1)} ms: task ${(t.dur / 1000).toFixed(1)} ms (thread ${cpu(t).toFixed(1)} ms)${entry.length ? ` [${[...new Set(entry)].join('; ')}]` : ''}: ${parts}${counts.length ? ` {${counts.join(', ')}}` : ''}`);
    // Style and layout forced by a script (a read of layout after a change) name the script.
    for (const e of inner) {
      const stack = e.args?.beginData?.stackTrace ?? e.args?.data?.stackTrace;
      if ((e.name === 'Layout' || e.name === 'UpdateLayoutTree') && stack?.length) {
        const at = stack.slice(0, 3).map((f) => `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`).join(' < ');
        console.log(`      forced ${e.name} ${cpu(e).toFixed(1)} ms at ${at}`);
      }
    }
  }
  // The command's frame on the main thread: the task that ran the command (the one holding
  // the 'submit' event), then the next task that painted (the frame that shows the result).
  const inside = (t, name) => mine.some((e) => e.name === name && within(t)(e) && (name !== 'EventDispatch' || e.args?.data?.type === 'submit'));
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
    frameStats.push({ ...await frameDetail(events, mine, command, frame, pid), dropped: 0 });
  }
  if (TO_END) droppedFrames(events, mine, tasks, times, markAt, pid);
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

/** A short description of a node of the trace (a backend node id), as `tag#id.class`. */
async function describe(backendId) {
  try {
    const { node } = await cdpOf.session.send('DOM.describeNode', { backendNodeId: backendId });
    const attrs = new Map();
    for (let i = 0; i + 1 < (node.attributes ?? []).length; i += 2) attrs.set(node.attributes[i], node.attributes[i + 1]);
    const cls = (attrs.get('class') ?? '').split(/\s+/).filter(Boolean).slice(0, 3).map((c) => `.${c}`).join('');
    return `${node.localName || node.nodeName}${attrs.has('id') ? `#${attrs.get('id')}` : ''}${cls}`;
  } catch {
    return `node ${backendId}`;
  }
}

/** A composited layer by its id, as the element it belongs to and its size. */
async function layerName(id) {
  const l = cdpOf.layers.get(Number(id));
  if (!l) return `layer ${id}`;
  const who = l.backendNodeId ? await describe(l.backendNodeId) : (l.parentLayerId ? 'layer' : 'root');
  return `${who} (${Math.round(l.width)}×${Math.round(l.height)}${l.drawsContent ? '' : ', no content'})`;
}

/**
 * The frame that draws the command, taken apart: style (elements restyled, and the reasons the
 * invalidation tracking gives, by element), layout (objects laid out of the total, the roots
 * and reasons), paint (each Paint's node and recorded area), raster (tiles rastered on the
 * worker threads from the frame's commit to the next frame drawn, by layer) and the layers
 * the commit updated.
 */
async function frameDetail(events, mine, command, frame, pid) {
  const span = (e) => e.ts >= command.ts && e.ts <= frame.ts + frame.dur;
  const inFrame = (e) => e.ts >= frame.ts && e.ts <= frame.ts + frame.dur;
  const cpu = (e) => (e.tdur ?? e.dur) / 1000;
  const styles = mine.filter((e) => e.name === 'UpdateLayoutTree' && span(e));
  const layouts = mine.filter((e) => e.name === 'Layout' && span(e));
  const paints = mine.filter((e) => e.name === 'Paint' && inFrame(e));
  const prepaint = mine.filter((e) => e.name === 'PrePaint' && inFrame(e));
  const elements = styles.reduce((n, e) => n + (e.args?.elementCount ?? 0), 0);
  const dirty = layouts.reduce((n, e) => n + (e.args?.beginData?.dirtyObjects ?? 0), 0);
  const total = Math.max(0, ...layouts.map((e) => e.args?.beginData?.totalObjects ?? 0));
  const style = styles.reduce((n, e) => n + cpu(e), 0);
  const layout = layouts.reduce((n, e) => n + cpu(e), 0);
  // Paint nests (the document paints the root element); count the outer ones.
  const outer = paints.filter((p) => !paints.some((o) => o !== p && o.ts <= p.ts && o.ts + o.dur >= p.ts + p.dur));
  const paint = outer.reduce((n, e) => n + cpu(e), 0) + prepaint.reduce((n, e) => n + cpu(e), 0);
  const area = (q) => (q ? Math.round(Math.abs((q[2] - q[0]) * (q[5] - q[1]))) : 0);
  const paintArea = outer.reduce((n, e) => n + area(e.args?.data?.clip), 0);
  console.log(`  the frame after the command: style ${style.toFixed(1)} ms (${styles.length} recalcs, ${elements} elements), layout ${layout.toFixed(1)} ms (${layouts.length} layouts, ${dirty} of ${total} objects), pre-paint ${prepaint.reduce((n, e) => n + cpu(e), 0).toFixed(1)} ms, paint ${outer.reduce((n, e) => n + cpu(e), 0).toFixed(1)} ms`);
  // Invalidation tracking: what asked for the style recalculation and the layout, by element.
  const tracking = (name) => events.filter((e) => e.pid === pid && e.name === name && e.ts >= command.ts && e.ts <= frame.ts + frame.dur);
  const summarise = async (list, label) => {
    const by = new Map();
    for (const e of list) {
      const d = e.args?.data ?? {};
      const key = `${d.reason ?? d.invalidationSet?.[0]?.id ?? d.invalidationList?.[0]?.classes ?? '?'}|${d.nodeId ?? ''}`;
      by.set(key, (by.get(key) ?? 0) + 1);
    }
    const reasons = new Map();
    const nodes = new Map();
    for (const [key, n] of by) {
      const [reason, node] = key.split('|');
      reasons.set(reason, (reasons.get(reason) ?? 0) + n);
      if (node) nodes.set(node, (nodes.get(node) ?? 0) + n);
    }
    if (!list.length) return;
    const top = [...nodes].sort((a, b) => b[1] - a[1]).slice(0, 6);
    const names = await Promise.all(top.map(([id, n]) => describe(Number(id)).then((d) => `${d}${n > 1 ? ` ×${n}` : ''}`)));
    console.log(`    ${label}: ${list.length} on ${nodes.size} nodes; reasons ${[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ')}; nodes ${names.join(', ')}`);
  };
  await summarise(tracking('StyleRecalcInvalidationTracking'), 'style invalidations');
  await summarise(tracking('StyleInvalidatorInvalidationTracking'), 'style invalidation sets');
  await summarise(tracking('LayoutInvalidationTracking'), 'layout invalidations (roots)');
  for (const p of paints) {
    const d = p.args?.data ?? {};
    console.log(`    paint ${cpu(p).toFixed(1)} ms of ${d.nodeName ?? '?'}${d.nodeId ? ` (${await describe(d.nodeId)})` : ''} layer ${d.layerId}: ${d.clip ? `${Math.round(d.clip[2] - d.clip[0])}×${Math.round(d.clip[5] - d.clip[1])}` : '?'}`);
  }
  // Raster on the worker threads, from the frame's commit until the next frame drawn after it.
  const commit = mine.find((e) => e.name === 'Commit' && inFrame(e));
  const from = commit?.ts ?? frame.ts;
  const draw = events.filter((e) => e.pid === pid && e.name === 'DrawFrame' && e.ts > from).sort((a, b) => a.ts - b.ts);
  const until = (draw[1] ?? draw[0])?.ts ?? from + 50000;
  const rasters = events.filter((e) => e.pid === pid && e.name === 'RasterTask' && e.ph === 'X' && e.ts >= from && e.ts <= until);
  const byLayer = new Map();
  for (const r of rasters) {
    const l = r.args?.tileData?.layerId ?? '?';
    byLayer.set(l, (byLayer.get(l) ?? 0) + cpu(r));
  }
  const raster = rasters.reduce((n, e) => n + cpu(e), 0);
  const updated = commit ? mine.filter((e) => e.name === 'UpdateLayer' && e.ts >= commit.ts && e.ts <= commit.ts + commit.dur).length : 0;
  const named = await Promise.all([...byLayer].sort((a, b) => b[1] - a[1]).slice(0, 5).map(async ([l, ms]) => `${await layerName(l)} ${ms.toFixed(1)}`));
  console.log(`    raster to the second frame drawn after its commit: ${rasters.length} tiles, ${raster.toFixed(1)} ms (by layer: ${named.join(', ')}); layers updated in its commit ${updated}; ${cdpOf.layers.size} composited layers`);
  return { style, elements, layout, dirty, paint, paintArea, raster, tiles: rasters.length, layers: updated };
}

/**
 * Every gap between two animation frames longer than 1.5 frame periods, from the frame before
 * the command to the animation's end, with the main-thread tasks and the raster in that gap.
 */
function droppedFrames(events, mine, tasks, times, markAt, pid) {
  // The page's times are ms from its time origin; the trace's are µs on the trace clock. The
  // mark set just before the command (at `markAt` in the page) ties the two together.
  const mark = events.find((e) => e.pid === pid && e.name === 'trace-command');
  if (!mark) {
    console.log('  (no trace-command mark in the trace: frames not matched)');
    return;
  }
  const commandAt = times[0];
  const toTrace = (ms) => mark.ts + (ms - markAt) * 1000;
  const cpu = (e) => (e.tdur ?? e.dur) / 1000;
  // What a task was: its entry point and first script, or a frame (it painted).
  const label = (t) => {
    const inner = mine.filter((e) => e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
    const kind = inner.find((e) => ['TimerFire', 'FireIdleCallback', 'FireAnimationFrame', 'EventDispatch', 'MajorGC', 'MinorGC'].includes(e.name));
    const fn = inner.find((e) => e.name === 'FunctionCall' && e.args?.data?.url);
    const painted = inner.some((e) => e.name === 'Paint');
    return `${kind?.name ?? (painted ? 'frame' : 'task')}${fn ? ` ${fn.args.data.url.split('/').pop()}:${fn.args.data.lineNumber + 1}:${fn.args.data.columnNumber}` : ''}${painted && kind ? ' + frame' : ''}`;
  };
  let dropped = 0;
  const lines = [];
  for (let i = 1; i < times.length; i += 1) {
    const gap = times[i] - times[i - 1];
    const n = Math.max(0, Math.round(gap / PERIOD) - 1);
    if (n === 0) continue;
    dropped += n;
    const a = toTrace(times[i - 1]);
    const b = toTrace(times[i]);
    const busy = tasks.filter((t) => t.ts + t.dur > a - 2000 && t.ts < b && cpu(t) >= 1).map((t) => `${(cpu(t)).toFixed(1)} ms ${label(t)}`);
    const raster = events.filter((e) => e.pid === pid && e.name === 'RasterTask' && e.ph === 'X' && e.ts >= a && e.ts <= b);
    const byLayer = new Map();
    for (const r of raster) byLayer.set(r.args?.tileData?.layerId, (byLayer.get(r.args?.tileData?.layerId) ?? 0) + 1);
    lines.push(`    +${(times[i - 1] - commandAt).toFixed(1)} ms: ${gap.toFixed(1)} ms between frames (${n} dropped); main thread: ${busy.join('; ') || 'idle'}; raster ${raster.reduce((s, e) => s + cpu(e), 0).toFixed(1)} ms (${raster.length} tiles; by layer ${[...byLayer].map(([l, k]) => `${l}: ${k}`).join(', ')})`);
  }
  // The work in the window, which the load does not change (thread time): all main-thread
  // tasks and all raster tasks from the frame before the command to the animation's end, and
  // the busiest frame interval (the main-thread time of the tasks that began in it).
  const a0 = toTrace(times[0]);
  const a1 = toTrace(times[times.length - 1]);
  const mainMs = tasks.filter((t) => t.ts >= a0 && t.ts < a1).reduce((n, t) => n + cpu(t), 0);
  const rasterMs = events.filter((e) => e.pid === pid && e.name === 'RasterTask' && e.ph === 'X' && e.ts >= a0 && e.ts < a1).reduce((n, e) => n + cpu(e), 0);
  const perInterval = [];
  for (let i = 1; i < times.length; i += 1) {
    const a = toTrace(times[i - 1]);
    const b = toTrace(times[i]);
    const inside = tasks.filter((t) => t.ts >= a && t.ts < b);
    const ms = inside.reduce((n, t) => n + cpu(t), 0);
    perInterval.push(ms);
    // A busy interval that dropped no frame is listed too: it is the next to drop one.
    if (ms > 10 && Math.round((times[i] - times[i - 1]) / PERIOD) <= 1) {
      lines.push(`    +${(times[i - 1] - commandAt).toFixed(1)} ms: ${ms.toFixed(1)} ms of main thread in one frame interval: ${inside.filter((t) => cpu(t) >= 1).map((t) => `${cpu(t).toFixed(1)} ms ${label(t)}`).join('; ')}`);
    }
  }
  const busiest = Math.max(0, ...perInterval);
  const over = (ms) => perInterval.filter((x) => x > ms).length;
  console.log(`  frames from the one before the command to the animation's end: ${times.length - 1} intervals over ${(times[times.length - 1] - times[0]).toFixed(0)} ms, ${dropped} dropped; main thread ${mainMs.toFixed(1)} ms, raster ${rasterMs.toFixed(1)} ms (thread time); busiest interval ${busiest.toFixed(1)} ms of main thread, intervals over 10 ms ${over(10)}, over 16.7 ms ${over(PERIOD)}`);
  if (frameStats.length) Object.assign(frameStats[frameStats.length - 1], { mainMs, rasterMs, busiest, over10: over(10), over16: over(PERIOD) });
  for (const l of lines) console.log(l);
  if (frameStats.length) frameStats[frameStats.length - 1].dropped = dropped;
}
