// End-to-end tests of the built playground (dist/) in headless Chromium, served
// from a sub-path as a course page or project page would host it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canvasStats, watchErrors } from './browser.mjs';
import { playground, ROOT } from './harness.mjs';

// From engine/src/view/: the colour of holes.
const HOLE = 0xe4e1da;

const { open, shot, url, context } = playground('/course/buddyscope/');

const stepOf = async (page) => Number((await page.locator('#step-counter').textContent()).match(/step (\d+)/)[1]);

async function waitForStep(page, predicate, arg) {
  await page.waitForFunction(
    ([src, a]) => new Function('s', 'a', `return (${src})(s, a)`)(Number(document.getElementById('step-counter').textContent.match(/step (\d+)/)[1]), a),
    [predicate.toString(), arg],
  );
}

test('the default scenario opens at its step, drawn, from a sub-path, with no console errors', async () => {
  const { page, errors } = await open();
  assert.match(await page.title(), /Buddyscope/);
  assert.equal(await stepOf(page), 36526);
  const stats = await canvasStats(page, 'address-canvas');
  assert.ok(stats.distinctColours >= 6, `only ${stats.distinctColours} colours drawn`);
  assert.ok((stats.counts[HOLE] ?? 0) < stats.width * stats.height / 4, 'most of the canvas is memory, not hole');
  assert.match(await page.locator('#step-sentence').textContent(), /zone_watermark_fast: zone 0:DMA order 4, ALLOC_WMARK_LOW.*: __zone_watermark_ok: free \d+ − \(\(1<<4\) − 1 = 15\) .* is not above low \d+ \+ lowmem_reserve for Normal requests [1-9]\d* = \d+: too low/);
  assert.match(await page.locator('#call-stack').textContent(), /__alloc_pages.*get_page_from_freelist.*zone_watermark_fast/s);
  await shot(page, 'default-scenario');
  assert.deepEqual(errors, []);
  await page.close();
});

test('stepping into a watermark check shows it in the zonelist and the gauges', async () => {
  const { page, errors } = await open();
  const start = await stepOf(page);
  await page.getByRole('button', { name: 'Step back', exact: true }).click();
  await page.getByRole('button', { name: 'Step back', exact: true }).click();
  await waitForStep(page, (s, a) => s === a, start - 2);
  // Before the check: no zone passed over yet.
  assert.equal(await page.locator('#zonelists tr[data-zone="0:DMA32"]').first().getAttribute('data-status'), 'idle');
  await page.getByRole('button', { name: 'Step forward', exact: true }).click();
  await waitForStep(page, (s, a) => s === a, start - 1);
  const row = page.locator('.zonelist.in-use tr[data-zone="0:DMA32"]');
  assert.equal(await row.getAttribute('data-status'), 'passed');
  assert.match(await row.locator('.why').textContent(), /^watermark: .*__zone_watermark_ok: free \d+ − \(\(1<<4\) − 1 = 15\) .* is not above low \d+ \+ lowmem_reserve for Normal requests 0 = \d+/);
  const gauge = page.locator('#gauges .gauge[data-zone="0:DMA32"]');
  assert.match(await gauge.getAttribute('class'), /failed/);
  assert.match(await gauge.locator('.check').textContent(), /FAILED: .* is not above /);
  assert.match(await page.locator('#call-stack li').last().textContent(), /zone_watermark_fast/);
  // The keyboard steps too: the DMA check, where the lowmem_reserve shows.
  await page.locator('body').press('ArrowRight');
  await waitForStep(page, (s, a) => s === a, start);
  const dma = page.locator('.zonelist.in-use tr[data-zone="0:DMA"]');
  assert.equal(await dma.getAttribute('data-status'), 'passed');
  assert.match(await dma.locator('.why').textContent(), /lowmem_reserve for Normal requests [1-9]\d*/);
  await page.locator('body').press('ArrowRight');
  await waitForStep(page, (s, a) => s === a, start + 1);
  assert.equal(await page.locator('.zonelist.in-use tr[data-zone="1:DMA32"]').getAttribute('data-status'), 'trying');
  await shot(page, 'watermark-check');
  assert.deepEqual(errors, []);
  await page.close();
});

test('stepping back gives the identical canvas pixels', async () => {
  const { page, errors } = await open();
  const before = await canvasStats(page, 'address-canvas');
  const start = await stepOf(page);
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Step over', exact: true }).click();
  await waitForStep(page, (s, a) => s > a, start);
  await page.waitForTimeout(100);
  const moved = await canvasStats(page, 'address-canvas');
  assert.notEqual(moved.hash, before.hash, 'three calls later the picture differs');
  while ((await stepOf(page)) > start) {
    await page.getByRole('button', { name: 'Step back', exact: true }).click();
  }
  assert.equal(await stepOf(page), start);
  await page.waitForTimeout(100);
  const back = await canvasStats(page, 'address-canvas');
  assert.equal(back.hash, before.hash, 'the same pixels after stepping back');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a library scenario opens from the picker', async () => {
  const { page, errors } = await open();
  const title0 = await page.locator('#scenario-title').textContent();
  const hash0 = (await canvasStats(page, 'address-canvas')).hash;
  const options = await page.locator('#library-pick option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  const [name, title] = options.find(([value]) => value !== 'default');
  await page.getByLabel('Library scenario').selectOption(name);
  await page.getByRole('button', { name: 'Open library scenario' }).click();
  await page.waitForFunction((t) => document.getElementById('scenario-title').textContent !== t, title0);
  assert.equal(await page.locator('#scenario-title').textContent(), title);
  assert.match(await page.locator('#notice').textContent(), new RegExp(`Opened library scenario “${name}”`));
  await page.waitForTimeout(100);
  assert.notEqual((await canvasStats(page, 'address-canvas')).hash, hash0);
  await shot(page, 'library-scenario');
  assert.deepEqual(errors, []);
  await page.close();
});

test('changing the section size and the distances changes the views; a bad table is the kernel fallback with a warning', async () => {
  const { page, errors } = await open();
  const hash0 = (await canvasStats(page, 'address-canvas')).hash;
  await page.locator('#section-bits').fill('26');
  await page.getByLabel('Distance from node 0 to node 1').fill('40');
  await page.getByLabel('Distance from node 1 to node 0').fill('40');
  await page.getByRole('button', { name: 'Apply machine' }).click();
  await page.waitForFunction(() => /Applied your changes/.test(document.getElementById('notice').textContent));
  await page.waitForTimeout(100);
  assert.notEqual((await canvasStats(page, 'address-canvas')).hash, hash0, 'twice the sections in the gutter');
  const remote = page.locator('.zonelist[data-node="0"] tr[data-zone="1:DMA32"] td').nth(2);
  assert.equal(await remote.textContent(), '40');
  // Click a page: section numbers now count 64 MiB sections.
  const box = await page.locator('#address-canvas').boundingBox();
  await page.locator('#address-canvas').click({ position: { x: box.width * 0.6, y: box.height * 0.3 } });
  assert.match(await page.locator('#page-info').textContent(), /section \d+/);
  await page.getByLabel('Distance from node 0 to node 1').fill('5');
  await page.getByRole('button', { name: 'Apply machine' }).click();
  await page.locator('#machine-warnings').waitFor();
  assert.match(await page.locator('#machine-warnings').textContent(), /distance/i);
  assert.equal(await page.locator('.zonelist[data-node="0"] tr[data-zone="1:DMA32"] td').nth(2).textContent(), '20');
  // An impossible machine is refused where the user is looking; the page keeps working.
  await page.locator('#section-bits').fill('lots');
  await page.getByRole('button', { name: 'Apply machine' }).click();
  assert.match(await page.locator('#machine-error').textContent(), /section size bits/);
  const s = await stepOf(page);
  await page.getByRole('button', { name: 'Step back', exact: true }).click();
  await waitForStep(page, (x, a) => x === a - 1, s);
  await shot(page, 'edited-machine');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a workload error is shown at its line and the last good state stays', async () => {
  const { page, errors } = await open();
  const s = await stepOf(page);
  await page.getByLabel('Workload', { exact: true }).fill('alloc a order=0 count=3\nalloc b order=99\n');
  await page.getByRole('button', { name: 'Apply workload' }).click();
  await page.locator('#workload-error').waitFor();
  assert.match(await page.locator('#workload-error').textContent(), /workload line 2, column \d+: .*\n\s+2 \| alloc b order=99/s);
  assert.equal(await stepOf(page), s);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a generator from the picker goes into the workload and runs', async () => {
  const { page, errors } = await open();
  await page.getByLabel('Workload', { exact: true }).fill('');
  await page.getByLabel('Workload generator').selectOption('numa');
  assert.equal(await page.locator('#generator-params').inputValue(), 'count=2000 remote=25');
  assert.match(await page.locator('#generator-help').textContent(), /NUMA-local versus remote/);
  await page.locator('#generator-params').fill('count=300 remote=50');
  await page.getByRole('button', { name: 'Add generator to workload' }).click();
  assert.equal(await page.getByLabel('Workload', { exact: true }).inputValue(), 'generate numa count=300 remote=50\n');
  const before = await page.locator('#step-counter').textContent();
  await page.getByRole('button', { name: 'Apply workload' }).click();
  await page.waitForFunction((b) => document.getElementById('step-counter').textContent !== b, before);
  const counter = await page.locator('#step-counter').textContent();
  const last = Number(counter.match(/of (\d+)/)[1]);
  assert.ok(last > 400 * 3, `a 400-call run has more than 1200 steps, not ${last}`);
  // Applying a workload keeps the call on screen if the new run has it; this
  // shorter run does not, so it opens at the start, never at the end.
  assert.equal(await stepOf(page), 0);
  await page.getByRole('button', { name: 'Step over', exact: true }).click();
  await waitForStep(page, (x) => x > 0);
  assert.match(await page.locator('#call-stack').textContent(), /__alloc_pages|__free_pages/);
  await shot(page, 'generator-workload');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a share link reopens exactly the same step', async () => {
  const { page, errors } = await open();
  await page.getByRole('button', { name: 'Step back', exact: true }).click();
  await page.getByRole('button', { name: 'Step back', exact: true }).click();
  await page.getByRole('button', { name: 'Step over', exact: true }).click();
  await page.getByRole('button', { name: 'Step forward', exact: true }).click();
  await page.getByRole('button', { name: 'Share' }).click();
  const link = await page.locator('#share-link').inputValue();
  assert.ok(link.startsWith(url()) && /#s=(z1|p1)\..*&step=\d+$/.test(link), link);
  assert.equal(await page.evaluate(() => location.href), link, 'the address bar holds the same link');
  const step = await stepOf(page);
  const sentence = await page.locator('#step-sentence').textContent();
  const pixels = (await canvasStats(page, 'address-canvas')).hash;
  const other = await context().newPage();
  const otherErrors = watchErrors(other);
  await other.goto(link);
  await other.waitForSelector('body[data-ready="1"]');
  await other.waitForFunction(() => document.getElementById('address-canvas')?.dataset.drawMs !== undefined);
  assert.equal(await stepOf(other), step);
  assert.equal(await other.locator('#step-sentence').textContent(), sentence);
  await other.waitForTimeout(100);
  assert.equal((await canvasStats(other, 'address-canvas')).hash, pixels);
  await shot(other, 'share-reopened');
  assert.deepEqual([...errors, ...otherErrors], []);
  await page.close();
  await other.close();
});

test('embed mode is compact and read-only, with an open link and embed code', async () => {
  const { page: full } = await open();
  const fragment = await full.evaluate(() => location.hash);
  const snippet = await full.locator('#embed-code').inputValue();
  assert.match(snippet, /^<iframe src="[^"]+\?embed=1#s=[^"]+" title="Buddyscope: Two nodes[^"]*"/);
  await full.close();
  const { page, errors } = await open(`?embed=1${fragment}`);
  assert.equal(await page.locator('#editor').count(), 0, 'no editor in the embed');
  assert.equal(await page.locator('h1').count(), 0);
  const openLink = page.getByRole('link', { name: 'Open in Buddyscope' });
  const href = await openLink.getAttribute('href');
  assert.ok(!href.includes('embed=1') && href.includes('#s='), href);
  await page.getByRole('button', { name: 'Copy embed code' }).click();
  assert.match(await page.locator('#notice').textContent(), /Embed code copied/);
  await page.getByRole('button', { name: 'Step forward', exact: true }).click();
  await page.setViewportSize({ width: 900, height: 760 });
  await shot(page, 'embed');
  assert.deepEqual(errors, []);
  await page.close();
});

test('importing a real machine snapshot shows its zones', async () => {
  const { page, errors } = await open();
  const snapshot = await readFile(join(ROOT, 'engine/tests/data/oracle/c-2node-1G-1G/machine.snapshot'), 'utf8');
  await page.getByLabel('Machine snapshot').fill(snapshot);
  await page.getByRole('button', { name: 'Import machine' }).click();
  await page.waitForFunction(() => document.getElementById('scenario-title').textContent === 'Imported machine', null, { timeout: 60000 });
  const zones = await page.locator('#free-areas details').evaluateAll((ds) => ds.map((d) => d.dataset.zone));
  assert.ok(zones.includes('0:DMA') && zones.includes('0:DMA32') && zones.includes('1:DMA32'), zones.join(' '));
  assert.equal(await page.locator('.zonelist').count(), 2);
  // A malformed snapshot is refused beside the import box.
  await page.getByLabel('Machine snapshot').fill('==> /proc/zoneinfo <==\nthis is not zoneinfo\n');
  await page.getByRole('button', { name: 'Import machine' }).click();
  await page.locator('#import-error').waitFor();
  assert.equal(await page.locator('#scenario-title').textContent(), 'Imported machine');
  await shot(page, 'imported-machine');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a tampered link shows an error and the page still works', async () => {
  const { page, errors } = await open('#s=z1.AAAA!!broken&step=7');
  assert.match(await page.getByRole('alert').first().textContent(), /This link could not be opened: .+ Showing the default scenario instead/);
  const s = await stepOf(page);
  await page.getByRole('button', { name: 'Step forward', exact: true }).click();
  await waitForStep(page, (x, a) => x === a + 1, s);
  await page.locator('body').press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await shot(page, 'tampered-link');
  assert.deepEqual(errors, []);
  await page.close();
});

test('zoom and pan reach single pages with a tooltip', async () => {
  const { page, errors } = await open();
  const canvas = page.locator('#address-canvas');
  const scale0 = await page.locator('#zoom-scale').textContent();
  // Once the call returns, its block is the step's block.
  await page.getByRole('button', { name: 'Step over', exact: true }).click();
  await page.getByRole('button', { name: "Zoom to the step's block" }).click();
  await page.waitForFunction((s) => document.getElementById('zoom-scale').textContent !== s, scale0);
  await canvas.focus();
  await canvas.press('+');
  await canvas.press('ArrowDown');
  assert.match(await page.locator('#zoom-scale').textContent(), /a page is \d+×\d+ pixels/);
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
  await page.locator('#page-tooltip').waitFor();
  assert.match(await page.locator('#page-tooltip').textContent(), /pfn 0x[0-9a-f]+ · physical 0x[0-9a-f]+node \d · zone \w+ · section \d+pageblock: \w+state: /);
  await shot(page, 'zoomed-in');
  await canvas.press('0');
  assert.match(await page.locator('#zoom-scale').textContent(), /pfn 0x0–/);
  assert.deepEqual(errors, []);
  await page.close();
});
