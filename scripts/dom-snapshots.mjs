// The page's DOM in 16 states, for comparing two builds byte for byte: outerHTML at
// the `buddyscope-interactive` mark (NAME.mark.html) and after an interaction
// (NAME.html), with the hashed file names, the server's port, the integrity hashes and
// the canvas's draw time blanked. Not a test and not part of bench.sh; branch size25
// compared main's dist/ and its own with it after every change (docs/performance.md).
//
//   node scripts/dom-snapshots.mjs /tmp/dist-main /tmp/dom-main
//   node scripts/dom-snapshots.mjs dist /tmp/dom-branch && diff -r /tmp/dom-main /tmp/dom-branch
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../e2e/server.mjs';
import { launch } from '../e2e/browser.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const [dist, out] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const server = await serve(dist, '/');
const ctx = await launch();
const scen = (n) => readFileSync(join(ROOT, 'engine/tests/data/pair', n), 'utf8');
const p1 = (t) => `p1.${encodeURIComponent(t)}`;
function snapshotText() { return readFileSync(ROOT + '/engine/tests/data/oracle/c-2node-1G-1G/machine.snapshot', 'utf8'); }
const norm = (h) => h.replace(/127.0.0.1:[0-9]+/g, 'HOST').replace(/id="draw-ms">[^<]*</g, 'id="draw-ms">X<').replace(/buddyscope-web-[0-9a-f]{12,16}/g, 'HASH').replace(/data-draw-ms="[^"]*"/g, 'data-draw-ms=X').replace(/sha(256|384)-[A-Za-z0-9+\/=]+/g, 'sha');
async function snap(name, suffix, actions = async () => {}, pair = false) {
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(server.url + suffix);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  const atMark = await page.evaluate(() => document.documentElement.outerHTML);
  if (!pair) await page.waitForFunction(() => document.getElementById('address-canvas')?.dataset.drawMs !== undefined);
  await actions(page);
  await page.waitForTimeout(300);
  const after = await page.evaluate(() => document.documentElement.outerHTML);
  const nodes = await page.evaluate(() => document.getElementsByTagName('*').length);
  writeFileSync(join(out, name + '.mark.html'), norm(atMark));
  writeFileSync(join(out, name + '.html'), norm(after));
  console.log(name, 'nodes', nodes);
  await page.close();
}
await snap('default', '');
await snap('steps', '', async (p) => { for (let i = 0; i < 7; i++) { await p.keyboard.press('ArrowRight'); await p.waitForTimeout(50); } });
await snap('kernels', '', async (p) => { await p.locator('#kernel-compare').click(); await p.locator('#kernel-boot-summary').waitFor(); await p.waitForTimeout(500); });
await snap('whole', '', async (p) => { for (let i = 0; i < 3; i++) { await p.keyboard.press('ArrowRight'); } await p.locator('#whole-call').click(); });
await snap('pair-vary', `#s=${p1(scen('wsf.toml'))}&vary=v1.watermark_scale_factor%3D200`, async () => {}, true);
await snap('pair-b', `#s=${p1(scen('wsf.toml'))}&b=${p1(scen('b-wsf200-short.toml'))}&step=3`, async () => {}, true);
await snap('pair-bad', `#s=${p1(scen('wsf.toml'))}&vary=v1.swappiness%3D60`, async () => {}, true);
await snap('lesson', '#library=split-merge&lesson=-', async () => {});
await snap('embed', '?embed=1', async () => {});
await snap('help', '', async (p) => { await p.locator('body').press('?'); });
await snap('lesson-answered', '?embed=1#library=zone-fallback&lesson=-', async (p) => { await p.locator('label:has-text("b. DMA")').first().click(); await p.locator('#question-submit').click(); await p.locator('#question-verdict').waitFor(); });
await snap('lesson-wrong', '#library=zone-fallback&lesson=-', async (p) => { await p.locator('#question-submit').click(); });
await snap('numbers', '', async (p) => { await p.locator('#kernel-numbers-toggle').click(); await p.waitForTimeout(300); });
await snap('import-bad', '', async (p) => { await p.getByLabel('Machine snapshot').fill('==> /proc/zoneinfo <==\nnonsense'); await p.getByRole('button', { name: 'Import machine' }).click(); await p.waitForTimeout(500); });
await snap('import-ok', '', async (p) => { await p.getByLabel('Machine snapshot').fill(snapshotText()); await p.getByRole('button', { name: 'Import machine' }).click(); await p.locator('#import-notes').waitFor(); });
await snap('edit-bad', '', async (p) => { await p.locator('#workload-text').fill('alloc order=99'); await p.waitForTimeout(800); });
await ctx.close();
await server.close();
