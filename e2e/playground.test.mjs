// End-to-end tests of the built playground (dist/) in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serve } from './server.mjs';
import { launch, watchErrors, canvasStats } from './browser.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = join(ROOT, 'test-results');
// Colours from web/src/draw.rs: the allocated fill and the page background.
const ALLOCATED = 0xe76f51;
const BACKGROUND = 0xf1efe9;

let server;
let context;

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  // Served from a sub-path, as a course page or project page would host it.
  server = await serve(join(ROOT, 'dist'), '/course/buddyscope/');
  context = await launch();
});

after(async () => {
  await context?.close();
  await server?.close();
});

async function open() {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server.url);
  await page.waitForSelector('#zone-canvas');
  await page.waitForFunction(() => Number(document.getElementById('free-pages')?.textContent) > 0);
  return { page, errors };
}

const freePages = (page) => page.locator('#free-pages').textContent().then(Number);

test('the default scenario loads from a sub-path with no console errors and a drawn canvas', async () => {
  const { page, errors } = await open();
  assert.equal(await page.title(), 'Buddyscope: the Linux 6.1 page allocator, made visible');
  const stats = await canvasStats(page);
  assert.deepEqual([stats.width, stats.height], [640, 630]);
  // Free blocks of several orders, allocated blocks, outlines and the background.
  assert.ok(stats.distinctColours >= 5, `only ${stats.distinctColours} colours drawn`);
  assert.ok((stats.counts[ALLOCATED] ?? 0) > 1000, 'the warm-up allocations are drawn');
  assert.ok((stats.counts[BACKGROUND] ?? 0) < stats.width * stats.height / 10, 'most of the canvas is zone, not background');
  const free = await freePages(page);
  assert.ok(free > 0 && free < 4000, `free pages ${free}`);
  await page.screenshot({ path: join(SHOTS, 'default-scenario.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('allocating and freeing change the counts, the canvas and the step log', async () => {
  const { page, errors } = await open();
  const free0 = await freePages(page);
  const hash0 = (await canvasStats(page)).hash;

  await page.getByLabel('Order', { exact: true }).selectOption('4');
  await page.getByRole('button', { name: 'Allocate order 4' }).click();
  await page.waitForFunction((f) => Number(document.getElementById('free-pages').textContent) !== f, free0);
  assert.equal(await freePages(page), free0 - 16);
  assert.notEqual((await canvasStats(page)).hash, hash0, 'the canvas was redrawn');
  const log = await page.locator('.step-log ol').textContent();
  assert.match(log, /__rmqueue_smallest/);
  assert.match(await page.getByRole('status').textContent(), /Allocated order 4 at pfn 0x/);
  await page.screenshot({ path: join(SHOTS, 'after-allocate.png'), fullPage: true });

  await page.getByRole('button', { name: 'Free', exact: true }).click();
  await page.waitForFunction((f) => Number(document.getElementById('free-pages').textContent) === f, free0);
  assert.match(await page.locator('.step-log ol').textContent(), /__free_one_page/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('clicking the canvas selects the block under the pointer', async () => {
  const { page, errors } = await open();
  await page.locator('#zone-canvas').click({ position: { x: 5, y: 5 } });
  assert.match(await page.getByRole('status').textContent(), /pfn 0x1000 \(physical 0x1000000\) is in the (free|allocated) order-\d+ block/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an impossible zone is refused with a message and the page keeps working', async () => {
  const { page, errors } = await open();
  const free0 = await freePages(page);
  await page.getByLabel('Pages', { exact: true }).fill('0');
  await page.getByRole('button', { name: 'Rebuild zone' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /Kept the current zone: a zone needs at least one page/);
  assert.equal(await freePages(page), free0);
  await page.getByRole('button', { name: 'Allocate order 0' }).click();
  await page.waitForFunction((f) => Number(document.getElementById('free-pages').textContent) === f - 1, free0);
  assert.deepEqual(errors, []);
  await page.close();
});
