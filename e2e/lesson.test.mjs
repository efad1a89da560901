// End-to-end test of lesson mode (web/src/components/lesson.rs): a library lesson
// opened with `lesson=-` stops at its first question, waits for the answer (a step
// forward stays put), reveals a wrong answer with the right one and the explanation,
// keeps the progress in the URL across a reload, stops again at the next question
// when run to the end, takes a right answer from the keyboard alone, and opens in an
// embed in lesson mode. Screenshots at 1440x900 and 1024x768 land in test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { playground, SHOTS } from './harness.mjs';
import { watchErrors } from './browser.mjs';

const { url, context } = playground('/');

async function openAt(suffix, width, height) {
  const page = await context().newPage();
  await page.setViewportSize({ width, height });
  const errors = watchErrors(page);
  await page.goto(url() + suffix);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  await page.waitForFunction(() => document.getElementById('address-canvas')?.dataset.drawMs !== undefined);
  return { page, errors };
}

const text = async (page, selector) => (await page.locator(selector).textContent()).trim();
const hash = (page) => page.evaluate(() => decodeURIComponent(location.hash));

/** Presses a page shortcut with nothing focused (a focused field takes keys as text). */
async function shortcut(page, key) {
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(key);
}

test('a lesson stops at its questions, reveals and explains, and keeps the progress in the URL', async () => {
  const { page, errors } = await openAt('#library=split-merge&lesson=-', 1440, 900);
  assert.equal(await text(page, '#question-heading'), 'Question 1 of 2');
  assert.match(await text(page, '#question-ask'), /From which order's free list/);
  assert.match(await text(page, '#step-counter'), /^step 0 of /);
  // The number field has the focus; a step forward waits for the answer.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'question-number');
  await shortcut(page, 'ArrowRight');
  assert.match(await text(page, '#step-counter'), /^step 0 of /);
  assert.match(await text(page, '.notice'), /Question 1 waits for your answer/);
  // Wrong: the reveal says so, gives the answer and the explanation.
  await page.locator('#question-number').fill('9');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#question-verdict');
  assert.equal(await text(page, '#question-verdict'), 'Not this time: you answered 9.');
  assert.equal(await text(page, '#question-right'), 'The answer: 10.');
  assert.match(await text(page, '#question-explain'), /__rmqueue_fallback\(\) steals the largest Movable block/);
  assert.match(await text(page, '#lesson-progress'), /1 of 2 questions answered, 0 right/);
  assert.match(await hash(page), /&step=0&lesson=9$/);
  await page.screenshot({ path: join(SHOTS, 'lesson-wrong-1440x900.png') });
  // A reload keeps the answer and the reveal.
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  assert.equal(await text(page, '#question-verdict'), 'Not this time: you answered 9.');
  // Go on, then run to the end: the next question stops the run at call 2.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'question-go-on');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#question').count(), 0, 'no question at the next step');
  await shortcut(page, 'End');
  assert.equal(await text(page, '#question-heading'), 'Question 2 of 2');
  assert.match(await text(page, '#step-sentence'), /./);
  // Right, from the keyboard: the first choice has the focus; Space picks it, Tab
  // reaches the Answer button, Enter presses it.
  await page.setViewportSize({ width: 1024, height: 768 });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'question-choice-0');
  await page.screenshot({ path: join(SHOTS, 'lesson-asking-1024x768.png') });
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'question-submit');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#question-verdict');
  assert.equal(await text(page, '#question-verdict'), 'Right: 0x1020.');
  assert.match(await text(page, '#question-explain'), /expand\(\) puts its upper half, 0x1030/);
  assert.match(await text(page, '#lesson-progress'), /2 of 2 questions answered, 1 right/);
  assert.match(await hash(page), /&lesson=9,a$/);
  await page.screenshot({ path: join(SHOTS, 'lesson-right-1024x768.png') });
  // The question and its reveal are readable without scrolling at 1024x768.
  const card = await page.locator('#question').boundingBox();
  assert.ok(card.y + card.height <= 768, `the question ends at ${card.y + card.height}`);
  // Every question answered: the run goes to its end.
  await page.locator('#question-go-on').click();
  await shortcut(page, 'End');
  const [at, last] = (await text(page, '#step-counter')).match(/\d+/g);
  assert.equal(at, last);
  // Leaving lesson mode takes `lesson=` out of the URL.
  await page.locator('#lesson-leave').click();
  assert.doesNotMatch(await hash(page), /lesson=/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an embed opens in lesson mode and takes an answer', async () => {
  const { page, errors } = await openAt('?embed=1#library=zone-fallback&lesson=-', 1024, 768);
  assert.equal(await page.locator('#editor').count(), 0, 'an embed');
  assert.equal(await text(page, '#question-heading'), 'Question 1 of 2');
  assert.match(await text(page, '#question-ask'), /Which zone serves this order-3 GFP_KERNEL request/);
  await page.locator('label:has-text("b. DMA")').first().click();
  await page.locator('#question-submit').click();
  assert.equal(await text(page, '#question-verdict'), 'Right: DMA.');
  assert.match(await text(page, '#question-explain'), /585 is not above low 595/);
  assert.match(await hash(page), /&lesson=b$/);
  await page.screenshot({ path: join(SHOTS, 'lesson-embed-1024x768.png') });
  // Play stops at the next question, two steps on.
  await page.locator('#question-go-on').click();
  await shortcut(page, 'p');
  await page.waitForSelector('#question-number', { timeout: 20000 });
  assert.equal(await text(page, '#question-heading'), 'Question 2 of 2');
  assert.match(await page.locator('button:has-text("Play"), button:has-text("Pause")').first().textContent(), /Play/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a lesson opened without lesson= offers lesson mode, which starts at its question', async () => {
  const { page, errors } = await openAt('#library=highatomic', 1440, 900);
  assert.equal(await page.locator('#question').count(), 0, 'no question outside lesson mode');
  assert.match(await text(page, '.lesson-offer'), /This scenario asks 1 question as it runs/);
  await page.locator('#lesson-start').click();
  assert.equal(await text(page, '#question-heading'), 'Question 1 of 1');
  assert.match(await text(page, '#step-counter'), /^step 168885 of /);
  assert.match(await hash(page), /&step=168885&lesson=-$/);
  await page.locator('#question-number').fill('512');
  await page.locator('#question-submit').click();
  assert.equal(await text(page, '#question-verdict'), 'Right: 512.');
  await page.screenshot({ path: join(SHOTS, 'lesson-number-right-1440x900.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
