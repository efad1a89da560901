// Hostile input end to end: links that are huge, truncated, tampered, decompress to
// gigabytes, boot a terabyte machine or never end, scenarios with script in their
// title and about text, hostile snapshots; the Content-Security-Policy; and the panic
// notice. The page must refuse each input with a message, keep the last good scenario
// running, never run injected script and never build HTML from the input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serve } from './server.mjs';
import { launch, watchErrors } from './browser.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_TITLE = 'Two nodes, and what happens when the local one runs low';

let server;
let context;

before(async () => {
  server = await serve(join(ROOT, 'dist'), '/buddyscope/');
  context = await launch();
});

after(async () => {
  await context?.close();
  await server?.close();
});

async function open(fragment = '') {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server.url + fragment);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 90000 });
  return { page, errors };
}

/** A share fragment holding `text` as percent-encoded plain text (format p1). */
const plainLink = (text) => `#s=p1.${encodeURIComponent(text)}`;
/** A share fragment holding `bytes` raw-deflated and base64url-encoded (format z1). */
const packedLink = (bytes) => `#s=z1.${deflateRawSync(bytes, { level: 9 }).toString('base64url')}`;

const alertText = async (page) => (await page.getByRole('alert').first().textContent()) ?? '';
const title = async (page) => page.locator('#scenario-title').textContent();

/** The page still answers: a step forward moves the step counter. */
async function stillWorks(page) {
  const step = async () => Number((await page.locator('#step-counter').textContent()).match(/step (\d+)/)[1]);
  const before = await step();
  const forward = page.getByRole('button', { name: 'Step forward', exact: true });
  // At the end of a run only a step back moves.
  const button = (await forward.isDisabled()) ? page.getByRole('button', { name: 'Step back', exact: true }) : forward;
  await button.click();
  await page.waitForFunction(
    (b) => Number(document.getElementById('step-counter').textContent.match(/step (\d+)/)[1]) !== b,
    before,
  );
  assert.equal(await page.locator('#panic-notice').count(), 0);
}

test('the Content-Security-Policy is in force: no inline script, no eval', async () => {
  const { page, errors } = await open();
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp, /default-src 'none'/);
  // Two hashes: the early script that compiles the wasm while it downloads, and Trunk's
  // loader (scripts/csp-hashes.mjs).
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/]+=*' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline'[^;]*;\s*style-src 'self'/);
  assert.doesNotMatch(csp.split(';').find((d) => d.includes('script-src')), /'unsafe-inline'|'unsafe-eval'/);
  const injected = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = 1';
    document.head.appendChild(s);
    await new Promise((r) => setTimeout(r, 50));
    let evaluated;
    try {
      evaluated = eval('2 + 2');
    } catch (e) {
      evaluated = e.name;
    }
    return { injected: window.__injected ?? null, evaluated };
  });
  assert.deepEqual(injected, { injected: null, evaluated: 'EvalError' });
  // The only console errors are the refusals just provoked (Chromium reports the
  // inline script; the eval refusal is the EvalError above).
  assert.ok(errors.length >= 1, 'no CSP report');
  assert.ok(errors.every((e) => /Content Security Policy/.test(e)), errors.join('\n'));
  await stillWorks(page);
  await page.close();
});

test('script in the title and about text is shown as text and never runs', async () => {
  const hostileTitle = '<img src=x onerror="window.__pwned=1">"><script>window.__pwned=2</script>';
  const hostileAbout = '<b>bold?</b> <iframe src="javascript:alert(1)"></iframe> &amp; </p><script>window.__pwned=3</script>';
  const text = `version = 1\n[about]\ntitle = '${hostileTitle}'\ntext = '''\n${hostileAbout}\n'''\n[workload]\nscript = "alloc x order=1"\n`;
  const { page, errors } = await open(plainLink(text));
  assert.equal(await title(page), hostileTitle);
  assert.equal((await page.locator('section.about p').textContent()).trim(), hostileAbout);
  const found = await page.evaluate(() => ({
    pwned: window.__pwned ?? null,
    imgs: document.querySelectorAll('img').length,
    iframes: document.querySelectorAll('iframe').length,
    bolds: document.querySelectorAll('section.about b').length,
    scripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
  }));
  // Two inline scripts: the early wasm compile and Trunk's loader.
  assert.deepEqual(found, { pwned: null, imgs: 0, iframes: 0, bolds: 0, scripts: 2 });
  // The embed snippet escapes the title.
  const snippet = await page.locator('#embed-code').inputValue();
  assert.doesNotMatch(snippet, /<img|<script/);
  assert.match(snippet, /title="Buddyscope: &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;&quot;&gt;&lt;script&gt;/);
  assert.deepEqual(errors, []);
  await stillWorks(page);
  await page.close();
});

test('a huge link is refused by length and the default scenario runs', async () => {
  const { page, errors } = await open(plainLink('#'.repeat(70000)));
  assert.match(await alertText(page), /This link could not be opened: .*reads links up to 65536 bytes.*default scenario/);
  assert.equal(await title(page), DEFAULT_TITLE);
  assert.deepEqual(errors, []);
  await stillWorks(page);
  await page.close();
});

test('a truncated link and a tampered one are refused with a reason', async () => {
  const scenario = await readFile(join(ROOT, 'engine/library/oom.toml'));
  const good = packedLink(scenario);
  const cut = good.slice(0, Math.floor(good.length / 2));
  const { page, errors } = await open(cut);
  assert.match(await alertText(page), /This link could not be opened: .*(cut short|changed)/);
  assert.equal(await title(page), DEFAULT_TITLE);
  for (const [fragment, reason] of [
    ['#s=z9.AAAA', /format `z9` is not one this Buddyscope knows/],
    ['#s=p1.%FF%FE', /not valid UTF-8/],
    ['#s=p1.version%20%3D%2099', /version/],
    [plainLink('version = 1\n[machine]\nbogus = 1\n'), /bogus/],
  ]) {
    await page.evaluate((f) => { location.hash = f; }, fragment);
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]');
    assert.match(await alertText(page), reason, fragment);
    assert.equal(await title(page), DEFAULT_TITLE);
  }
  assert.deepEqual(errors, []);
  await stillWorks(page);
  await page.close();
});

test('a deflate bomb stops at 1 MiB', async () => {
  const bomb = packedLink(Buffer.alloc(32 << 20, ' '));
  assert.ok(bomb.length < 65536, `${bomb.length} bytes`);
  const { page, errors } = await open(bomb);
  assert.match(await alertText(page), /larger than 1 MiB when decompressed/);
  assert.deepEqual(errors, []);
  await stillWorks(page);
  await page.close();
});

test('a terabyte machine and an endless workload are refused, quickly', async () => {
  const machines = [
    ['[[machine.nodes]]\nmemory = ["20T@0x100000000"]\ncpus = "0"\n', /16 TiB of address space/],
    ['[machine]\nsection_size_bits = 22\n[[machine.nodes]]\nmemory = ["60T@0x100000000"]\ncpus = "0"\n', /sections of 2\^22 bytes; at most 524288/],
    [
      Array.from({ length: 600 }, (_, i) => `[[machine.nodes]]\nmemory = ["64M@${(i * 64 + 16) * 2 ** 20}"]\ncpus = "${i * 12}-${i * 12 + 11}"\n`).join(''),
      /per-cpu pagesets; the model keeps at most 65536/,
    ],
    ["[workload]\nscript = '''\nrepeat 10000000 {\n  repeat 10000000 {\n    cpu 0\n  }\n}\n'''\n", /more than 50000000 statements/],
    ["[workload]\nscript = '''\ngenerate atomic bursts=10000 size=100000\n'''\n", /bursts` × `size` is 1000000000/],
  ];
  const { page, errors } = await open();
  for (const [body, reason] of machines) {
    const started = Date.now();
    await page.evaluate((f) => { location.hash = f; }, packedLink(Buffer.from(`version = 1\n${body}`)));
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]', { timeout: 90000 });
    assert.match(await alertText(page), reason);
    assert.ok(Date.now() - started < 60000, `took ${Date.now() - started} ms`);
    assert.equal(await title(page), DEFAULT_TITLE);
  }
  assert.deepEqual(errors, []);
  await stillWorks(page);
  await page.close();
});

test('hostile snapshots are refused beside the import box', async () => {
  const { page, errors } = await open();
  const real = await readFile(join(ROOT, 'engine/tests/data/oracle/c-2node-1G-1G/machine.snapshot'), 'utf8');
  const cases = [
    // A 60 TiB node in the memory map (the memory map alone: the zoneinfo and the
    // `Memory:` line would contradict it first, and those checks have their own tests).
    [real.split('\n').filter((line) => /Early memory node ranges|node +\d+: \[mem/.test(line)).join('\n').replace('node   1: [mem 0x0000000040000000-0x000000007ffdffff]', 'node   1: [mem 0x0000000040000000-0x00003c007ffdffff]'), /16 TiB of address space/],
    // Markup and control characters in place of the zoneinfo.
    ['==> /proc/zoneinfo <==\n<script>window.__pwned=1</script>\u0000\u0007\n', /no `dmesg` section/],
    // Every section header and nothing else.
    ['==> dmesg <==\n==> /proc/zoneinfo <==\n==> /proc/buddyinfo <==\n==> /proc/cmdline <==\n', /no "Early memory node ranges" lines/],
  ];
  for (const [text, reason] of cases) {
    await page.getByLabel('Machine snapshot').fill(text);
    await page.getByRole('button', { name: 'Import machine' }).click();
    await page.locator('#import-error').waitFor();
    assert.match(await page.locator('#import-error').textContent(), reason);
    assert.equal(await title(page), DEFAULT_TITLE);
  }
  // Over 16 MiB, uploaded as a file.
  await page.getByLabel('Upload a snapshot file').setInputFiles({
    name: 'huge.snapshot',
    mimeType: 'text/plain',
    buffer: Buffer.alloc(17 << 20, 'x'),
  });
  await page.getByRole('button', { name: 'Import machine' }).click();
  await page.waitForFunction(() => /16 MiB/.test(document.getElementById('import-error')?.textContent ?? ''), null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => window.__pwned ?? null), null);
  assert.deepEqual(errors, []);
  await stillWorks(page);
  await page.close();
});

test('a panic shows a readable notice instead of a dead page', async () => {
  const { page, errors } = await open();
  await page.evaluate(() => {
    try {
      window.wasmBindings.panic_for_test('test panic with <b>markup</b>');
    } catch {
      // The wasm traps after the hook has run.
    }
  });
  const notice = page.locator('#panic-notice');
  await notice.waitFor();
  assert.equal(await notice.getAttribute('role'), 'alert');
  assert.match(await notice.locator('h2').textContent(), /Buddyscope stopped/);
  assert.match(await page.locator('#panic-message').textContent(), /^test panic with <b>markup<\/b> \(at web\/src\/panic\.rs:\d+\)$/);
  assert.equal(await notice.locator('b').count(), 0);
  assert.equal(await page.locator('body').getAttribute('data-panicked'), '1');
  const reload = notice.getByRole('link', { name: 'Reload with the default scenario' });
  assert.equal(await reload.getAttribute('href'), '/buddyscope/');
  // The console has the message.
  assert.ok(errors.some((e) => /Buddyscope panicked: test panic with <b>markup<\/b>/.test(e)), errors.join('\n'));
  await reload.click();
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal(await page.locator('#panic-notice').count(), 0);
  await stillWorks(page);
  await page.close();
});
