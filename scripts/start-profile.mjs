// Where the page's start-up goes, with the wasm's function names: a Chromium trace
// (CDP Tracing: devtools.timeline, v8.wasm and the V8 CPU profiler's samples) of a few
// loads of the default scenario, cut at the `buddyscope-interactive` mark. Prints, per
// load, the mark and the DOM's size, then (ms a load, before the mark) each function's
// inclusive and self time and the main thread's trace events. Not a test and not part
// of bench.sh; tracing slows the page about twofold, so read the proportions.
//
// The release wasm has no names (wasm-opt drops them), but wasm-bindgen's output
// keeps the linker's name section, and `wasm-opt -Oz --low-memory-unused` on it (the
// flags index.html gives Trunk) gives exactly Trunk's wasm;
// `-g` keeps the names:
//
//   trunk build --release --locked && rm -rf target/dist-names && cp -r dist target/dist-names
//   node_modules/.bin/wasm-opt -Oz --low-memory-unused -g --output target/dist-names/*.wasm \
//     target/wasm-bindgen/release/buddyscope-web_bg.wasm
//   node scripts/start-profile.mjs target/dist-names 4
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../e2e/server.mjs';
import { launch } from '../e2e/browser.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.argv[2] ?? join(ROOT, 'target', 'dist-names');
const LOADS = Number(process.argv[3] ?? 3);
const server = await serve(dist);
const ctx = await launch();
const inclusive = {}, self = {}, trace = {};
const add = (o, k, v) => { o[k] = (o[k] ?? 0) + v; };
for (let n = 0; n < LOADS; n++) {
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
  const done = new Promise((ok) => cdp.on('Tracing.tracingComplete', ok));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,v8.execute,blink.user_timing,v8.wasm,disabled-by-default-v8.cpu_profiler',
    transferMode: 'ReportEvents',
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 180000 });
  await page.waitForFunction(() => document.getElementById('address-canvas')?.dataset.drawMs !== undefined);
  const tti = await page.evaluate(() => performance.getEntriesByName('buddyscope-interactive')[0].startTime);
  const elements = await page.evaluate(() => document.getElementsByTagName('*').length);
  await cdp.send('Tracing.end');
  await done;
  await page.close();
  // The page's renderer is the process that set the mark; its profile's samples and
  // its main thread's events before the mark are this load's start-up.
  const mark = events.find((e) => e.name === 'buddyscope-interactive');
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && e.pid === mark.pid);
  const nodes = new Map();
  const samples = [];
  let t = 0;
  for (const e of events.filter((e) => e.pid === mark.pid && (e.name === 'Profile' || e.name === 'ProfileChunk'))) {
    if (e.name === 'Profile') { t = e.args.data.startTime; continue; }
    const profile = e.args.data.cpuProfile ?? {};
    for (const node of profile.nodes ?? []) nodes.set(node.id, node);
    (profile.samples ?? []).forEach((id, i) => { t += e.args.data.timeDeltas[i]; samples.push([t, id]); });
  }
  const stack = (id) => {
    const names = [];
    for (let node = nodes.get(id); node; node = nodes.get(node.parent)) names.push(node.callFrame.functionName || '(anonymous)');
    return names;
  };
  for (let i = 0; i + 1 < samples.length; i++) {
    const [ts, id] = samples[i];
    if (ts > mark.ts) break;
    const ms = (samples[i + 1][0] - ts) / 1000;
    const names = stack(id).map((f) => f.replace(/::h[0-9a-f]{16}$/, ''));
    add(self, names[0], ms / LOADS);
    for (const f of new Set(names)) add(inclusive, f, ms / LOADS);
  }
  for (const e of events) {
    if (e.ph === 'X' && e.dur && e.pid === main.pid && e.tid === main.tid && e.ts <= mark.ts) add(trace, e.name, e.dur / 1000 / LOADS);
  }
  console.log(`load ${n + 1}: mark at ${tti.toFixed(1)} ms (traced), ${elements} elements`);
}
const top = (o, k) => Object.entries(o).sort((a, b) => b[1] - a[1]).slice(0, k)
  .map(([name, ms]) => `${ms.toFixed(1).padStart(8)}  ${name.slice(0, 150)}`).join('\n');
console.log('\ninclusive, ms a load before the mark\n' + top(inclusive, 70));
console.log('\nself\n' + top(self, 30));
console.log('\nmain thread trace events\n' + top(trace, 20));
await ctx.close();
await server.close();
process.exit(0);
