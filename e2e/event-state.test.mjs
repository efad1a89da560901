// End-to-end tests of the state at each event inside a call: on split-merge's first
// call, each expand() split puts one block of its order on the free lists (the
// buddyinfo row and the picture change at that event and nowhere else), and stepping
// back gives back exactly the previous table and pixels; on watermark-boost, the
// kswapd woken by a call runs as the next call, its own, with kswapd at the top of
// the call stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { canvasStats } from './browser.mjs';
import { playground, SHOTS } from './harness.mjs';
import { SIXTEEN_GIB } from './measure.mjs';

const { open } = playground('/');
/** The first screen at a size, and the section given, in test-results/. */
async function screens(page, name, section) {
  for (const [width, height] of [[1440, 900], [1024, 768]]) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(SHOTS, `${name}-${width}x${height}.png`) });
    if (section) await page.locator(section).screenshot({ path: join(SHOTS, `${name}-${width}x${height}-panel.png`) });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

const stepOf = async (page) => Number((await page.locator('#step-counter').textContent()).match(/step (\d+)/)[1]);
const callOf = async (page) => Number((await page.locator('#call-heading').textContent()).match(/^Call (\d+) of/)[1]);
const waitForStep = (page, n) =>
  page.waitForFunction((x) => document.getElementById('step-counter').textContent.startsWith(`step ${x} `), n);

// engine/src/view/colour.rs: a free page is its migratetype's colour mixed with
// white (180 of 256 parts).
const MIGRATETYPES = [[0xc0, 0x39, 0x2b], [0x1f, 0x6f, 0xb4], [0x2e, 0x8b, 0x57], [0xe6, 0x7e, 0x22], [0x4a, 0x23, 0x5a], [0x16, 0xa0, 0xa0]];
const tint = (rgb) => rgb.map((c) => Math.floor((c * (256 - 180) + 255 * 180) / 256));
const FREE_COLOURS = MIGRATETYPES.map(tint).map(([r, g, b]) => (r << 16) | (g << 8) | b);
const freePixels = (stats) => FREE_COLOURS.reduce((n, c) => n + (stats.counts[c] ?? 0), 0);

/** Everything the state at the cursor shows of split-merge's one zone. */
async function snapshot(page) {
  await page.waitForTimeout(50);
  const zone = page.locator('#free-areas details[data-zone="0:DMA32"]');
  return {
    step: await stepOf(page),
    sentence: await page.locator('#step-sentence').textContent(),
    nrFree: (await zone.locator('table.buddyinfo tbody td').allTextContents()).map(Number),
    freeAreas: await page.locator('#free-areas').textContent(),
    gauges: await page.locator('#gauges').textContent(),
    canvas: await canvasStats(page, 'address-canvas'),
  };
}

test("split-merge: each expand() split adds one block of its order, in the table and the picture, and stepping back restores both exactly", async () => {
  const { page, errors } = await open('#library=split-merge');
  await page.setViewportSize({ width: 1440, height: 900 });
  const box = page.getByRole('textbox', { name: 'Go to step or call' });
  const counter = await page.locator('#step-counter').textContent();
  await box.fill('call 1');
  await box.press('Enter');
  await page.waitForFunction((t) => document.getElementById('step-counter').textContent !== t, counter);
  assert.equal(await callOf(page), 1);
  const start = await stepOf(page);
  const states = [await snapshot(page)];
  // Event by event to the end of the call (it returns within 40 events).
  for (let i = 0; i < 40 && !/^Returned: /.test((await page.locator('#step-outcome').textContent()) ?? ''); i++) {
    await page.getByRole('button', { name: 'Step forward', exact: true }).click();
    await waitForStep(page, start + i + 1);
    states.push(await snapshot(page));
  }
  assert.equal(await callOf(page), 1, 'still call 1');
  assert.match(await page.locator('#step-outcome').textContent(), /^Returned: allocation #0 \(the 1st allocation\): the order-4 block at pfn 0x1000 in node 0 DMA32$/);

  const splits = [];
  for (let i = 1; i < states.length; i++) {
    const [prev, cur] = [states[i - 1], states[i]];
    const split = cur.sentence.match(/split; the upper half, order (\d+) at pfn (0x[0-9a-f]+), goes to the head of free_area\[(\d+)\]/);
    if (!split) continue;
    const order = Number(split[1]);
    splits.push([order, split[2]]);
    assert.equal(Number(split[3]), order);
    // buddyinfo: one more block of that order, every other order as it was.
    const expected = prev.nrFree.slice();
    expected[order] += 1;
    assert.deepEqual(cur.nrFree, expected, `step ${cur.step}: nr_free ${prev.nrFree} → ${cur.nrFree} for a split to order ${order}`);
    assert.match(cur.freeAreas, /Node 0, zone DMA32 — \d+ pages on the buddy lists/);
    const pages = (s) => Number(s.freeAreas.match(/— (\d+) pages on the buddy lists/)[1]);
    assert.equal(pages(cur) - pages(prev), 2 ** order, `step ${cur.step}: 2^${order} more pages on the buddy lists`);
    // The picture: different pixels, and (for a block big enough to outshine the
    // step's frame) more pixels in a free colour.
    assert.notEqual(cur.canvas.hash, prev.canvas.hash, `step ${cur.step}: the picture changes at the split`);
    if (order >= 6) {
      assert.ok(freePixels(cur.canvas) > freePixels(prev.canvas), `step ${cur.step}: ${freePixels(prev.canvas)} → ${freePixels(cur.canvas)} free-coloured pixels`);
    }
  }
  // The lesson's six splits, in order: upper halves at 0x1200 down to 0x1010.
  assert.deepEqual(splits, [[9, '0x1200'], [8, '0x1100'], [7, '0x1080'], [6, '0x1040'], [5, '0x1020'], [4, '0x1010']]);
  // The first split's step, for the screenshots.
  const first = states.findIndex((s) => /order 9 at pfn 0x1200/.test(s.sentence));
  await page.getByRole('textbox', { name: 'Go to step or call' }).fill(String(states[first].step));
  await page.getByRole('textbox', { name: 'Go to step or call' }).press('Enter');
  await waitForStep(page, states[first].step);
  await screens(page, 'event-state-split', '#free-areas');
  await page.getByRole('button', { name: 'Step over', exact: true }).click();
  await page.waitForFunction(() => /^Returned: /.test(document.getElementById('step-outcome')?.textContent ?? ''));
  assert.equal(await stepOf(page), states.at(-1).step);

  // Back, event by event: each step shows exactly what it showed going forward.
  for (let i = states.length - 2; i >= 0; i--) {
    await page.getByRole('button', { name: 'Step back', exact: true }).click();
    await waitForStep(page, states[i].step);
    const back = await snapshot(page);
    assert.equal(back.sentence, states[i].sentence, `step ${back.step}: the sentence`);
    assert.deepEqual(back.nrFree, states[i].nrFree, `step ${back.step}: buddyinfo`);
    assert.equal(back.freeAreas, states[i].freeAreas, `step ${back.step}: the free areas' text`);
    assert.equal(back.gauges, states[i].gauges, `step ${back.step}: the gauges' text`);
    assert.equal(back.canvas.hash, states[i].canvas.hash, `step ${back.step}: the same pixels`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('watermark-boost: the kswapd woken by the open step\'s call runs as the next call, with kswapd at the top of the call stack', async () => {
  const { page, errors } = await open('#library=watermark-boost');
  await page.setViewportSize({ width: 1440, height: 900 });
  assert.match(await page.locator('#step-sentence').textContent(), /woke kswapd on node 0 for order 0, zones up to DMA32/);
  const waker = await callOf(page);
  assert.doesNotMatch(await page.locator('section.step .operation').textContent(), /kswapd/, 'the waking call is an allocation');
  // Step over to the end of the waking call, then once more: the first event of the next call.
  await page.getByRole('button', { name: 'Step over', exact: true }).click();
  await page.waitForFunction(() => /^Returned: /.test(document.getElementById('step-outcome')?.textContent ?? ''));
  assert.equal(await callOf(page), waker);
  const s = await stepOf(page);
  await page.getByRole('button', { name: 'Step forward', exact: true }).click();
  await waitForStep(page, s + 1);
  assert.equal(await callOf(page), waker + 1, 'kswapd is a call of its own, right after');
  assert.match(
    await page.locator('section.step .operation').textContent(),
    new RegExp(`^kswapd0 \\(woken by call ${waker} for order 0, zones up to DMA32; run automatically\\): balance_pgdat\\(\\)$`),
  );
  // Into balance_pgdat(): kswapd is the stack's first frame.
  const events = [];
  for (let i = 0; i < 30; i++) {
    const frames = await page.locator('#call-stack li code.fn').allTextContents();
    events.push(frames.join(' > '));
    assert.equal(frames[0], 'kswapd', `step ${await stepOf(page)}: the stack ${frames.join(' > ')} starts at kswapd`);
    if (frames.includes('balance_pgdat')) break;
    const here = await stepOf(page);
    await page.getByRole('button', { name: 'Step forward', exact: true }).click();
    await waitForStep(page, here + 1);
    assert.equal(await callOf(page), waker + 1, 'still the kswapd call');
  }
  assert.ok(events.at(-1).includes('balance_pgdat'), `balance_pgdat below kswapd: ${events.join(' | ')}`);
  await screens(page, 'event-state-kswapd', 'section.step');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the default scenario\'s first screen at two sizes', async () => {
  const { page, errors } = await open();
  await screens(page, 'event-state-default');
  assert.equal(await stepOf(page), 36526);
  assert.deepEqual(errors, []);
  await page.close();
});

/** A hash of each pixel line of the address-space canvas. */
const canvasLines = (page) =>
  page.evaluate(() => {
    const canvas = document.getElementById('address-canvas');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const row = canvas.width * 4;
    const lines = [];
    for (let y = 0; y < canvas.height; y++) {
      let hash = 2166136261;
      for (let i = y * row; i < (y + 1) * row; i++) hash = Math.imul(hash ^ data[i], 16777619);
      lines.push(hash >>> 0);
    }
    return lines;
  });

test('a step repaints only what it changed: after steps forward, over and back the canvas is the picture drawn whole', async () => {
  const { page, errors } = await open(`#s=p1.${encodeURIComponent(SIXTEEN_GIB)}&step=100`);
  const start = await canvasLines(page);
  const click = async (name, times) => {
    for (let i = 0; i < times; i++) {
      const before = await page.locator('#step-counter').textContent();
      await page.getByRole('button', { name, exact: true }).click();
      await page.waitForFunction((t) => document.getElementById('step-counter').textContent !== t, before);
    }
  };
  const draws = [];
  for (const [name, times] of [['Step forward', 12], ['Step over', 3], ['Step back', 5]]) {
    for (let i = 0; i < times; i++) {
      await click(name, 1);
      draws.push(Number(await page.locator('#address-canvas').getAttribute('data-draw-ms')));
    }
  }
  const stepped = await canvasLines(page);
  const changed = stepped.filter((h, y) => h !== start[y]).length;
  assert.ok(changed > 0 && changed < 100, `the steps changed ${changed} of ${start.length} lines`);
  // The same step opened afresh: its picture drawn whole at the same (whole machine) view.
  const step = await stepOf(page);
  await page.waitForFunction((n) => location.hash.includes(`&step=${n}`), step);
  const link = await page.evaluate(() => location.hash);
  const { page: fresh, errors: freshErrors } = await open(link);
  assert.equal(await stepOf(fresh), step);
  const whole = await canvasLines(fresh);
  const differ = whole.map((h, y) => (h === stepped[y] ? -1 : y)).filter((y) => y >= 0);
  assert.deepEqual(differ, [], 'lines that differ from the picture drawn whole');
  console.log(`draw ms per step (repainted lines only): ${draws.map((x) => x.toFixed(1)).join(' ')}`);
  assert.deepEqual([...errors, ...freshErrors], []);
  await fresh.close();
  await page.close();
});
