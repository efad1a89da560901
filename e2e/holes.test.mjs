// End-to-end tests of collapsed holes: by default the picture lays out only memory,
// holes and offline sections collapsed to labelled hatched bands (or, before the
// first row, named above the picture); the "true scale" switch draws them at their
// size. The shares of the canvas painted as hole are printed as diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { canvasStats } from './browser.mjs';
import { playground, SHOTS } from './harness.mjs';

// From engine/src/view/colour.rs: holes, a collapsed gap's stripes, the background.
const HOLE = 0xe4e1da;
const STRIPE = 0xc4beb2;
const BACKGROUND = 0xf7f5f0;

const { open } = playground('/');

/** The first screen only, as a user sees it at this size. */
const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

/** Shares of the canvas, in percent: hole (plain or striped) and empty background. */
async function shares(page) {
  const s = await canvasStats(page);
  const area = s.width * s.height;
  const pct = (n) => (100 * n) / area;
  return {
    hole: pct((s.counts[HOLE] ?? 0) + (s.counts[STRIPE] ?? 0)),
    background: pct(s.counts[BACKGROUND] ?? 0),
    hash: s.hash,
  };
}

async function redrawn(page, hash) {
  await page.waitForFunction(async (h) => {
    const c = document.getElementById('address-canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let x = 2166136261;
    for (let i = 0; i < d.length; i += 4) x = Math.imul(x ^ ((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]), 16777619) >>> 0;
    return x !== h;
  }, hash);
}

async function setTrueScale(page, on) {
  const before = (await canvasStats(page)).hash;
  const box = page.getByRole('checkbox', { name: 'true scale' });
  if (on) await box.check();
  else await box.uncheck();
  await redrawn(page, before);
  assert.equal(await box.isChecked(), on);
}

const fmt = (s) => `hole ${s.hole.toFixed(1)}%, background ${s.background.toFixed(1)}%`;

for (const [width, height] of [[1440, 900], [1024, 768]]) {
  test(`split-merge at ${width}x${height}: the hole below 16 MiB is named, not drawn; true scale draws it`, async (t) => {
    const { page, errors } = await open('#library=split-merge');
    await page.setViewportSize({ width, height });
    const collapsed = await shares(page);
    assert.ok(collapsed.hole < 1, `collapsed: ${fmt(collapsed)}`);
    assert.match(await page.locator('#zoom-scale').textContent(), /; pfn 0x1000–0x2000 of 0x2000$/);
    assert.equal(await page.locator('#gap-edges').textContent(), 'Not drawn: before the first row, hole, pfn 0x0–0xfff (16 MiB).');
    // The first page drawn, top left, is the first page of memory.
    const box = await page.locator('#address-canvas').boundingBox();
    const px = box.width / 1048; // CSS pixels per canvas pixel (24 gutter + 1024)
    await page.mouse.move(box.x + (24 + 4) * px, box.y + 4 * px);
    await page.locator('#page-tooltip').waitFor();
    assert.match(await page.locator('#page-tooltip').textContent(), /^pfn 0x1000 · physical 0x1000000node 0 · zone DMA32/);
    await shot(page, `holes-split-merge-${width}x${height}`);
    await page.mouse.move(0, 0);
    await setTrueScale(page, true);
    const whole = await shares(page);
    assert.ok(whole.hole > 40, `true scale: ${fmt(whole)}`);
    assert.equal(await page.locator('#gap-edges').count(), 0);
    assert.match(await page.locator('#zoom-scale').textContent(), /; pfn 0x0–0x2000 of 0x2000$/);
    await shot(page, `holes-split-merge-true-scale-${width}x${height}`);
    t.diagnostic(`split-merge ${width}x${height}: collapsed ${fmt(collapsed)}; true scale ${fmt(whole)}`);
    // The switch goes back to exactly the collapsed picture.
    await setTrueScale(page, false);
    assert.equal((await shares(page)).hash, collapsed.hash);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('pcp-batching: collapsed, the memory fills the canvas at 4x4 pixels a page', async (t) => {
  const { page, errors } = await open('#library=pcp-batching');
  await page.setViewportSize({ width: 1024, height: 768 });
  const collapsed = await shares(page);
  assert.match(await page.locator('#zoom-scale').textContent(), /^a page is 4×4 pixels; pfn 0x1000–0x9000/);
  assert.ok(collapsed.hole < 1 && collapsed.background < 5, `collapsed: ${fmt(collapsed)}`);
  await shot(page, 'holes-pcp-batching-1024x768');
  await setTrueScale(page, true);
  const whole = await shares(page);
  assert.match(await page.locator('#zoom-scale').textContent(), /^a page is 2×2 pixels; pfn 0x0–0x9000/);
  assert.ok(whole.hole + whole.background > 70, `true scale: ${fmt(whole)}`);
  t.diagnostic(`pcp-batching: collapsed ${fmt(collapsed)}; true scale ${fmt(whole)}`);
  await page.setViewportSize({ width: 1440, height: 900 });
  await setTrueScale(page, false);
  await shot(page, 'holes-pcp-batching-1440x900');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an offline section is a labelled band; the page right after it is the next section\'s first', async () => {
  const { page, errors } = await open('#library=memory-hotplug');
  await page.setViewportSize({ width: 1440, height: 900 });
  // The lesson opens inside the offline of section 5, once it is gone: both sections
  // are past the last row, not drawn, and the line under the toolbar says so.
  assert.equal(await page.locator('section.step .operation').textContent(), 'echo offline > /sys/devices/system/memory/memory5/state');
  assert.equal(await page.locator('.gap-label').count(), 0);
  assert.match(await page.locator('#address-canvas').evaluate((c) => c.closest('section').textContent), /Not drawn: after the last row, offline sections 4–5, pfn 0x20000–0x2ffff \(256 MiB\)\./);
  // At the start of that call only section 4 is offline: a band between memory.
  const call = (await page.locator('#call-heading').textContent()).match(/^Call (\d+) of/)[1];
  const counter = await page.locator('#step-counter').textContent();
  await page.getByRole('textbox', { name: 'Go to step or call' }).fill(`call ${call}`);
  await page.getByRole('textbox', { name: 'Go to step or call' }).press('Enter');
  await page.waitForFunction((t) => document.getElementById('step-counter').textContent !== t, counter);
  assert.match(await page.locator('#step-sentence').textContent(), /^About to call /);
  const label = page.locator('.gap-label');
  assert.equal(await label.count(), 1);
  assert.equal(await label.textContent(), 'offline section 4, pfn 0x20000–0x27fff (128 MiB)');
  const canvas = page.locator('#address-canvas');
  // Zoom in with the wheel over the band: it stays on screen (under the pointer
  // unless the end of the map holds the scroll).
  let band;
  let box = await canvas.boundingBox();
  for (let i = 0; i < 3; i++) {
    band = await label.boundingBox();
    await page.mouse.move(box.x + box.width / 2, band.y + band.height / 2);
    const scale = await page.locator('#zoom-scale').textContent();
    await page.mouse.wheel(0, -100);
    await page.waitForFunction((s) => document.getElementById('zoom-scale').textContent !== s, scale);
  }
  assert.match(await page.locator('#zoom-scale').textContent(), /^a page is 8×8 pixels/);
  assert.equal(await label.count(), 1, 'the band is still on screen');
  band = await label.boundingBox();
  box = await canvas.boundingBox();
  const px = box.width / 1048; // CSS pixels per canvas pixel (24 gutter + 1024)
  // The first cell below the band, and the last above it.
  await page.mouse.move(box.x + (24 + 4) * px, band.y + band.height + 4 * px);
  await page.locator('#page-tooltip').waitFor();
  assert.match(await page.locator('#page-tooltip').textContent(), /^pfn 0x28000 · physical 0x28000000node 1 · zone \w+ · section 5/);
  await page.mouse.down();
  await page.mouse.up();
  assert.match(await page.locator('#page-info').textContent(), /^pfn 0x28000 · physical 0x28000000 · node 1/);
  await page.mouse.move(box.x + box.width - 4 * px, band.y - 4 * px);
  assert.match(await page.locator('#page-tooltip').textContent(), /^pfn 0x1ffff · /);
  // Over the band itself: what it leaves out, and a click pins no page.
  await page.mouse.move(box.x + box.width / 2, band.y + band.height / 2);
  await page.waitForFunction(() => /^not drawn: /.test(document.getElementById('page-tooltip')?.textContent));
  assert.equal(
    await page.locator('#page-tooltip').textContent(),
    'not drawn: offline section 4, pfn 0x20000–0x27fff (128 MiB)collapsed to this band; "true scale" draws it at its size',
  );
  await page.mouse.down();
  await page.mouse.up();
  assert.match(await page.locator('#page-info').textContent(), /^pfn 0x28000 /);
  await shot(page, 'holes-offline-section-1440x900');
  // True scale: the section's pages are drawn (no memmap: no pageblock), no band.
  await setTrueScale(page, true);
  assert.equal(await label.count(), 0);
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.locator('#address-canvas').press('0');
  await setTrueScale(page, false);
  await shot(page, 'holes-offline-section-1024x768');
  assert.deepEqual(errors, []);
  await page.close();
});
