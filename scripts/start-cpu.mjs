// Builds' start-up compared load by load, interleaved: for each load of the default
// scenario, the `buddyscope-interactive` mark, the renderer main thread's CPU time
// (trace thread time of its top-level tasks) up to the mark, and V8's lazy
// compilations of wasm functions before it. On a shared machine the thread time moves
// less than the wall-clock mark. A build may take V8 flags after a comma. Not a test
// and not part of bench.sh.
//
//   node scripts/start-cpu.mjs 11 main=/tmp/dist-main branch=dist hinted=/tmp/x,--wasm-compilation-hints
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../e2e/browser.mjs';
import { serve } from '../e2e/server.mjs';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const rounds = Number(process.argv[2]);
const specs = process.argv.slice(3);
if (!(rounds > 0) || specs.length === 0) {
  console.error('usage: node scripts/start-cpu.mjs ROUNDS NAME=DIST[,V8FLAGS] ...');
  process.exit(1);
}
const builds = [];
for (const spec of specs) {
  const [name, rest] = spec.split('=');
  const [dist, ...flags] = rest.split(',');
  const args = flags.length ? [...ARGS, `--js-flags=${flags.join(' ')}`] : ARGS;
  builds.push({
    name,
    server: await serve(dist, '/bench/'),
    browser: await chromium.launch({ executablePath: CHROMIUM, headless: true, args }),
    mark: [], cpu: [], lazy: [], lazyCpu: [],
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (let r = 0; r < rounds; r++) {
  for (const b of builds) {
    const page = await b.browser.newPage();
    await b.browser.startTracing(page, { categories: ['toplevel', 'v8.wasm', 'blink.user_timing'] });
    await page.goto(b.server.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 180000 });
    b.mark.push(await page.evaluate(() => performance.getEntriesByName('buddyscope-interactive')[0].startTime));
    const events = JSON.parse((await b.browser.stopTracing()).toString()).traceEvents;
    const mark = events.find((e) => e.name === 'buddyscope-interactive');
    const lazy = events.filter((e) => e.name === 'wasm.CompileLazy' && e.ts < mark.ts);
    const tasks = events.filter((e) => e.pid === mark.pid && e.tid === mark.tid && e.ph === 'X' && e.cat.includes('toplevel') && e.ts <= mark.ts);
    b.cpu.push(tasks.reduce((sum, e) => sum + (e.tdur ?? 0), 0) / 1000);
    b.lazy.push(lazy.length);
    b.lazyCpu.push(lazy.reduce((sum, e) => sum + (e.tdur ?? 0), 0) / 1000);
    await page.close();
  }
}
for (const b of builds) {
  console.log(`${b.name}: main-thread CPU to the mark ${median(b.cpu).toFixed(1)} ms median (min ${Math.min(...b.cpu).toFixed(1)}), ` +
    `mark ${median(b.mark).toFixed(0)} ms, ${median(b.lazy)} lazy compilations taking ${median(b.lazyCpu).toFixed(1)} ms of it`);
  await b.browser.close();
  await b.server.close();
}
