// End-to-end test of the kernel badge, the kernel switch and the "Compare kernels"
// view: a library scenario opens on Linux 6.1, the switch re-runs it on 6.12 (the
// badge, the partial-model note and the link follow, and the link reopens 6.12), and
// the comparison shows ZONE_MOVABLE's watermarks on both kernels and puts the cursor
// on the first call whose events differ. Screenshots at 1440x900 and 1024x768.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { playground, ROOT, SHOTS } from './harness.mjs';

const { open } = playground('/');

const badge = (page) => page.locator('#kernel-badge').textContent();
const hash = (page) => page.evaluate(() => window.location.hash);

/** The scenario a link holds, as `buddyscope open` prints it (when the CLI is built). */
function scenarioOf(link) {
  const cli = ['release', 'debug'].map((p) => join(ROOT, 'target', p, 'buddyscope')).find(existsSync);
  return cli ? execFileSync(cli, ['open', link], { encoding: 'utf8' }) : null;
}

for (const [width, height] of [[1440, 900], [1024, 768]]) {
  test(`${width}x${height}: the kernel switch re-runs the scenario, the link carries it, the comparison finds the first difference`, async () => {
    const { page, errors } = await open('#library=zone-movable');
    await page.setViewportSize({ width, height });
    assert.equal(await badge(page), 'Linux 6.1');
    assert.equal(await page.locator('#kernel-note').count(), 0, 'no partial-model note on 6.1');
    await page.waitForFunction(() => window.location.hash.startsWith('#s='));
    const oldLink = await hash(page);
    const oldText = scenarioOf(oldLink);
    if (oldText !== null) assert.doesNotMatch(oldText, /^kernel = /m, 'a 6.1 scenario has no kernel key');
    const title = await page.locator('#scenario-title').textContent();

    await page.locator('#kernel-switch').click();
    await page.waitForFunction(() => document.getElementById('kernel-badge').textContent === 'Linux 6.12');
    assert.equal(await page.locator('#scenario-title').textContent(), title, 'the same scenario');
    assert.match(await page.locator('#notice').textContent(), /^Re-ran on Linux 6\.12: /);
    assert.match(await page.locator('#kernel-note').textContent(), /^kernel 6\.12: boot-time setup, allocation and free follow Linux 6\.12; not yet 6\.12's: decay_pcp_high\(\)/);
    assert.equal(await page.locator('#kernel-switch').textContent(), 'Run on Linux 6.1');
    await page.waitForFunction((old) => window.location.hash !== old, oldLink);
    const newLink = await hash(page);
    const newText = scenarioOf(newLink);
    if (newText !== null) assert.match(newText, /^kernel = "6\.12"/m);
    await page.screenshot({ path: join(SHOTS, `kernel-switch-${width}x${height}.png`) });

    // Compare: ZONE_MOVABLE's watermarks differ, and the first call's watermark check.
    const started = Date.now();
    await page.locator('#kernel-compare').click();
    await page.waitForSelector('#kernel-boot');
    console.log(`note: Compare kernels on zone-movable took ${Date.now() - started} ms (two runs of its ${await page.locator('#kernel-summary').textContent().then((t) => t.match(/^(\d+) calls/)[1])} calls)`);
    const movable = page.locator('#kernel-boot tr', { hasText: 'Node 0 Movable' });
    assert.equal(await movable.count(), 1);
    assert.match(await page.locator('#kernel-boot-summary').textContent(), /watermarks, lowmem_reserve or batch differ in 3 of 3 populated zones/);
    assert.match(await page.locator('#kernel-first h3').textContent(), /^First difference: call 1 \(the first call whose events differ\)/);
    const sides = page.locator('.kernel-side');
    assert.equal(await sides.count(), 2);
    assert.equal(await sides.nth(0).locator('h4').textContent(), 'Linux 6.1');
    assert.equal(await sides.nth(1).locator('h4').textContent(), 'Linux 6.12');
    // 6.1 checks the low mark; 6.12 first tests the high mark (ZONE_BELOW_HIGH clear).
    const expected = [/^zone_watermark_fast zone 0:Movable/, /^get_page_from_freelist zone 0:Movable order \d+, ZONE_BELOW_HIGH is clear/];
    for (const i of [0, 1]) {
      const marked = sides.nth(i).locator('li.differs');
      assert.equal(await marked.count(), 1);
      assert.match(await marked.textContent(), expected[i]);
    }
    const oldLow = (await sides.nth(0).locator('li.differs').textContent()).match(/ low (\d+) /)[1];
    const newHigh = (await sides.nth(1).locator('li.differs').textContent()).match(/ high (\d+) /)[1];
    assert.notEqual(oldLow, newHigh, 'the two kernels check against different marks');
    assert.match(await page.locator('#kernel-summary').textContent(), /calls compared, \d+ differ; outcomes first differ at call \d+/);
    const returns = await page.locator('#kernel-outcome li').allTextContents();
    assert.equal(returns.length, 2);
    assert.match(returns[0], /^Linux 6\.1: allocation #\d+/);
    assert.match(returns[1], /^Linux 6\.12: allocation #\d+/);
    await page.locator('#kernel-diff').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, `kernel-compare-${width}x${height}.png`) });
    await page.locator('#kernel-summary').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: join(SHOTS, `kernel-compare-end-${width}x${height}.png`) });

    // Jump: the cursor goes to call 1, just past the differing event.
    await page.locator('#kernel-go-first').click();
    await page.waitForFunction(() => /^Call 1 of /.test(document.getElementById('call-heading').textContent));
    // ... and the step panel is brought into view, below the sticky controls.
    const heading = await page.locator('#call-heading').boundingBox();
    const controls = await page.locator('.controls').boundingBox();
    assert.ok(heading.y >= controls.y + controls.height - 1 && heading.y < height, `the call heading is at ${heading.y}`);
    await page.screenshot({ path: join(SHOTS, `kernel-jumped-${width}x${height}.png`) });
    const current = page.locator('#call-events li.current');
    const text = await current.textContent();
    assert.match(text, /^get_page_from_freelist zone 0:Movable/);
    assert.ok(text.includes(` high ${newHigh} `), `the 6.12 run's check: ${text}`);

    // The 6.12 link reopens on 6.12; switching back drops the note.
    const { page: reopened } = await open(newLink);
    assert.equal(await badge(reopened), 'Linux 6.12');
    await reopened.close();
    await page.locator('#kernel-switch').click();
    await page.waitForFunction(() => document.getElementById('kernel-badge').textContent === 'Linux 6.1');
    assert.equal(await page.locator('#kernel-note').count(), 0);
    await page.waitForFunction((old) => window.location.hash.split('&step=')[0] === old.split('&step=')[0], oldLink);
    assert.deepEqual(errors, []);
    await page.close();
  });
}
