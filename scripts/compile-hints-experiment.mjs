// The WebAssembly compilation-hints experiment of issue 18 (docs/performance.md,
// branch tti21): does Chromium compile functions marked in a
// `metadata.code.compilation_priority` custom section eagerly, off the main thread,
// instead of lazily at their first call? Not part of the build: Chromium 156 reads the
// section only with `--js-flags=--wasm-compilation-hints` (off by default).
//
//   node scripts/compile-hints-experiment.mjs lazy DIST [JSFLAGS] > list.txt
//       one default load traced: each function V8 compiled lazily before the mark
//       ("index thread-µs"), and on stderr their count
//   node scripts/compile-hints-experiment.mjs inject DIST all|list.txt
//       adds the section (priority 0 for those functions) before the code section
//       of DIST's wasm, in place, and the wasm's new sha384 to DIST/index.html
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../e2e/browser.mjs';
import { serve } from '../e2e/server.mjs';

const [mode, dist, arg] = process.argv.slice(2);
const wasmName = readdirSync(dist).find((f) => f.endsWith('.wasm'));

function leb(bytes, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}
function uleb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

if (mode === 'lazy') {
  const server = await serve(dist, '/bench/');
  const args = ['--no-sandbox', '--disable-gpu'];
  if (arg) args.push(`--js-flags=${arg}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  const page = await browser.newPage();
  await browser.startTracing(page, { categories: ['v8.wasm', 'disabled-by-default-v8.wasm.detailed', 'blink.user_timing'] });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 180000 });
  const events = JSON.parse((await browser.stopTracing()).toString()).traceEvents;
  const mark = events.find((e) => e.name === 'buddyscope-interactive');
  const lazy = events.filter((e) => e.name === 'wasm.CompileLazy' && e.ts < mark.ts);
  const eager = events.filter((e) => e.name === 'wasm.CompileBaseline').length;
  console.error(`${lazy.length} functions compiled lazily before the mark (${(lazy.reduce((s, e) => s + (e.tdur ?? 0), 0) / 1000).toFixed(1)} ms of thread time), ${eager} baseline compilations in all`);
  console.log(lazy.map((e) => `${e.args.func_index} ${e.tdur ?? 0}`).join('\n'));
  await browser.close();
  await server.close();
} else if (mode === 'inject') {
  const wasm = readFileSync(join(dist, wasmName));
  // Count the imported functions (they come first in the index space) and find the
  // function and code sections.
  let at = 8, imported = 0, defined = 0, code = -1;
  while (at < wasm.length) {
    const id = wasm[at], start = at;
    let size;
    [size, at] = leb(wasm, at + 1);
    const body = at;
    if (id === 2) {
      let p = body, n, len;
      [n, p] = leb(wasm, p);
      for (let i = 0; i < n; i++) {
        [len, p] = leb(wasm, p); p += len;
        [len, p] = leb(wasm, p); p += len;
        const kind = wasm[p++];
        if (kind === 0) { imported++; [, p] = leb(wasm, p); }
        else if (kind === 1) { p++; const flags = wasm[p++]; [, p] = leb(wasm, p); if (flags & 1) [, p] = leb(wasm, p); }
        else if (kind === 2) { const flags = wasm[p++]; [, p] = leb(wasm, p); if (flags & 1) [, p] = leb(wasm, p); }
        else if (kind === 3) p += 2;
        else throw new Error(`import kind ${kind}`);
      }
    }
    if (id === 3) [defined] = leb(wasm, body);
    if (id === 10) { code = start; break; }
    at = body + size;
  }
  const functions = arg === 'all'
    ? Array.from({ length: defined }, (_, i) => imported + i)
    : [...new Set(readFileSync(arg, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0])))].sort((a, b) => a - b);
  // Per function: its index, the hint's offset 0 (the function itself), the hint's
  // length 1 and compilation priority 0 (the highest), V8's reading of the section.
  const name = Buffer.from('metadata.code.compilation_priority');
  const content = [...uleb(name.length), ...name, ...uleb(functions.length)];
  for (const f of functions) content.push(...uleb(f), 0, 1, 0);
  const section = Buffer.from([0, ...uleb(content.length), ...content]);
  const out = Buffer.concat([wasm.subarray(0, code), section, wasm.subarray(code)]);
  writeFileSync(join(dist, wasmName), out);
  const sri = `sha384-${createHash('sha384').update(out).digest('base64')}`;
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  writeFileSync(join(dist, 'index.html'), html.replace(/(_bg\.wasm" crossorigin="anonymous" integrity=")[^"]*"/, `$1${sri}"`));
  console.log(`${functions.length} of ${defined} functions hinted, ${section.length} bytes of section`);
} else {
  console.error('usage: node scripts/compile-hints-experiment.mjs lazy DIST [JSFLAGS] | inject DIST all|LIST');
  process.exit(1);
}
