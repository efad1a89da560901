// End-to-end tests of finding one's way through a run: the go-to box, library links
// with a step, Apply keeping the call, the whole-call switch, Next of a kind, the
// watermark gauges' geometry (nothing clipped, no labels overlapping) at two sizes, and
// the kernel source links of the step panel's events and frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { playground, ROOT, SHOTS } from './harness.mjs';

const { open, shot } = playground('/');

const stepOf = async (page) => Number((await page.locator('#step-counter').textContent()).match(/step (\d+)/)[1]);
const lastOf = async (page) => Number((await page.locator('#step-counter').textContent()).match(/of (\d+)/)[1]);
const callOf = async (page) => Number((await page.locator('#call-heading').textContent()).match(/^Call (\d+) of/)[1]);
const waitForCounter = (page, text) =>
  page.waitForFunction((t) => document.getElementById('step-counter').textContent !== t, text);

test('the go-to box takes a step or a call from the keyboard, and refuses nonsense with a message', async () => {
  const { page, errors } = await open();
  const box = page.getByRole('textbox', { name: 'Go to step or call' });
  // Reached with Tab from the Speed select? Reached by focus, and typed shortcuts do not fire in it.
  await box.focus();
  let before = await page.locator('#step-counter').textContent();
  await page.keyboard.type('100');
  assert.equal(await page.locator('#step-counter').textContent(), before, 'typing digits is not a shortcut');
  await page.keyboard.press('Enter');
  await waitForCounter(page, before);
  assert.equal(await stepOf(page), 100);
  before = await page.locator('#step-counter').textContent();
  await box.fill('call 7');
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await waitForCounter(page, before);
  assert.equal(await callOf(page), 7);
  assert.match(await page.locator('#step-sentence').textContent(), /^About to call /);
  const s = await stepOf(page);
  await box.fill('call 99999999');
  await box.press('Enter');
  assert.match(await page.getByRole('alert').textContent(), /There is no call 99999999: calls are numbered 1 to \d+\./);
  await box.fill('banana');
  await box.press('Enter');
  await page.waitForFunction(() => /“banana” is not a step/.test(document.getElementById('notice').textContent));
  assert.equal(await stepOf(page), s, 'the cursor stays');
  // The page keeps working.
  await page.getByRole('button', { name: 'Step forward', exact: true }).click();
  await page.waitForFunction((x) => document.getElementById('step-counter').textContent.startsWith(`step ${x + 1} `), s);
  await shot(page, 'go-to-box');
  assert.deepEqual(errors, []);
  await page.close();
});

test("a library link's step wins over the scenario's own", async () => {
  const { page: plain } = await open('#library=split-merge');
  const own = await stepOf(plain);
  await plain.close();
  assert.notEqual(own, 40);
  const { page, errors } = await open('#library=split-merge&step=40');
  assert.equal(await stepOf(page), 40);
  assert.match(await page.locator('#notice').textContent(), /Opened library scenario “split-merge”.* at step 40 of/);
  // The picker shows the entry the link opened, not the default.
  assert.equal(await page.locator('#library-pick').inputValue(), 'split-merge');
  assert.equal(await page.locator('#library-pick option:checked').textContent(), await page.locator('#scenario-title').textContent());
  assert.deepEqual(errors, []);
  await page.close();
});

test('Apply (machine, workload, scenario file) keeps the same call, else goes to the start', async () => {
  const { page, errors } = await open();
  const box = page.getByRole('textbox', { name: 'Go to step or call' });
  let before = await page.locator('#step-counter').textContent();
  await box.fill('call 100');
  await box.press('Enter');
  await waitForCounter(page, before);
  assert.equal(await callOf(page), 100);
  // The machine form.
  await page.locator('#section-bits').fill('26');
  await page.getByRole('button', { name: 'Apply machine' }).click();
  await page.waitForFunction(() => /Applied your changes/.test(document.getElementById('notice').textContent));
  assert.equal(await callOf(page), 100);
  assert.notEqual(await stepOf(page), await lastOf(page), 'not the last step');
  // The scenario file.
  await page.locator('details.raw summary').click();
  const toml = await page.getByLabel('Scenario file').inputValue();
  await page.getByLabel('Scenario file').fill(toml.replace(/^title = .*$/m, 'title = "Retitled"'));
  await page.getByRole('button', { name: 'Apply scenario file' }).click();
  await page.waitForFunction(() => document.getElementById('scenario-title').textContent === 'Retitled');
  assert.equal(await callOf(page), 100);
  // A workload too short to have call 100: the start.
  await page.getByLabel('Workload', { exact: true }).fill('alloc a order=0 count=3\nfree a\n');
  await page.getByRole('button', { name: 'Apply workload' }).click();
  await page.waitForFunction(() => /Applied your changes/.test(document.getElementById('notice').textContent) && document.getElementById('step-counter').textContent.startsWith('step 0 '));
  assert.equal(await stepOf(page), 0);
  await shot(page, 'apply-keeps-call');
  assert.deepEqual(errors, []);
  await page.close();
});

test('no spoilers: the step shows the events so far, the return once reached; a switch shows the whole call', async () => {
  const { page, errors } = await open();
  await page.setViewportSize({ width: 1440, height: 900 });
  const panel = (name) => page.locator('section.step').screenshot({ path: join(SHOTS, `${name}.png`) });
  // The default opens inside an allocation.
  assert.match(await page.locator('#step-outcome').textContent(), /not yet/);
  assert.equal(await page.locator('#call-events li.ahead').count(), 0, 'no event ahead is listed');
  assert.match(await page.locator('#events-hidden').textContent(), /^\d+ more events? ahead, hidden/);
  assert.doesNotMatch(await page.locator('.step').textContent(), /allocation #/);
  await panel('step-panel-so-far');
  await page.getByRole('checkbox', { name: /Show the whole call/ }).check();
  await page.locator('#call-events li.ahead').first().waitFor();
  assert.match(await page.locator('#step-outcome').textContent(), /^Will return: allocation #\d+ \(the \d+(st|nd|rd|th) allocation\)/);
  await panel('step-panel-whole-call');
  // Kept while stepping; off again, stepping over shows what it returned.
  await page.getByRole('button', { name: 'Step forward', exact: true }).click();
  assert.ok(await page.getByRole('checkbox', { name: /Show the whole call/ }).isChecked());
  await page.getByRole('checkbox', { name: /Show the whole call/ }).uncheck();
  await page.getByRole('button', { name: 'Step over', exact: true }).click();
  await page.waitForFunction(() => /^Returned: /.test(document.getElementById('step-outcome')?.textContent ?? ''));
  const outcome = await page.locator('#step-outcome').textContent();
  const [, index, nth] = outcome.match(/allocation #(\d+) \(the (\d+)(?:st|nd|rd|th) allocation\)/);
  assert.equal(Number(nth), Number(index) + 1);
  const call = await callOf(page);
  assert.notEqual(call, Number(index), 'the call number and the allocation index count different things');
  assert.match(await page.locator('#call-heading').textContent(), /^Call \d+ of \d+ \(calls count every operation/);
  await panel('step-panel-returned');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Next of a kind goes to the next steal, and says when there is no merge ahead', async () => {
  const { page, errors } = await open();
  const s = await stepOf(page);
  await page.getByLabel('Event kind').selectOption('steal');
  const before = await page.locator('#step-counter').textContent();
  await page.getByRole('button', { name: 'Next of this kind' }).click();
  await waitForCounter(page, before);
  assert.ok((await stepOf(page)) > s);
  assert.match(await page.locator('#call-stack li').last().textContent(), /__rmqueue_fallback/);
  await page.getByLabel('Event kind').selectOption('merge');
  const here = await stepOf(page);
  await page.getByRole('button', { name: 'Next of this kind' }).click();
  await page.waitForFunction(() => /^No buddy merge .* after this step\.$/.test(document.getElementById('notice').textContent));
  assert.equal(await stepOf(page), here);
  await shot(page, 'next-steal');
  assert.deepEqual(errors, []);
  await page.close();
});

for (const [width, height] of [[1440, 900], [1024, 768]]) {
  test(`gauges at ${width}×${height}: an axis, nothing clipped, no mark labels overlapping`, async () => {
    const { page, errors } = await open();
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(100);
    const gauges = await page.locator('#gauges .gauge').evaluateAll((gs) => gs.map((g) => {
      const box = (e) => { const r = e.getBoundingClientRect(); return { l: r.left, r: r.right, t: r.top, b: r.bottom, w: r.width }; };
      const bar = g.querySelector('.bar');
      return {
        zone: g.dataset.zone,
        free: Number(bar.getAttribute('aria-valuenow')),
        scale: Number(bar.getAttribute('aria-valuemax')),
        bar: box(bar),
        fill: box(g.querySelector('.fill')),
        labels: [...g.querySelectorAll('.mark span')].map((s) => ({ name: s.textContent, ...box(s) })),
        ticks: [...g.querySelectorAll('.axis .tick')].map((t) => ({ text: t.textContent, ...box(t) })),
        section: box(g.closest('section')),
      };
    }));
    assert.ok(gauges.length >= 3, 'three zones on two nodes');
    const node1 = gauges.find((g) => g.zone === '1:DMA32');
    assert.ok(node1.free > 60000, `node 1 has ${node1.free} free pages`);
    for (const g of gauges) {
      assert.ok(g.scale >= g.free, `${g.zone}: scale ${g.scale} below ${g.free} free pages`);
      assert.ok(g.fill.w > 0 && g.fill.r <= g.bar.r + 0.5, `${g.zone}: the fill stays in the bar`);
      // The fill's length is the free pages on the axis's scale.
      assert.ok(Math.abs(g.fill.w / g.bar.w - g.free / g.scale) < 0.01, `${g.zone}: fill ${g.fill.w}/${g.bar.w} vs ${g.free}/${g.scale}`);
      assert.equal(g.ticks[0].text, '0');
      assert.equal(Number(g.ticks.at(-1).text.replaceAll(',', '')), g.scale);
      for (const t of g.ticks) assert.ok(t.l >= g.bar.l - 0.5 && t.r <= g.bar.r + 0.5, `${g.zone}: tick ${t.text} inside the bar's width`);
      assert.deepEqual(g.labels.map((l) => l.name).sort(), ['high', 'low', 'min']);
      for (const [i, a] of g.labels.entries()) {
        assert.ok(a.l >= g.section.l && a.r <= g.section.r, `${g.zone}: label ${a.name} inside the panel`);
        for (const b of g.labels.slice(i + 1)) {
          const overlap = a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;
          assert.ok(!overlap, `${g.zone} at ${width}px: ${a.name} and ${b.name} overlap`);
        }
      }
    }
    await page.locator('#gauges').screenshot({ path: join(SHOTS, `gauges-${width}x${height}.png`) });
    await page.screenshot({ path: join(SHOTS, `steps-${width}x${height}.png`) });
    assert.deepEqual(errors, []);
    await page.close();
  });
}

// The kernel source line of each event and frame (docs/source-lines.md): the links'
// numbers must be the engine's table's, read here from the generated file itself.
const sourceTable = await readFile(join(ROOT, 'core', 'src', 'event', 'source_lines.rs'), 'utf8');
const tableSection = (name) => sourceTable.split(`pub const ${name}:`)[1].split('];')[0];
const decisionLine = (kernel, decision) => {
  const row = tableSection(`DECISIONS_${kernel}`).match(new RegExp(`\\(Decision::${decision}, "(\\w+)", "([^"]+)", (\\d+),`));
  return { file: row[2], line: Number(row[3]) };
};
const functionLine = (kernel, name) => {
  const row = tableSection(`FUNCTIONS_${kernel}`).match(new RegExp(`\\("${name}", "\\w+", "([^"]+)", (\\d+),`));
  return row && { file: row[1], line: Number(row[2]) };
};
const elixir = (tag, { file, line }) => `https://elixir.bootlin.com/linux/${tag}/source/${file}#L${line}`;

test("each event and each frame of the call stack links to its kernel line on Elixir", async () => {
  const { page, errors } = await open('#library=split-merge');
  // Step until an expand() split has been passed.
  const forward = page.getByRole('button', { name: 'Step forward', exact: true });
  for (let i = 0; i < 400; i++) {
    const fns = await page.locator('#call-events li:not(.ahead) code.fn').allTextContents();
    if (fns.includes('expand')) break;
    const before = await page.locator('#step-counter').textContent();
    await forward.click();
    await waitForCounter(page, before);
  }
  const split = page.locator('#call-events li:not(.ahead)', { has: page.locator('code.fn', { hasText: /^expand$/ }) }).first();
  const link = split.locator('a.source-line');
  const want = decisionLine('V6_1', 'SplitHalf');
  assert.equal(await link.getAttribute('href'), elixir('v6.1.192', want));
  assert.equal(await link.textContent(), `${want.file}:${want.line}`);
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener');
  assert.match(await link.getAttribute('title'), /^expand\(\) in Linux 6\.1 \(v6\.1\.192\), mm\/page_alloc\.c line \d+/);
  // Every frame of the call stack whose function the table has links to where it starts.
  const frames = page.locator('#call-stack li');
  const count = await frames.count();
  assert.ok(count >= 2, `${count} frames`);
  let linked = 0;
  for (let i = 0; i < count; i++) {
    const frame = frames.nth(i);
    const name = await frame.locator('code.fn').textContent();
    const where = functionLine('V6_1', name);
    const anchor = frame.locator('a.source-line');
    if (where === null) {
      assert.equal(await anchor.count(), 0, `${name} has no line but a link`);
      continue;
    }
    assert.equal(await anchor.getAttribute('href'), elixir('v6.1.192', where), name);
    linked += 1;
  }
  assert.ok(linked >= 2, `${linked} frames linked`);
  for (const [width, height] of [[1440, 900], [1024, 768]]) {
    await page.setViewportSize({ width, height });
    await page.locator('section.step').screenshot({ path: join(SHOTS, `step-source-lines-${width}.png`) });
  }
  assert.deepEqual(errors, []);
  await page.close();
});
