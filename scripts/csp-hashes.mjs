// Trunk post-build hook (Trunk.toml), two rewrites of the built index.html:
//
// 1. The early compile. Trunk's module loader starts the wasm only when it runs, after
//    the stylesheet, the JS glue and the HTML parse: by then the wasm has downloaded
//    and V8 compiles all of it after the download. A classic inline script right
//    after the Content-Security-Policy starts the fetch and
//    `WebAssembly.compileStreaming` at once, so the wasm compiles while it downloads;
//    the loader's `init()` gets that promise of a `WebAssembly.Module` and only
//    instantiates it. Trunk's `<link rel=preload as=fetch>` of the wasm goes (the early
//    fetch replaces it: the wasm is fetched once). A response that is not an `ok`
//    `application/wasm` one (a server with the wrong MIME type, an error page) is handed
//    to `init()` as it is, which does what it always did with it (wasm-bindgen's
//    warning and `arrayBuffer` fallback, or its error). Trunk's loader text must be
//    exactly what the rewrite expects, or the build fails.
// 2. The hashes. Puts the SHA-256 of every inline <script> (the early script and
//    Trunk's loader) into the Content-Security-Policy, replacing the placeholder
//    'sha256-TRUNK-INLINE-SCRIPTS' of index.html. Both name the hashed file names, so
//    their hashes change with every build; a hash (not 'unsafe-inline') keeps every
//    other inline script, including injected ones, blocked.
//
// Fails the build if anything is off.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PLACEHOLDER = "'sha256-TRUNK-INLINE-SCRIPTS'";
const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('csp-hashes: TRUNK_STAGING_DIR is not set (run me as a Trunk post_build hook)');
  process.exit(1);
}
const path = join(dir, 'index.html');
const fail = (why) => {
  console.error(`csp-hashes: ${path}: ${why}`);
  process.exit(1);
};

/** The one match of `pattern` (a global regular expression) in `text`, or the build fails. */
function one(text, pattern, what) {
  const found = [...text.matchAll(pattern)];
  if (found.length !== 1) {
    fail(`expected one ${what}, found ${found.length}: did Trunk change how it loads the wasm?`);
  }
  return found[0];
}

let html = await readFile(path, 'utf8');
if (!html.includes(PLACEHOLDER)) fail(`no ${PLACEHOLDER} in its Content-Security-Policy`);

// 1. The early compile.
const call = one(
  html,
  /const wasm = await init\(\{ module_or_path: '(\.\/[\w-]+_bg\.wasm)' \}\);/g,
  "loader call `await init({ module_or_path: './NAME_bg.wasm' })`",
);
const wasm = call[1];
const preload = one(
  html,
  /<link rel="preload" href="([^"]*)"[^>]* as="fetch" type="application\/wasm">/g,
  '<link rel="preload" as="fetch" type="application/wasm">',
);
if (preload[1] !== wasm) fail(`the preload (${preload[1]}) is not the loader's wasm (${wasm})`);
const meta = one(html, /<meta http-equiv="Content-Security-Policy" [^>]*\/>\n/g, 'Content-Security-Policy <meta>');
const early =
  `    <script>window.buddyscopeWasm = fetch('${wasm}').then((r) => (r.ok && ` +
  `r.headers.get('content-type') === 'application/wasm' ? WebAssembly.compileStreaming(r) : r));</script>\n`;
html = html
  .replace(call[0], 'const wasm = await init({ module_or_path: window.buddyscopeWasm });')
  .replace(preload[0], '')
  .replace(meta[0], meta[0] + early);

// 2. The hashes.
const hashes = [];
for (const [, attributes, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
  if (/\bsrc\s*=/.test(attributes)) continue;
  hashes.push(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
}
// The early script and Trunk's loader; `trunk serve` adds its auto-reload script.
if (hashes.length < 2) fail(`${hashes.length} inline script(s), not the early script and Trunk's loader`);
await writeFile(path, html.replace(PLACEHOLDER, hashes.join(' ')));
console.log(`csp-hashes: the early wasm compile, and ${hashes.length} inline script hashes in the Content-Security-Policy`);
