// A real kmem trace replayed from the import panel: the gzipped boot trace
// (engine/tests/data/traces/boot-early.trace.gz) dropped on the panel and followed
// (every block at its traced pfn). The summary's agreement figure must be the one
// `buddyscope import-trace --follow` prints for the same trace and machine (run in
// the setup below), and a placement's step must say what the command's scenario
// places there and whether the model would have picked it. Screenshots of the panel
// and of the step at 1440x900 and 1024x768 land in test-results/.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { playground, ROOT } from './harness.mjs';

const { open, shot } = playground('/');

const TRACE = join(ROOT, 'engine/tests/data/traces/boot-early.trace.gz');

/** What the command line makes of the trace: its stderr summary and its scenario. */
let cli;
before(() => {
  const run = (args) =>
    execFileSync('cargo', ['run', '--release', '--quiet', '--bin', 'buddyscope', '--', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  // execFileSync gives stdout; the summary lines are also the scenario's `# ` comments.
  const scenario = run(['import-trace', '--follow', TRACE]);
  const summary = scenario
    .split('\n')
    .filter((line) => line.startsWith('# '))
    .map((line) => line.slice(2));
  cli = { scenario, summary };
});

/** Drops files (name, bytes) on the import panel as a user's drag and drop does. */
async function drop(page, files) {
  const payload = files.map(([name, bytes]) => [name, Buffer.from(bytes).toString('base64')]);
  await page.evaluate((files) => {
    const data = new DataTransfer();
    for (const [name, base64] of files) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], name));
    }
    const zone = document.querySelector('.import .dropzone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, payload);
}

/** Scrolls an element to just below the sticky controls. */
async function scrollTo(page, selector) {
  await page.evaluate((selector) => {
    const top = document.querySelector(selector).getBoundingClientRect().top + window.scrollY;
    const bar = document.querySelector('.controls')?.getBoundingClientRect().height ?? 0;
    window.scrollTo(0, top - bar - 10);
  }, selector);
}

test('a dropped gzipped kmem trace is followed, with the agreement figure of import-trace --follow', async () => {
  const agreement = cli.summary.find((line) => line.startsWith('agreement '));
  assert.ok(agreement, cli.summary.join('\n'));
  // The command names the first allocations where the model chose otherwise.
  const differences = (agreement.match(/first differences at lines ([\d, ]+)/)?.[1] ?? '')
    .split(', ')
    .map(Number);

  const { page, errors } = await open();
  await page.setViewportSize({ width: 1440, height: 900 });
  const panel = page.locator('#import');
  const gz = await readFile(TRACE);
  await drop(page, [['boot-early.trace.gz', gz]]);
  await panel.locator('#trace-replay').waitFor();
  assert.match(await panel.locator('#trace-replay legend').textContent(), /boot-early\.trace\.gz is a kmem trace/);
  // A trace is replayed, not imported as a machine.
  assert.equal(await panel.getByRole('button', { name: 'Import machine' }).count(), 0);
  await page.locator('#trace-follow').check();
  assert.equal(await page.locator('#trace-machine').inputValue(), 'sized');
  await scrollTo(page, '#trace-replay');
  await page.screenshot({ path: join(ROOT, 'test-results', 'trace-choice-1440x900.png') });
  const started = Date.now();
  await page.locator('#trace-replay-button').click();
  await page.locator('#trace-agreement').waitFor({ timeout: 120000 });
  // The page's time to import, replay and draw the followed trace (reported, not asserted).
  console.log(`followed boot trace replayed in the page in ${Date.now() - started} ms`);

  // The same figure as the command's, for the same trace on the same (sized) machine.
  assert.equal(await page.locator('#trace-agreement').textContent(), agreement);
  const counts = await page.locator('#trace-summary li').allTextContents();
  for (const wanted of [/^boot-early\.trace\.gz: \d+ operations: \d+ allocations/, /^pre-trace blocks held from the start /, /^traced blocks not free in the model /]) {
    const line = counts.find((l) => wanted.test(l));
    assert.ok(line, `${wanted} in ${counts.join('\n')}`);
    // Every count line is the command's, word for word (the command names its file
    // the same: it reads the same .gz).
    assert.ok(cli.summary.includes(line), `${line} not in the command's summary`);
  }
  assert.equal(await page.locator('#scenario-title').textContent(), 'Replay of boot-early.trace.gz');
  await scrollTo(page, '#trace-summary');
  await page.screenshot({ path: join(ROOT, 'test-results', 'trace-import-1440x900.png') });

  // The first placement: after every pre-trace block's `hold`, the first `place t`
  // of the command's scenario. It is the trace's first mm_page_alloc line, which the
  // command lists among the differences.
  const workload = cli.scenario.split('\n');
  const holds = workload.filter((line) => line.startsWith('hold pre ')).length;
  const place = workload.find((line) => line.startsWith('place t '));
  const [, order, pfn] = place.match(/order=(\d+) .*at=(0x[0-9a-f]+)/);
  const text = gunzipSync(gz).toString('utf8').split('\n');
  const firstAlloc = text.findIndex((line) => line.includes(' mm_page_alloc: ')) + 1;
  await page.locator('#go-to').fill(`call ${holds + 1}`);
  await page.locator('#go-to').press('Enter');
  await page.waitForFunction((n) => document.getElementById('call-heading')?.textContent.startsWith(`Call ${n} of`), holds + 1);
  // The call says what the traced kernel did.
  assert.match(await page.locator('.step').textContent(), new RegExp(`traced alloc_pages\\(.*, ${order}\\) that returned pfn ${pfn}`));
  await page.locator('#whole-call').check();
  const outcome = await page.locator('#step-outcome').textContent();
  const sentence = new RegExp(
    `^Will return: allocation #${holds} \\(the ${holds + 1}\\w{2} allocation\\): the order-${order} block at the traced pfn ${pfn} in node 0 \\w+; the model would have picked (the same block|pfn 0x[0-9a-f]+)$`,
  );
  assert.match(outcome, sentence);
  if (differences.includes(firstAlloc)) {
    assert.match(outcome, /the model would have picked pfn /);
  } else {
    assert.match(outcome, /the model would have picked the same block/);
  }
  await scrollTo(page, '.step');
  await page.screenshot({ path: join(ROOT, 'test-results', 'trace-step-1440x900.png') });

  await page.setViewportSize({ width: 1024, height: 768 });
  await scrollTo(page, '#trace-summary');
  await page.screenshot({ path: join(ROOT, 'test-results', 'trace-import-1024x768.png') });
  await scrollTo(page, '.step');
  await page.screenshot({ path: join(ROOT, 'test-results', 'trace-step-1024x768.png') });

  // Too large for a share link (1.6 MB of scenario): sharing says so, no link.
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await page.waitForFunction(() => /no share link/.test(document.getElementById('notice')?.textContent ?? ''));
  assert.equal(await page.locator('#share-link').count(), 0);
  assert.match(page.url(), /#step=\d+$/);
  await shot(page, 'trace-import-full');
  assert.deepEqual(errors, []);
  await page.close();
});
