// How the page starts its wasm (scripts/csp-hashes.mjs writes it into the built
// index.html): an inline script right after the Content-Security-Policy fetches the
// wasm and compiles it while it downloads; Trunk's loader only instantiates the
// compiled module. The wasm is fetched once, and a host that sends it with the wrong
// content type still gets a working page (wasm-bindgen's fallback, with its warning).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from './server.mjs';
import { launch } from './browser.mjs';
import { ROOT } from './harness.mjs';

let context;

before(async () => {
  context = await launch();
});

after(async () => {
  await context?.close();
});

/** Opens the page from a server of its own; what the console said, and what was asked for. */
async function start(types = {}) {
  const server = await serve(join(ROOT, 'dist'), '/start/', { types });
  const page = await context.newPage();
  const messages = [];
  page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => messages.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => messages.push(`request failed: ${r.url()}`));
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  // A step forward moves the step counter: the engine answers.
  const step = async () => Number((await page.locator('#step-counter').textContent()).match(/step (\d+)/)[1]);
  const before = await step();
  await page.getByRole('button', { name: 'Step forward', exact: true }).click();
  await page.waitForFunction((b) => Number(document.getElementById('step-counter').textContent.match(/step (\d+)/)[1]) !== b, before);
  const wasms = server.requests().filter((p) => p.endsWith('.wasm'));
  const entries = await page.evaluate(() =>
    performance.getEntriesByType('resource').filter((r) => r.name.endsWith('.wasm')).map((r) => r.initiatorType),
  );
  const early = await page.evaluate(async () => {
    const compiled = await window.buddyscopeWasm;
    return compiled instanceof WebAssembly.Module ? 'module' : compiled instanceof Response ? `response ${compiled.headers.get('content-type')}` : String(compiled);
  });
  await page.close();
  await server.close();
  return { messages, wasms, entries, early };
}

test('the wasm is fetched once, by the early script, compiled while it downloads, with nothing in the console', async () => {
  const { messages, wasms, entries, early } = await start();
  assert.equal(wasms.length, 1, wasms.join('\n'));
  assert.match(wasms[0], /^\/start\/buddyscope-web-[0-9a-f]+_bg\.wasm$/);
  assert.deepEqual(entries, ['fetch']);
  assert.equal(early, 'module');
  // Not even a warning (Trunk's preload of the wasm, now gone, logged one about its
  // integrity attribute).
  assert.deepEqual(messages, []);
});

test('a host that sends the wasm with the wrong content type still gets a working page, and one fetch', async () => {
  const { messages, wasms, entries, early } = await start({ '.wasm': 'application/octet-stream' });
  assert.equal(wasms.length, 1, wasms.join('\n'));
  assert.deepEqual(entries, ['fetch']);
  // The early script hands the response to wasm-bindgen's init(), which warns and
  // compiles from the bytes.
  assert.equal(early, 'response application/octet-stream');
  assert.equal(messages.length, 1, messages.join('\n'));
  assert.match(messages[0], /^warning: `WebAssembly\.instantiateStreaming` failed because your server does not serve Wasm with `application\/wasm` MIME type/);
});

test('the build hook fails loudly on a loader it does not know', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'buddyscope-hook-'));
  const meta = `<meta http-equiv="Content-Security-Policy" content="script-src 'self' 'sha256-TRUNK-INLINE-SCRIPTS'" />\n`;
  const loader = (call) => `<script type="module">\nimport init, * as bindings from './x.js';\n${call}\n</script>`;
  const preload = '<link rel="preload" href="./x_bg.wasm" crossorigin="anonymous" as="fetch" type="application/wasm">';
  const run = async (html) => {
    await writeFile(join(dir, 'index.html'), html);
    return spawnSync('node', [join(ROOT, 'scripts/csp-hashes.mjs')], { env: { ...process.env, TRUNK_STAGING_DIR: dir }, encoding: 'utf8' });
  };
  const good = `<head>${meta}${loader("const wasm = await init({ module_or_path: './x_bg.wasm' });")}${preload}</head>`;
  const ok = await run(good);
  assert.equal(ok.status, 0, ok.stderr);
  for (const bad of [
    good.replace("init({ module_or_path: './x_bg.wasm' })", "init('./x_bg.wasm')"),
    good.replace(preload, ''),
    good.replace(preload, preload.replace('x_bg', 'y_bg')),
  ]) {
    const refused = await run(bad);
    assert.equal(refused.status, 1, bad);
    assert.match(refused.stderr, /^csp-hashes: /);
  }
  await rm(dir, { recursive: true });
});
