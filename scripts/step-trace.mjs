// Where a step's time goes in the page: a Chromium trace (CDP Tracing, the
// devtools.timeline categories) of 15 steps forward and back from step 100 of the
// 16 GiB machine, summed by trace event and divided by the steps. Not a test and not
// part of bench.sh: run `trunk build --release`, then `node scripts/step-trace.mjs`.
// Tracing slows the page, so the sums are larger than the latencies bench.sh reports;
// their proportions are what docs/performance.md uses.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../e2e/server.mjs';
import { launch } from '../e2e/browser.mjs';
import { SIXTEEN_GIB, stepLatency } from '../e2e/measure.mjs';
const server = await serve(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'));
const ctx = await launch();
const page = await ctx.newPage();
await page.goto(`${server.url}#s=p1.${encodeURIComponent(SIXTEEN_GIB)}&step=100`);
await page.waitForSelector('body[data-ready="1"]', { timeout: 180000 });
await page.waitForFunction(() => document.getElementById('address-canvas')?.dataset.drawMs !== undefined);
for (let i = 0; i < 3; i++) await stepLatency(page, 'Step forward');
const cdp = await ctx.newCDPSession(page);
const events = [];
cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
const done = new Promise((ok) => cdp.on('Tracing.tracingComplete', ok));
await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8.execute,blink,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
const lat = [];
for (let i = 0; i < 15; i++) { lat.push(await stepLatency(page, i % 2 ? 'Step back' : 'Step forward')); }
await cdp.send('Tracing.end');
await done;
console.log('latencies', lat.map((x) => x.toFixed(1)).join(' '));
const sums = {};
for (const e of events) {
  if (e.ph !== 'X' || !e.dur) continue;
  sums[e.name] = (sums[e.name] || 0) + e.dur / 1000;
}
const top = Object.entries(sums).sort((a, b) => b[1] - a[1]).slice(0, 25);
for (const [n, ms] of top) console.log(`${(ms / 15).toFixed(2).padStart(8)} ms/step  ${n}`);
await ctx.close(); server.close?.();
process.exit(0);
