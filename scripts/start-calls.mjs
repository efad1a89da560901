// The calls from the page's wasm to JavaScript (wasm-bindgen's imports: every DOM
// operation Yew makes, each with its strings) before the `buddyscope-interactive`
// mark, for one or more builds: a count of start-up work that a loaded machine does
// not move, unlike the timings. Not a test and not part of bench.sh.
//
//   node scripts/start-calls.mjs main=/tmp/dist-main branch=dist
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../e2e/browser.mjs';
import { serve } from '../e2e/server.mjs';

// Wraps every import of the instantiated module in a counter, and keeps the counts
// as they were when the page set its mark.
const COUNT_IMPORTS = `(() => {
  const counts = {};
  let total = 0, atMark = null;
  const wrap = (imports) => {
    for (const module of Object.values(imports ?? {})) {
      for (const [key, f] of Object.entries(module)) {
        if (typeof f !== 'function') continue;
        const name = key.replace(/_[0-9a-f]{16}$/, '');
        module[key] = function (...args) { total++; counts[name] = (counts[name] ?? 0) + 1; return f.apply(this, args); };
      }
    }
  };
  const streaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = (source, imports) => { wrap(imports); return streaming(source, imports); };
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = (source, imports) => { wrap(imports); return instantiate(source, imports); };
  const mark = performance.mark.bind(performance);
  performance.mark = (name, options) => {
    if (name === 'buddyscope-interactive') atMark = { total, counts: { ...counts } };
    return mark(name, options);
  };
  window.__startCalls = () => atMark;
})();`;

const builds = process.argv.slice(2).map((arg) => arg.split('='));
if (builds.length === 0 || builds.some((b) => b.length !== 2)) {
  console.error('usage: node scripts/start-calls.mjs NAME=DIST [NAME=DIST ...]');
  process.exit(1);
}
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const seen = {};
for (const [name, dist] of builds) {
  const server = await serve(dist, '/bench/');
  const page = await browser.newPage();
  await page.addInitScript(COUNT_IMPORTS);
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 180000 });
  seen[name] = await page.evaluate(() => window.__startCalls());
  await page.close();
  await server.close();
}
await browser.close();
const names = builds.map(([name]) => name);
console.log(`calls from the wasm before the mark: ${names.map((n) => `${n} ${seen[n].total}`).join(', ')}`);
const imports = [...new Set(names.flatMap((n) => Object.keys(seen[n].counts)))];
const rows = imports.map((i) => [i, ...names.map((n) => seen[n].counts[i] ?? 0)]).sort((a, b) => b[1] - a[1]);
console.log(names.map((n) => n.padStart(8)).join('') + '  import');
for (const [i, ...c] of rows.slice(0, 15)) console.log(c.map((x) => String(x).padStart(8)).join('') + `  ${i}`);
