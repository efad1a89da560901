// End-to-end test of the side-by-side mode (web/src/components/side_by_side.rs): a
// pair link (engine/tests/data/pair/wsf.toml as A, B with watermark_scale_factor=200)
// opens both runs; Step over and Back move both to the same call; the gauges show
// each side's own watermarks (worked out by hand in engine/tests/it/pair.rs: low 320
// and 416, high 384 and 576); "Go to the first difference" lands on call 2, event 2
// (the watermark check), marked on both sides; the address bar's link reopens both
// there. A `b=` pair whose B has fewer calls says so. The two ways in: the editor's
// "Compare with one change" and the Compare kernels view's "Open side by side".
// Screenshots at 1440x900 and 1024x768 under test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { playground, ROOT, SHOTS } from './harness.mjs';
import { canvasStats } from './browser.mjs';

const { url, context, open } = playground('/');

const scenario = (name) => readFileSync(join(ROOT, 'engine/tests/data/pair', name), 'utf8');
const p1 = (text) => `p1.${encodeURIComponent(text)}`;
const VARY = `#s=${p1(scenario('wsf.toml'))}&vary=v1.watermark_scale_factor%3D200`;

/** A pair page: the side-by-side section drawn (no address-space canvas here). */
async function openPair(fragment) {
  const page = await context().newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url() + fragment);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  await page.waitForSelector('#side-by-side');
  return { page, errors };
}

const side = (page, name) => page.locator(`.pair-side[data-side="${name}"]`);
const callOf = (page, name) => side(page, name).locator('.pair-call-index').textContent();
const gaugeHead = (page, name) => side(page, name).locator('.gauge-head').first().textContent();

for (const [width, height] of [[1440, 900], [1024, 768]]) {
  test(`${width}x${height}: a pair link steps both runs together and finds the first difference`, async () => {
    const { page, errors } = await openPair(`${VARY}&step=1`);
    await page.setViewportSize({ width, height });
    assert.equal(await page.locator('#pair-error').count(), 0);
    assert.match(await page.locator('#pair-labels').textContent(), /^A: watermark_scale_factor=10; B: watermark_scale_factor=200$/);
    assert.equal(await callOf(page, 'A'), 'call 1');
    assert.equal(await callOf(page, 'B'), 'call 1');
    assert.match(await page.locator('#pair-position').textContent(), /^Call 1 of 3 on both sides, the whole call\.$/);

    await page.locator('#pair-step-over').click();
    await page.waitForFunction(() => /^Call 2 of 3/.test(document.getElementById('pair-position').textContent));
    assert.equal(await callOf(page, 'A'), 'call 2');
    assert.equal(await callOf(page, 'B'), 'call 2');
    const [a, b] = [await gaugeHead(page, 'A'), await gaugeHead(page, 'B')];
    assert.match(a, /min 256 · low 320 · high 384/, a);
    assert.match(b, /min 256 · low 416 · high 576/, b);
    assert.match(await page.locator('#gauges-B .gauge-head').first().textContent(), /low 416/);
    const ids = await page.evaluate(() => [...document.querySelectorAll('[id]')].map((e) => e.id));
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'no id twice on the page');
    await page.screenshot({ path: join(SHOTS, `side-by-side-${width}x${height}.png`), fullPage: true });

    await page.locator('#pair-back').click();
    await page.waitForFunction(() => /^Call 1 of 3/.test(document.getElementById('pair-position').textContent));
    assert.equal(await callOf(page, 'B'), 'call 1');

    await page.locator('#pair-go-first').click();
    await page.waitForFunction(() => /^Call 2 of 3 on both sides, 2 events in/.test(document.getElementById('pair-position').textContent));
    for (const [name, low] of [['A', 320], ['B', 416]]) {
      const marked = side(page, name).locator('li.differs');
      assert.equal(await marked.count(), 1, name);
      const text = await marked.textContent();
      assert.match(text, /^zone_watermark_fast zone 0:DMA32 order 0/, text);
      assert.ok(text.includes(` low ${low} `), `${name}: ${text}`);
    }
    await page.locator('.pair-sides').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, `side-by-side-first-${width}x${height}.png`) });

    // The address bar and the share box hold the pair at this call; reloading reopens it there.
    await page.waitForFunction(() => window.location.hash.includes('&step=2&event=2'));
    const link = await page.locator('#pair-share').inputValue();
    assert.ok(link.endsWith(await page.evaluate(() => window.location.hash)), link);
    await page.reload();
    await page.waitForSelector('#side-by-side');
    assert.match(await page.locator('#pair-position').textContent(), /^Call 2 of 3 on both sides, 2 events in/);
    assert.equal(await side(page, 'B').locator('li.differs').count(), 1);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the timeline draws both runs on one axis, B dotted, and a click moves both', async () => {
  const { page, errors } = await openPair(`#s=${p1(scenario('wsf.toml'))}&b=${p1(scenario('b-wsf200-short.toml'))}&step=1`);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.locator('#timeline-toggle').click();
  await page.waitForFunction(() => document.getElementById('timeline-canvas')?.dataset.drawMs !== undefined);
  const label = await page.locator('#timeline-canvas').getAttribute('aria-label');
  // The axis is the longer run's: A has 3 calls, B 2.
  assert.match(label, /^Timeline of 3 calls for Node 0 DMA32/);
  const stats = await canvasStats(page, 'timeline-canvas');
  assert.ok(stats.distinctColours > 8, `the plots are drawn (${stats.distinctColours} colours)`);
  await page.locator('#timeline-scale').selectOption('marks');
  await page.waitForFunction(() => /scaled to the watermarks/.test(document.getElementById('timeline-canvas').getAttribute('aria-label')));
  await page.locator('#timeline').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(SHOTS, 'side-by-side-timeline-1440x900.png') });
  // A click at the right end of the plots moves both sides to the last call.
  const box = await page.locator('#timeline-canvas').boundingBox();
  await page.locator('#timeline-canvas').click({ position: { x: box.width - 32, y: 120 } });
  await page.waitForFunction(() => /^Call 3 of 3/.test(document.getElementById('pair-position').textContent));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a pair whose B has fewer calls says so; a broken pair link says what is wrong', async () => {
  const { page, errors } = await openPair(`#s=${p1(scenario('wsf.toml'))}&b=${p1(scenario('b-wsf200-short.toml'))}&step=3`);
  await page.setViewportSize({ width: 1440, height: 900 });
  assert.match(await page.locator('#pair-labels').textContent(), /^A: the link's first scenario; B: the link's second scenario$/);
  assert.equal(await callOf(page, 'A'), 'call 3');
  assert.match(await page.locator('#pair-position').textContent(), /^Call 3 of 3 \(only A has it\), the whole call\.$/);
  assert.match(await side(page, 'B').locator('.pair-ended').textContent(), /^This run has 2 calls: it ended before call 3\.$/);
  assert.match(await page.locator('#pair-fewer').textContent(), /Run B has fewer calls \(2 against 3\)/);
  await page.screenshot({ path: join(SHOTS, 'side-by-side-fewer-1440x900.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
  const { page: bad } = await openPair(`#s=${p1(scenario('wsf.toml'))}&vary=v1.swappiness%3D60`);
  assert.match(await bad.locator('#pair-error').textContent(), /the link's `vary=`: `swappiness` is not a setting a pair can vary/);
  await bad.close();
});

test('the editor\'s "Compare with one change" and Compare kernels\' "Open side by side" open pairs', async () => {
  const { page, errors } = await open(`#s=${p1(scenario('wsf.toml'))}`);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.locator('#vary-key').selectOption('watermark_scale_factor');
  await page.locator('#vary-value').fill('200');
  await page.locator('#vary-open').click();
  await page.waitForSelector('#side-by-side');
  await page.waitForSelector('body[data-ready="1"]');
  assert.match(await page.locator('#pair-labels').textContent(), /; B: watermark_scale_factor=200$/);
  assert.match(await gaugeHead(page, 'B'), /low 416/);

  const { page: main } = await open(`#s=${p1(scenario('wsf.toml'))}`);
  await main.locator('#kernel-compare').click();
  await main.waitForSelector('#kernel-open-pair');
  await main.locator('#kernel-open-pair').click();
  await main.waitForSelector('#side-by-side');
  assert.match(await main.locator('#pair-labels').textContent(), /^A: kernel=6\.1; B: kernel=6\.12$/);
  assert.deepEqual(errors, []);
  await page.close();
  await main.close();
});
