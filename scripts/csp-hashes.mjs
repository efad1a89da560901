// Trunk post-build hook (Trunk.toml): puts the SHA-256 of every inline <script> Trunk
// wrote into the built index.html (its module loader that imports the wasm-bindgen glue
// and starts the wasm) into the Content-Security-Policy, replacing the placeholder
// 'sha256-TRUNK-INLINE-SCRIPTS' of index.html. The loader names the hashed file names,
// so its hash changes with every build; a hash (not 'unsafe-inline') keeps every other
// inline script, including injected ones, blocked. Fails the build if anything is off.
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
const html = await readFile(path, 'utf8');
if (!html.includes(PLACEHOLDER)) {
  console.error(`csp-hashes: ${path} has no ${PLACEHOLDER} in its Content-Security-Policy`);
  process.exit(1);
}
const hashes = [];
for (const [, attributes, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
  if (/\bsrc\s*=/.test(attributes)) continue;
  hashes.push(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
}
if (hashes.length === 0) {
  console.error(`csp-hashes: no inline script in ${path}: did Trunk change how it loads the wasm?`);
  process.exit(1);
}
await writeFile(path, html.replace(PLACEHOLDER, hashes.join(' ')));
console.log(`csp-hashes: ${hashes.length} inline script hash(es) in the Content-Security-Policy`);
