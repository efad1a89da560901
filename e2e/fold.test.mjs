// End-to-end test of what a first look shows: at 1440x900 and 1024x768, and in an
// 800x600 embed, the controls, the address-space picture and the step's sentence are
// all inside the first screen, and the lesson text is one click away (folded at the
// top). Screenshots of the first screen land in test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { playground, SHOTS } from './harness.mjs';
import { watchErrors } from './browser.mjs';

const { url, context } = playground('/');

/** The bottom edge of an element, and whether it starts inside the viewport. */
async function box(page, selector) {
  const found = await page.locator(selector).first().boundingBox();
  assert.ok(found, `${selector} is on the page`);
  return found;
}

for (const [width, height, suffix, name] of [
  [1440, 900, '', 'fold-1440x900'],
  [1024, 768, '', 'fold-1024x768'],
  [800, 600, '?embed=1', 'fold-embed-800x600'],
]) {
  test(`${name}: controls, picture and the step's sentence are above the fold`, async () => {
    const page = await context().newPage();
    await page.setViewportSize({ width, height });
    const errors = watchErrors(page);
    await page.goto(url() + suffix);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
    await page.waitForFunction(() => document.getElementById('address-canvas')?.dataset.drawMs !== undefined);
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
    const step = await box(page, 'button:has-text("Step")');
    assert.ok(step.y + step.height <= height, `the Step button ends at ${step.y + step.height}, below ${height}`);
    const canvas = await box(page, '#address-canvas');
    assert.ok(canvas.height >= 150, `the picture is ${canvas.height} px tall`);
    assert.ok(canvas.y + canvas.height <= height, `the picture ends at ${canvas.y + canvas.height}, below ${height}`);
    const sentence = await box(page, '#step-sentence');
    assert.ok(sentence.y + sentence.height <= height, `the sentence ends at ${sentence.y + sentence.height}, below ${height}`);
    assert.ok((await page.locator('#step-sentence').textContent()).trim().length > 20, 'the sentence says something');
    if (!suffix) {
      // The lesson is folded at the top and opens with one click.
      const summary = page.locator('section.about summary');
      const top = await summary.boundingBox();
      assert.ok(top && top.y < height, 'the lesson is reachable on the first screen');
      assert.equal(await page.locator('section.about p').isVisible(), false);
      await summary.click();
      assert.equal(await page.locator('section.about p').isVisible(), true);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });
}
