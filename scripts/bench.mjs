// The browser half of scripts/bench.sh: the engine workloads compiled to wasm and
// timed in headless Chromium (the same sequences the native harness times), with
// `wasm_vs_native_ratio` from native and wasm samples interleaved in this one run
// (the native ones from `buddyscope-bench sample pcp`, one process a sample); and the
// page itself: time to interactive, address-space redraw at 4 Mi and 64 Mi pages,
// step latency, 1 M- and 10 M-operation workloads (with the wasm memory each needs),
// the gzipped wasm. Writes target/bench/browser.json: each page figure as its median
// with `KEY_range` [min, median, max] and `KEY_samples`. `--quick` takes fewer samples.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serve } from '../e2e/server.mjs';
import { launch } from '../e2e/browser.mjs';
import { SIXTEEN_GIB, MILLION, TEN_MILLION, drawMs, stepLatency } from '../e2e/measure.mjs';

// stepLatency's measurement (click to the first animation frame after the step counter
// changed, the counter polled with setTimeout(0)), split in two: `work`, click to the
// counter's change (the page's handler, the engine and the DOM update; timed by a
// MutationObserver, so exact rather than at the next poll), and `frame`, from then to
// the next requestAnimationFrame callback (the poll's delay and the wait for the
// browser's frame).
function stepSplit(page, name) {
  return page.evaluate(async (name) => {
    const counter = document.getElementById('step-counter');
    const before = counter.textContent;
    const button = [...document.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === name);
    let changed;
    const observer = new MutationObserver(() => {
      if (changed === undefined && counter.textContent !== before) changed = performance.now();
    });
    observer.observe(counter, { childList: true, characterData: true, subtree: true });
    const start = performance.now();
    button.click();
    while (counter.textContent === before) {
      await new Promise((ok) => setTimeout(ok, 0));
    }
    observer.disconnect();
    changed ??= performance.now();
    await new Promise((ok) => requestAnimationFrame(() => ok()));
    const end = performance.now();
    return { total: end - start, work: changed - start, frame: end - changed };
  }, name);
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'target', 'bench');
const quick = process.argv.includes('--quick');
// `--engine-only`: just the wasm engine workloads (for profiling; browser.json is not written).
const engineOnly = process.argv.includes('--engine-only');
// `--workloads-only`: just the page's time to interactive and its long workloads (1 M
// and 10 M operations), written to workloads.json instead of browser.json.
const workloadsOnly = process.argv.includes('--workloads-only');
// `--page-only`: just the 16 GiB page's redraw and steps (redraw_4mi_ms, step_latency_ms;
// for working on the page's step path; browser.json is not written).
const pageOnly = process.argv.includes('--page-only');
// `--tti-only`: just the page's time to interactive and its gzipped wasm (for work on
// the page's start-up and size; printed and written to target/bench/tti.json, not
// browser.json).
const ttiOnly = process.argv.includes('--tti-only');
// `--pairs-only`: just wasm_vs_native_ratio's interleaved native/wasm pairs (for work
// on the engine's hot paths; printed, browser.json is not written). Needs the bench
// wasm built (scripts/bench.sh's wasm steps) and the native bench binary.
const pairsOnly = process.argv.includes('--pairs-only');
const REPS = quick ? 3 : 7;
// Samples of each kind of step (step_latency_ms): see pageSteps.
const STEP_REPS = 3 * REPS;
// The median (the mean of the middle two for an even count).
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const range = (xs) => [Math.min(...xs), median(xs), Math.max(...xs)];
const results = {};
// A page figure: its median, [min, median, max] and every sample.
function figure(key, samples) {
  results[key] = median(samples);
  results[`${key}_range`] = range(samples);
  results[`${key}_samples`] = samples;
}
const spread = (xs) => range(xs).map((x) => x.toFixed(1)).join(' / ');
const NATIVE_BENCH = join(ROOT, 'target', 'release', 'buddyscope-bench');
const run = promisify(execFile);

/** One native sample of `workload` in its own process (`buddyscope-bench sample`). */
async function nativeSample(workload) {
  const { stdout } = await run(NATIVE_BENCH, ['sample', workload]);
  return JSON.parse(stdout);
}

function say(name, value, unit, target) {
  const verdict = target === undefined ? '' : value <= target ? `  (target <= ${target}: met)` : `  (target <= ${target}: MISSED)`;
  console.log(`${name.padEnd(58)} ${value.toFixed(2).padStart(10)} ${unit}${verdict}`);
}

// A scenario as a share-link fragment (the p1 form: percent-encoded text).
const link = (text, step) => `#s=p1.${encodeURIComponent(text)}${step === undefined ? '' : `&step=${step}`}`;

// 64 Mi page frames of address space (256 GiB): 1 GiB at the bottom on node 0 and
// 1 GiB at the top on node 1, a hole between.
const SPARSE_256_GIB = `version = 1
[machine]
thp = "never"
[[machine.nodes]]
memory = ["0x100000-0x3fffffff"]
cpus = "0"
[[machine.nodes]]
memory = ["0x3fc0000000-0x3fffffffff"]
cpus = "1"
[workload]
script = "alloc a order=0 count=2000"
`;

// Keeps the page's wasm memory where the benchmark can read its size
// (\`window.__benchWasmMemory\`), by wrapping WebAssembly's instantiation.
const CAPTURE_MEMORY = () => {
  const keep = (result) => {
    const exports = (result.instance ?? result).exports;
    if (exports?.memory) window.__benchWasmMemory = exports.memory;
    return result;
  };
  const streaming = WebAssembly.instantiateStreaming;
  const plain = WebAssembly.instantiate;
  if (streaming) WebAssembly.instantiateStreaming = (...a) => streaming(...a).then(keep);
  WebAssembly.instantiate = (...a) => plain(...a).then(keep);
};
const wasmHeap = (page) => page.evaluate(() => window.__benchWasmMemory?.buffer.byteLength ?? null);

async function loadPage(context, url, timeout = 180000) {
  const page = await context.newPage();
  await page.addInitScript(CAPTURE_MEMORY);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout });
  await page.waitForFunction(() => document.getElementById('address-canvas')?.dataset.drawMs !== undefined);
  if (errors.length) throw new Error(errors.join('\n'));
  return page;
}


async function redraws(page, fitPattern) {
  const fit = [];
  for (let i = 0; i < REPS; i++) {
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Fit whole machine' }).click();
    await page.waitForFunction((p) => new RegExp(p).test(document.getElementById('zoom-scale').textContent), fitPattern);
    fit.push(await drawMs(page));
  }
  return fit;
}

const BENCH_HTML = `<!doctype html><meta charset="utf-8"><title>engine bench</title>
<script type="module">
import init, { Bench } from './wasm/buddyscope_bench.js';
window.benchReady = init().then(() => true);
window.timeWorkload = (workload, ops, pages, tracing, reps) => {
  const bench = new Bench(workload, ops, pages);
  const boots = [], runs = [];
  // Warm-up: long enough for V8 to tier the hot functions up to its optimising compiler.
  for (let i = 0; i < 3; i++) { bench.boot(); bench.run(tracing); }
  for (let i = 0; i < reps; i++) {
    let t = performance.now(); bench.boot(); boots.push(performance.now() - t);
    t = performance.now(); bench.run(tracing); runs.push(performance.now() - t);
  }
  bench.free();
  // The fastest sample, as the native harness reports: the least disturbed by
  // whatever else the machine is doing.
  return Math.min(...runs) - Math.min(...boots);
};
// For the interleaved ratio: one Bench, warmed up once; each sample boots untimed
// and times the sequence alone, as \`buddyscope-bench sample\` does.
window.pairBench = (workload, ops, pages) => {
  window.pair = new Bench(workload, ops, pages);
  for (let i = 0; i < 3; i++) { window.pair.prepare(); window.pair.run_booted(false); }
};
window.pairSample = () => {
  if (!window.pair.prepare()) throw new Error('the benchmark machine does not boot');
  const t = performance.now();
  const allocations = window.pair.run_booted(false);
  return { ms: performance.now() - t, allocations };
};
</script>`;

async function main() {
  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, 'bench.html'), BENCH_HTML);
  const engineServer = await serve(OUT, '/');
  const siteServer = await serve(join(ROOT, 'dist'), '/bench/');
  const context = await launch();
  try {
    if (pageOnly) {
      await pageSteps(context, siteServer);
      return;
    }
    if (ttiOnly) {
      await pageStart(context, siteServer);
      await wasmSize();
      await writeFile(join(OUT, 'tti.json'), JSON.stringify(results, null, 2) + '\n');
      return;
    }
    if (pairsOnly) {
      await wasmPairs(context, engineServer);
      return;
    }
    if (!workloadsOnly) await engineInWasm(context, engineServer);
    if (engineOnly) return;
    await thePage(context, siteServer);
  } finally {
    await context.close();
    await engineServer.close();
    await siteServer.close();
  }
  if (engineOnly || pageOnly || ttiOnly || pairsOnly) return;
  await writeFile(join(OUT, workloadsOnly ? 'workloads.json' : 'browser.json'), JSON.stringify(results, null, 2) + '\n');
}

// 1. The engine in wasm: the three workloads, then wasm_vs_native_ratio's pairs.
async function engineInWasm(context, engineServer) {
  const page = await context.newPage();
  await page.goto(`${engineServer.url}bench.html`);
  await page.evaluate(() => window.benchReady);
  const OPS = 1_000_000;
  const PAGES = 1 << 18;
  const native = JSON.parse(await readFile(join(OUT, 'native.json'), 'utf8'));
  console.log(`\nEngine in wasm (headless Chromium), ${OPS} operations, fastest of ${REPS} runs, ms`);
  const names = ['order-0 pairs (pcp)', 'mixed orders 0-3', 'fragmentation'];
  results.wasm_workloads = [];
  for (let w = 0; w < 3; w++) {
    const off = await page.evaluate(([w, o, p, r]) => window.timeWorkload(w, o, p, false, r), [w, OPS, PAGES, REPS]);
    const on = await page.evaluate(([w, o, p, r]) => window.timeWorkload(w, o, p, true, r), [w, OPS, PAGES, REPS]);
    const nat = native.workloads.find((x) => x.workload === names[w]);
    say(`wasm ${names[w]}, tracing off (native ${nat.engine_ms.toFixed(1)})`, off, 'ms');
    say(`wasm ${names[w]}, tracing on (native ${nat.traced_ms.toFixed(1)})`, on, 'ms');
    results.wasm_workloads.push({ workload: names[w], wasm_ms: off, wasm_traced_ms: on, native_ms: nat.engine_ms });
    if (w === 0) {
      results.wasm_pcp_ns_per_op = (off * 1e6) / OPS;
      results.wasm_fastest_ratio = off / nat.engine_ms;
    }
  }

  await pairsOnPage(page);
  await page.close();
}

// `--pairs-only`: the bench page and wasm_vs_native_ratio's pairs alone.
async function wasmPairs(context, engineServer) {
  const page = await context.newPage();
  await page.goto(`${engineServer.url}bench.html`);
  await page.evaluate(() => window.benchReady);
  await pairsOnPage(page);
  await page.close();
}

// wasm_vs_native_ratio: native, wasm, native, wasm, ... in this one run; the
// median of each pair's wasm / native.
async function pairsOnPage(page) {
  const OPS = 1_000_000;
  const PAGES = 1 << 18;
  const PAIRS = quick ? 9 : 15;
  await page.evaluate(([o, p]) => window.pairBench(0, o, p), [OPS, PAGES]);
  await nativeSample('pcp'); // warm the file cache for the first timed spawn
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const n = await nativeSample('pcp');
    const w = await page.evaluate(() => window.pairSample());
    if (n.allocations !== w.allocations || n.ops !== OPS || n.pages !== PAGES || n.tracing !== false) {
      throw new Error(`native and wasm ran different work: ${JSON.stringify(n)} vs ${JSON.stringify(w)}`);
    }
    pairs.push({ native_ms: n.ms, wasm_ms: w.ms, ratio: w.ms / n.ms, native_faults: n.faults });
  }
  await page.evaluate(() => window.pair.free());
  results.wasm_vs_native_pairs = pairs;
  figure('wasm_vs_native_ratio', pairs.map((p) => p.ratio));
  console.log(`\nwasm / native, order-0 pairs, tracing off, ${PAIRS} interleaved pairs (native ms, wasm ms, ratio; page faults in the native run):`);
  console.log(pairs.map((p) => `  ${p.native_ms.toFixed(1)} ${p.wasm_ms.toFixed(1)} ${p.ratio.toFixed(2)}  (${p.native_faults})`).join('\n'));
  console.log(`  ratio min / median / max: ${spread(pairs.map((p) => p.ratio))}`);
}

// 2. The page. Medians, with min / median / max.
async function thePage(context, siteServer) {
  await pageStart(context, siteServer);
  if (!workloadsOnly) await redrawsAndSteps(context, siteServer);
  await longWorkloads(context, siteServer);
  if (workloadsOnly) return;
  await wasmSize();
}

// tti_ms: the default scenario loaded REPS times, each load's `buddyscope-interactive`
// mark; and when the wasm's download ended in the same loads.
async function pageStart(context, siteServer) {
  console.log('\nThe page (release build, headless Chromium): median (min / median / max)');
  const tti = [], wasmLoaded = [];
  for (let i = 0; i < REPS; i++) {
    const p = await loadPage(context, siteServer.url);
    tti.push(await p.evaluate(() => performance.getEntriesByName('buddyscope-interactive')[0]?.startTime ?? NaN));
    // Where the time goes: the wasm's download ends at responseEnd; the rest is
    // compiling it, running the default scenario and the first render.
    wasmLoaded.push(await p.evaluate(() => performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'))?.responseEnd ?? NaN));
    await p.close();
  }
  figure('tti_ms', tti);
  results.tti_wasm_loaded_ms_range = range(wasmLoaded);
  say(`time to interactive, default scenario (${spread(tti)})`, results.tti_ms, 'ms', 150);
  console.log(`    of which until the wasm is downloaded ${spread(wasmLoaded)}`);
}

// wasm_bytes and wasm_gz_bytes: the built page's wasm, raw and gzip level 9.
async function wasmSize() {
  const wasm = (await readdir(join(ROOT, 'dist'))).find((f) => f.endsWith('.wasm'));
  const bytes = await readFile(join(ROOT, 'dist', wasm));
  results.wasm_bytes = bytes.length;
  results.wasm_gz_bytes = gzipSync(bytes, { level: 9 }).length;
  say('page wasm, gzipped', results.wasm_gz_bytes, 'bytes', 600000);
}

// The 16 GiB machine at step 100: its redraw with the whole machine in view, and step
// forward, over and back, click to painted frame.
async function pageSteps(context, siteServer) {
  const big = await loadPage(context, siteServer.url + link(SIXTEEN_GIB, 100));
  figure('redraw_4mi_ms', await redraws(big, '^8 pages a pixel'));
  say(`address-space redraw, 16 GiB (${spread(results.redraw_4mi_ms_samples)})`, results.redraw_4mi_ms, 'ms', 8);
  const steps = { step_forward_ms: [], step_over_ms: [], step_back_ms: [] };
  const stepNames = { step_forward_ms: 'Step forward', step_over_ms: 'Step over', step_back_ms: 'Step back' };
  const splits = { step_forward_ms: [], step_over_ms: [], step_back_ms: [] };
  // Three times the other figures' samples: a sample ends at the next frame's
  // callbacks, which come at once or a frame later (the previous step's frame still
  // being painted, or the compositor gone idle), so the samples spread over a frame
  // or more and a median of 7 moved by several ms from run to run of one build
  // (docs/performance.md, "How each key is measured").
  for (let i = 0; i < STEP_REPS; i++) {
    for (const key of Object.keys(steps)) {
      const split = await stepSplit(big, stepNames[key]);
      steps[key].push(split.total);
      splits[key].push(split);
    }
  }
  let worst;
  for (const key of Object.keys(steps)) {
    figure(key, steps[key]);
    results[`${key}_work_range`] = range(splits[key].map((x) => x.work));
    results[`${key}_frame_range`] = range(splits[key].map((x) => x.frame));
    say(`${stepNames[key].toLowerCase()}, 16 GiB (${spread(steps[key])})`, results[key], 'ms', 16);
    console.log(`    of which click to counter changed ${spread(splits[key].map((x) => x.work))}, then to the next frame ${spread(splits[key].map((x) => x.frame))}`);
    if (worst === undefined || results[key] > results[worst]) worst = key;
  }
  // The worst of the three medians; its range is that kind's.
  figure('step_latency_ms', steps[worst]);
  results.step_latency_worst = stepNames[worst];
  await big.close();
}

// The redraws and the step latency on the 16 GiB machine, and the sparse redraw.
async function redrawsAndSteps(context, siteServer) {
  await pageSteps(context, siteServer);
  const sparse = await loadPage(context, siteServer.url + link(SPARSE_256_GIB));
  figure('redraw_64mi_ms', await redraws(sparse, 'pages a pixel'));
  say(`address-space redraw, 256 GiB of address space (${spread(results.redraw_64mi_ms_samples)})`, results.redraw_64mi_ms, 'ms');
  await sparse.close();
}

// The 1 M- and 10 M-operation workloads, after tti_ms (which their figures subtract).
async function longWorkloads(context, siteServer) {
  // A long workload loaded from a link, run to the end: load time minus the
  // default scenario's (median), the wasm memory after it, and the operations the
  // page ran (its notice says how many), so a page that stops the workload at its
  // limit is reported as refused, not timed.
  async function workload(key, text, ops, runs) {
    const loads = [], heaps = [];
    let refused = null;
    for (let i = 0; i < runs && refused === null; i++) {
      const p = await loadPage(context, siteServer.url + link(text));
      const notice = (await p.locator('#notice').textContent().catch(() => '')) ?? '';
      const ran = /(\d[\d,]*) operations/.exec(notice);
      const count = ran ? Number(ran[1].replaceAll(',', '')) : NaN;
      if (/\berror\b/.test((await p.locator('#notice').getAttribute('class').catch(() => '')) ?? '')) {
        refused = `the page refused the workload: ${notice}`;
      } else if (count !== ops) {
        refused = `the page ran ${Number.isNaN(count) ? 'an unknown number of' : count} of the workload's ${ops} operations (notice: "${notice}"): its operation limit (limits::PAGE_OPERATIONS_MAX) is below ${ops}`;
      } else {
        loads.push(await p.evaluate(() => performance.getEntriesByName('buddyscope-interactive')[0]?.startTime ?? NaN));
        heaps.push(await wasmHeap(p));
        if (key === 'workload_1m_ms' && i === 0) {
          const far = [];
          for (let j = 0; j < REPS; j++) far.push(await stepLatency(p, 'Step back'));
          figure('step_back_1m_ms', far);
        }
      }
      await p.close();
    }
    const heapKey = key.replace('_ms', '_heap_bytes');
    if (refused !== null) {
      results[key] = null;
      results[`${key}_refused`] = refused;
      results[heapKey] = null;
      console.log(`${key}: refused: ${refused}`);
      return;
    }
    figure(key, loads.map((x) => x - results.tti_ms));
    results[heapKey] = Math.max(...heaps);
    say(`${ops / 1e6} M-operation workload to the end (${spread(results[`${key}_samples`])})`, results[key], 'ms', key === 'workload_10m_ms' ? 5000 : undefined);
    console.log(`${''.padEnd(4)}wasm memory after it: ${(results[heapKey] / 2 ** 20).toFixed(0)} MiB`);
  }
  await workload('workload_1m_ms', MILLION, 1_000_000, quick ? 1 : 3);
  if (results.step_back_1m_ms !== undefined) say('step back at the end of the 1 M-operation run', results.step_back_1m_ms, 'ms');
  await workload('workload_10m_ms', TEN_MILLION, 10_000_000, quick ? 1 : 3);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
