// End-to-end test of "The kernel's numbers": on split-merge (one DMA32 zone; three
// order-4 GFP_KERNEL allocations, one order-6, then four frees), the panel opens at a
// step inside the first call, its /proc/buddyinfo line is the free-areas table at
// that event and follows it while stepping; /proc/vmstat's pgalloc_dma32 and pgfree
// are the pages the finished calls took and gave back; the extfrag files print one
// zone line of eleven orders; Copy puts the text on the clipboard and says so.
// Screenshots at 1440x900 and 1024x768.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { playground, SHOTS } from './harness.mjs';

const { open, context } = playground('/');

const stepOf = async (page) => Number((await page.locator('#step-counter').textContent()).match(/step (\d+)/)[1]);
const text = (page) => page.locator('#kernel-numbers-text').textContent();
const tableCounts = async (page) =>
  (await page.locator('#free-areas details[data-zone="0:DMA32"] table.buddyinfo tbody td').allTextContents()).map(Number);
/** The nr_free counts of buddyinfo's DMA32 line. */
const buddyinfoCounts = (t) => {
  const line = t.split('\n').find((l) => l.startsWith('Node 0, zone    DMA32 '));
  assert.ok(line, t);
  return line.slice('Node 0, zone    DMA32 '.length).trim().split(/\s+/).map(Number);
};
const vmstatValue = (t, name) => {
  const line = t.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in ${t}`);
  return Number(line.split(' ')[1]);
};
/** Types `what` (a step, or `call N`) into the go-to box and waits until the page is there. */
async function goTo(page, what) {
  const box = page.getByRole('textbox', { name: 'Go to step or call' });
  await box.fill(what);
  await box.press('Enter');
  const call = what.match(/^call (\d+)$/);
  if (call) {
    await page.waitForFunction((n) => document.getElementById('call-heading').textContent.startsWith(`Call ${n} of`), call[1]);
  } else {
    await page.waitForFunction((n) => document.getElementById('step-counter').textContent.startsWith(`step ${n} `), what);
  }
}
async function choose(page, name) {
  const before = await text(page);
  await page.locator('#kernel-numbers-file').selectOption(name);
  await page.waitForFunction((b) => document.getElementById('kernel-numbers-text')?.textContent !== b, before);
}

test("the kernel's numbers show the state at the cursor, switch files and copy", async () => {
  await context().grantPermissions(['clipboard-read', 'clipboard-write']);
  const { page, errors } = await open('#library=split-merge');
  await page.setViewportSize({ width: 1440, height: 900 });
  assert.equal(await page.locator('#kernel-numbers-text').count(), 0, 'closed: nothing computed or shown');

  // Inside the first call, at the lesson's first split (step 19).
  await goTo(page, '19');
  assert.equal(await stepOf(page), 19);
  await page.locator('#kernel-numbers-toggle').click();
  await page.waitForSelector('#kernel-numbers-text');
  assert.equal(await page.locator('#kernel-numbers-file').inputValue(), 'buddyinfo');
  assert.deepEqual(buddyinfoCounts(await text(page)), await tableCounts(page), 'buddyinfo is the table at step 19');
  // A step on: the split puts a block on a list; the panel follows the cursor.
  const at19 = await text(page);
  await page.getByRole('button', { name: 'Step forward', exact: true }).click();
  await page.waitForFunction((b) => document.getElementById('kernel-numbers-text').textContent !== b, at19);
  assert.equal(await stepOf(page), 20);
  assert.deepEqual(buddyinfoCounts(await text(page)), await tableCounts(page), 'buddyinfo is the table at step 20');

  // /proc/vmstat at the start of call 5 (the first free): four allocations done,
  // 3 x 16 + 64 pages from DMA32, nothing freed yet.
  await choose(page, 'vmstat');
  await goTo(page, 'call 5');
  await page.waitForFunction(() => /pgalloc_dma32 112\n/.test(document.getElementById('kernel-numbers-text').textContent));
  let vmstat = await text(page);
  assert.match(vmstat, /^nr_free_pages \d+\n/);
  assert.equal(vmstatValue(vmstat, 'pgalloc_dma32'), 112);
  assert.equal(vmstatValue(vmstat, 'pgfree'), 0);
  assert.doesNotMatch(vmstat, /nr_zone_inactive_anon|numa_hit/, 'only the counters the model keeps');
  // At the end of the run every block is back: 112 pages freed.
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.waitForFunction(() => /\npgfree 112\n/.test(document.getElementById('kernel-numbers-text').textContent));
  vmstat = await text(page);
  assert.equal(vmstatValue(vmstat, 'pgalloc_dma32'), 112);
  const nrFree = vmstatValue(vmstat, 'nr_free_pages');

  // zoneinfo's free pages are vmstat's nr_free_pages (one zone).
  await choose(page, 'zoneinfo');
  assert.match(await text(page), new RegExp(`\\n\\s+nr_free_pages\\s+${nrFree}\\n`));

  for (const name of ['extfrag/unusable_index', 'extfrag/extfrag_index']) {
    await choose(page, name);
    const lines = (await text(page)).split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `${name}: one populated zone`);
    // Eleven orders, each `%d.%03d` after a space (extfrag_index pads non-negative
    // values to the width of -1.000), and the kernel's trailing space.
    assert.match(lines[0], /^Node 0, zone    DMA32( +-?\d\.\d{3}){11} $/);
  }

  // Copy: the clipboard holds exactly the text shown, and the button says so.
  await choose(page, 'vmstat');
  await page.locator('#kernel-numbers-copy').click();
  await page.waitForFunction(() => document.getElementById('kernel-numbers-status').textContent === 'Copied.');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await text(page));

  await choose(page, 'buddyinfo');
  await goTo(page, '19');
  await page.locator('#kernel-numbers').scrollIntoViewIfNeeded();
  for (const [width, height] of [[1440, 900], [1024, 768]]) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(100);
    await page.locator('#kernel-numbers').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: join(SHOTS, `kernel-numbers-${width}x${height}.png`) });
  }
  await choose(page, 'vmstat');
  await page.locator('#kernel-numbers').evaluate((el) => el.scrollIntoView({ block: 'start' })); // below the sticky controls (scroll-margin-top)
  await page.screenshot({ path: join(SHOTS, 'kernel-numbers-vmstat-1024x768.png') });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: join(SHOTS, 'kernel-numbers-vmstat-1440x900.png') });

  // Closing the panel takes the text away (nothing is computed while closed).
  await page.locator('#kernel-numbers-toggle').click();
  assert.equal(await page.locator('#kernel-numbers-text').count(), 0);

  // A measurement, not a check: 20 steps with the panel closed, then open on zoneinfo.
  const twentySteps = async () => {
    await goTo(page, '19');
    const started = Date.now();
    for (let i = 1; i <= 20; i++) {
      await page.getByRole('button', { name: 'Step forward', exact: true }).click();
      await page.waitForFunction((n) => document.getElementById('step-counter').textContent.startsWith(`step ${n} `), 19 + i);
    }
    return Date.now() - started;
  };
  const closedMs = await twentySteps();
  await page.locator('#kernel-numbers-toggle').click();
  await choose(page, 'zoneinfo');
  const openMs = await twentySteps();
  console.log(`note: 20 steps on split-merge took ${closedMs} ms with the panel closed, ${openMs} ms with it open on zoneinfo`);
  assert.deepEqual(errors, []);
});
