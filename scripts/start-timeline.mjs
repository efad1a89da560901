// Where a load of the default scenario spends its time before the
// `buddyscope-interactive` mark, split at the browser's points: the HTML's response,
// the document made (the first moment an init script runs), the wasm's request and
// download (Resource Timing), `WebAssembly.compileStreaming` called and resolved, the
// module instantiated, and the mark. Loads as scripts/bench.mjs does (one browser
// profile, a new tab a load), so the first load is the cold one. Prints each point's
// loads and median, in ms from the navigation's start. Not a test and not part of
// bench.sh (docs/performance.md, "a quiet host's start-up").
//
//   trunk build --release --locked && node scripts/start-timeline.mjs dist 9
import { serve } from '../e2e/server.mjs';
import { launch } from '../e2e/browser.mjs';

const [dist, loads = '9'] = process.argv.slice(2);
const count = Number(loads);
if (!dist || !(count > 0)) {
  console.error('usage: node scripts/start-timeline.mjs DIST [LOADS]');
  process.exit(1);
}

// Runs before the page's own scripts: the document's first moment, and the two
// WebAssembly calls the page's start makes, timed where they resolve.
const TIME_START = `(() => {
  window.__start = { documentMade: performance.now() };
  const compile = WebAssembly.compileStreaming;
  WebAssembly.compileStreaming = (...args) => {
    window.__start.compileCalled = performance.now();
    return compile(...args).then((m) => { window.__start.compiled = performance.now(); return m; });
  };
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = (...args) =>
    instantiate(...args).then((r) => { window.__start.instantiated = performance.now(); return r; });
})();`;

const POINTS = [
  ['htmlEnd', "the HTML's response ends"],
  ['documentMade', 'the document is made'],
  ['wasmRequest', "the wasm's request is sent"],
  ['compileCalled', 'compileStreaming called (its headers)'],
  ['wasmEnd', "the wasm's download ends"],
  ['compiled', 'the module compiled'],
  ['instantiated', 'instantiated'],
  ['mark', 'buddyscope-interactive'],
];

const server = await serve(dist, '/timeline/');
const context = await launch();
const rows = [];
for (let i = 0; i < count; i++) {
  const page = await context.newPage();
  await page.addInitScript(TIME_START);
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 180000 });
  rows.push(await page.evaluate(() => {
    const navigation = performance.getEntriesByType('navigation')[0];
    const wasm = performance.getEntriesByType('resource').find((r) => r.name.endsWith('.wasm'));
    return {
      htmlEnd: navigation.responseEnd,
      wasmRequest: wasm?.requestStart ?? NaN,
      wasmEnd: wasm?.responseEnd ?? NaN,
      ...window.__start,
      mark: performance.getEntriesByName('buddyscope-interactive')[0]?.startTime ?? NaN,
    };
  }));
  await page.close();
}
await context.close();
await server.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [key, label] of POINTS) {
  const values = rows.map((r) => r[key] ?? NaN);
  console.log(`${label.padEnd(40)} median ${median(values).toFixed(1).padStart(6)}   ${values.map((v) => v.toFixed(1)).join(' ')}`);
}
