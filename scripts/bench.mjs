// The browser half of scripts/bench.sh: the engine workloads compiled to wasm and
// timed in headless Chromium (the same sequences the native harness times), and the
// page itself: time to interactive, address-space redraw at 4 Mi and 64 Mi pages,
// step latency, a 1 M-operation workload, the gzipped wasm. Writes
// target/bench/browser.json. Medians; `--quick` takes fewer samples.
import { mkdir, readdir, readFile, writeFile, cp } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serve } from '../e2e/server.mjs';
import { launch } from '../e2e/browser.mjs';
import { SIXTEEN_GIB, drawMs, stepLatency } from '../e2e/measure.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'target', 'bench');
const quick = process.argv.includes('--quick');
// `--engine-only`: just the wasm engine workloads (for profiling; browser.json is not written).
const REPS = quick ? 3 : 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};

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
const MILLION = `version = 1
[machine]
thp = "never"
[[machine.nodes]]
memory = ["0x1000000-0x40ffffff"]
cpus = "0-1"
[workload]
seed = 1
script = "generate steady ops=1000000 max_order=3 fill=40"
`;

async function loadPage(context, url, timeout = 180000) {
  const page = await context.newPage();
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
  return median(fit);
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
</script>`;

async function main() {
  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, 'bench.html'), BENCH_HTML);
  const engineServer = await serve(OUT, '/');
  const siteServer = await serve(join(ROOT, 'dist'), '/bench/');
  const context = await launch();
  try {
    // 1. The engine in wasm.
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
      if (w === 0) results.wasm_pcp_ns_per_op = (off * 1e6) / OPS;
    }
    await page.close();
    if (process.argv.includes('--engine-only')) return;

    // 2. The page.
    console.log('\nThe page (release build, headless Chromium), median');
    const tti = [];
    for (let i = 0; i < REPS; i++) {
      const p = await loadPage(context, siteServer.url);
      tti.push(await p.evaluate(() => performance.getEntriesByName('buddyscope-interactive')[0]?.startTime ?? NaN));
      await p.close();
    }
    results.tti_ms = median(tti);
    say('time to interactive, default scenario', results.tti_ms, 'ms');

    const big = await loadPage(context, siteServer.url + link(SIXTEEN_GIB, 100));
    results.redraw_4mi_ms = await redraws(big, '^8 pages a pixel');
    say('address-space redraw, 16 GiB (4 Mi pages)', results.redraw_4mi_ms, 'ms', 16);
    const into = [], over = [], back = [];
    for (let i = 0; i < REPS; i++) {
      into.push(await stepLatency(big, 'Step forward'));
      over.push(await stepLatency(big, 'Step over'));
      back.push(await stepLatency(big, 'Step back'));
    }
    results.step_latency_ms = Math.max(median(into), median(over), median(back));
    say('step forward, 16 GiB', median(into), 'ms', 50);
    say('step over, 16 GiB', median(over), 'ms', 50);
    say('step back, 16 GiB', median(back), 'ms', 50);
    await big.close();

    const sparse = await loadPage(context, siteServer.url + link(SPARSE_256_GIB));
    results.redraw_64mi_ms = await redraws(sparse, 'pages a pixel');
    say('address-space redraw, 256 GiB of address space (64 Mi pages)', results.redraw_64mi_ms, 'ms');
    await sparse.close();

    const million = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      const p = await loadPage(context, siteServer.url + link(MILLION));
      const counter = await p.locator('#step-counter').textContent();
      if (!/of \d+/.test(counter)) throw new Error(`the 1 M workload did not load: ${counter}`);
      million.push(await p.evaluate(() => performance.getEntriesByName('buddyscope-interactive')[0]?.startTime ?? NaN));
      const far = [];
      for (let j = 0; j < REPS; j++) far.push(await stepLatency(p, 'Step back'));
      results.step_back_1m_ms = median(far);
      await p.close();
    }
    results.workload_1m_ms = median(million) - results.tti_ms;
    say('1 M-operation workload run to the end (load minus default load)', results.workload_1m_ms, 'ms', 2000);
    say('step back at the end of the 1 M-operation run', results.step_back_1m_ms, 'ms', 50);

    const wasm = (await readdir(join(ROOT, 'dist'))).find((f) => f.endsWith('.wasm'));
    const bytes = await readFile(join(ROOT, 'dist', wasm));
    results.wasm_bytes = bytes.length;
    results.wasm_gz_bytes = gzipSync(bytes, { level: 9 }).length;
    say('page wasm, gzipped', results.wasm_gz_bytes, 'bytes', 600000);
  } finally {
    await context.close();
    await engineServer.close();
    await siteServer.close();
  }
  if (process.argv.includes('--engine-only')) return;
  await writeFile(join(OUT, 'browser.json'), JSON.stringify(results, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
