// The import panel end to end: a bare /proc/zoneinfo pasted, a gzipped snapshot
// dropped on the panel, a capture command copied; the notes say what was read and
// assumed. Screenshots of the panel at 1440x900 and 1024x768 land in test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { playground, ROOT } from './harness.mjs';

const { open, shot, context } = playground('/');

const oracle = (name) => readFile(join(ROOT, 'engine/tests/data/oracle', name, 'machine.snapshot'), 'utf8');

/** The body of one `==> SOURCE <==` section of a snapshot. */
function section(snapshot, source) {
  const start = snapshot.indexOf(`==> ${source} <==\n`);
  assert.ok(start >= 0, source);
  const body = snapshot.slice(start + source.length + 9);
  const end = body.indexOf('\n==> ');
  return end < 0 ? body : body.slice(0, end + 1);
}

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

/** Scrolls the panel's heading to just below the sticky controls. */
async function toPanel(page) {
  await page.evaluate(() => {
    const top = document.getElementById('import').getBoundingClientRect().top + window.scrollY;
    const bar = document.querySelector('.controls')?.getBoundingClientRect().height ?? 0;
    window.scrollTo(0, top - bar - 10);
  });
}

const title = (page) => page.locator('#scenario-title').textContent();
const notes = async (page) => (await page.locator('#import-notes').textContent()) ?? '';

test('a pasted zoneinfo and a dropped gzip file import, with notes and copyable commands', async () => {
  await context().grantPermissions(['clipboard-read', 'clipboard-write']);
  const { page, errors } = await open();
  await page.setViewportSize({ width: 1440, height: 900 });
  const panel = page.locator('#import');

  // A bare /proc/zoneinfo of the two-node machine, pasted.
  const c = await oracle('c-2node-1G-1G');
  await page.getByLabel('Machine snapshot').fill(section(c, '/proc/zoneinfo'));
  await page.getByRole('button', { name: 'Import machine' }).click();
  await page.locator('#import-notes').waitFor();
  assert.equal(await title(page), 'Imported machine');
  assert.match(await notes(page), /the memory ranges were built from \/proc\/zoneinfo/);
  assert.match(await notes(page), /zoneinfo does not say which node each CPU is on/);

  // The capture commands, each with its Copy button.
  await panel.locator('summary', { hasText: 'How to capture one' }).click();
  await panel.getByRole('button', { name: /Copy: A snapshot/ }).click();
  await panel.locator('.copied').waitFor();
  assert.equal(await panel.locator('.copied').textContent(), 'Copied.');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(copied, /^\{ echo '==> dmesg <=='; dmesg; tail -n \+1 -v \/proc\/cmdline \/proc\/zoneinfo/);
  await toPanel(page);
  await page.screenshot({ path: join(ROOT, 'test-results', 'import-1440x900.png') });

  // A gzipped snapshot of the one-node 4 GiB machine, dropped on the panel.
  await page.getByLabel('Machine snapshot').fill('');
  const b = await oracle('b-1node-4G');
  const gz = gzipSync(Buffer.from(b));
  await drop(page, [['machine.snapshot.gz', gz]]);
  await panel.locator('ul.chosen li').waitFor();
  assert.equal(await panel.locator('ul.chosen li').textContent(), `machine.snapshot.gz (${gz.length} bytes)`);
  await page.getByRole('button', { name: 'Import machine' }).click();
  await page.waitForFunction(() => /buddyinfo was read/.test(document.getElementById('import-notes')?.textContent ?? ''));
  assert.equal(await title(page), 'Imported machine');
  assert.doesNotMatch(await notes(page), /built from \/proc\/zoneinfo/);
  assert.match(await notes(page), /\/proc\/buddyinfo was read: its zones \(0\/DMA, 0\/DMA32, 0\/Normal\)/);

  await page.setViewportSize({ width: 1024, height: 768 });
  await toPanel(page);
  await page.screenshot({ path: join(ROOT, 'test-results', 'import-1024x768.png') });

  // A UTF-16 file gets one sentence, and the machine stays.
  await page.getByRole('button', { name: 'Clear files' }).click();
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(section(c, '/proc/zoneinfo'), 'utf16le')]);
  await drop(page, [['zoneinfo.txt', utf16]]);
  await panel.locator('ul.chosen li').waitFor();
  await page.getByRole('button', { name: 'Import machine' }).click();
  await page.locator('#import-error').waitFor();
  assert.match(await page.locator('#import-error').textContent(), /zoneinfo\.txt: this file is UTF-16 \(little-endian, with a byte-order mark\); save it as UTF-8/);
  assert.equal(await title(page), 'Imported machine');
  await shot(page, 'import-full');
  assert.deepEqual(errors, []);
  await page.close();
});
