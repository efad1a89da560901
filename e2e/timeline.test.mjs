// End-to-end test of the "Timeline" panel: on the watermark-boost lesson, opening the
// panel draws the plots (free pages against the watermarks, the extfrag indexes, the
// event rows, in their palette colours), a click on the plots moves the cursor to the
// call under it (the step counter and the cursor line follow), and "Save as PNG" and
// "Save as SVG" download real files (a PNG of the canvas's size; an SVG that parses,
// with a path per line and per marker row and the cursor). Step latency is printed
// with the panel closed and open (`measure:` lines), and the draw time. Screenshots of
// the panel at 1440x900 and 1024x768 under test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { playground, SHOTS } from './harness.mjs';
import { canvasStats } from './browser.mjs';
import { MILLION, stepLatency } from './measure.mjs';

const { open } = playground('/');

const LEFT_PX = 170; // view::TIMELINE_LEFT_PX
const RIGHT_PX = 30; // view::TIMELINE_RIGHT_PX
const TITLE_PX = 40; // view::TIMELINE_TITLE_PX
const PLOT_PX = 150; // view::TIMELINE_PLOT_PX

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rgb = (hex) => parseInt(hex.slice(1), 16);

async function stepTimes(page) {
  const times = [];
  for (let i = 0; i < 6; i++) {
    times.push(await stepLatency(page, 'Step forward'));
    times.push(await stepLatency(page, 'Step back'));
  }
  return median(times);
}

async function drawn(page) {
  await page.waitForFunction(() => document.getElementById('timeline-canvas')?.dataset.drawMs !== undefined);
}

for (const [width, height] of [[1440, 900], [1024, 768]]) {
  test(`${width}x${height}: the timeline draws the run, seeks on click and saves PNG and SVG`, async () => {
    const { page, errors } = await open('#library=watermark-boost');
    await page.setViewportSize({ width, height });
    const closed = await stepTimes(page);

    assert.equal(await page.locator('#timeline-canvas').count(), 0, 'nothing drawn while closed');
    await page.locator('#timeline-toggle').click();
    await drawn(page);
    const open_ = await stepTimes(page);
    console.log(`measure: ${width}x${height} step latency (forward/back median), timeline closed ${closed.toFixed(1)} ms, open ${open_.toFixed(1)} ms`);

    // The plots are drawn: many pixels in the palette's colours, not a blank canvas.
    const stats = await canvasStats(page, 'timeline-canvas');
    const label = await page.locator('#timeline-canvas').getAttribute('aria-label');
    const calls = Number(label.match(/^Timeline of (\d+) calls/)[1]);
    assert.ok(calls > 1000, `the lesson has many calls (${calls})`);
    const columns = stats.width - LEFT_PX - RIGHT_PX;
    console.log(`measure: ${width}x${height} timeline of ${calls} calls in ${columns} columns drawn in ${await page.locator('#timeline-canvas').getAttribute('data-draw-ms')} ms`);
    assert.ok(stats.distinctColours > 8, `distinct colours ${stats.distinctColours}`);
    const count = (hex) => stats.counts[rgb(hex)] ?? 0;
    for (const [name, hex] of [['free pages', '#000000'], ['min', '#D55E00'], ['low', '#E69F00'], ['high', '#009E73'],
      ['unusable index', '#0072B2'], ['boost marker', '#CC79A7'], ['kswapd woken marker', '#56B4E9']]) {
      assert.ok(count(hex) > 20, `${name} (${hex}) drawn: ${count(hex)} pixels`);
    }
    const white = count('#FFFFFF');
    assert.ok(white < stats.width * stats.height * 0.95, 'not blank');

    // The zone and order selectors redraw.
    const zones = await page.locator('#timeline-zone option').count();
    assert.ok(zones >= 1);
    await page.locator('#timeline-order').selectOption('3');
    await page.waitForFunction(() => /order 3/.test(document.getElementById('timeline-canvas').getAttribute('aria-label')));
    // Scaled to the watermarks, the marks take more of the plot: more pixels in
    // the high mark's colour.
    const highBefore = count('#009E73');
    await page.locator('#timeline-scale').selectOption('marks');
    await page.waitForFunction(() => /scaled to the watermarks/.test(document.getElementById('timeline-canvas').getAttribute('aria-label')));
    const scaled = await canvasStats(page, 'timeline-canvas');
    assert.ok((scaled.counts[rgb('#009E73')] ?? 0) > highBefore, 'the high mark is drawn larger');

    // A click in the middle of the free-pages plot moves the cursor to that call.
    const box = await page.locator('#timeline-canvas').boundingBox();
    const scale = box.width / stats.width;
    const column = Math.floor(columns / 2);
    const before = await page.locator('#step-counter').textContent();
    await page.locator('#timeline-canvas').click({
      position: { x: (LEFT_PX + column) * scale + 0.2, y: (TITLE_PX + PLOT_PX / 2) * scale },
    });
    await page.waitForFunction((b) => document.getElementById('step-counter').textContent !== b, before);
    const expected = Math.floor((column * calls) / columns);
    await page.waitForFunction(() => document.getElementById('timeline-cursor').dataset.call !== '');
    const landed = Number(await page.locator('#timeline-cursor').getAttribute('data-call'));
    assert.equal(landed, expected, `the cursor moved to the first call of the clicked column (${column} of ${columns})`);
    // The cursor's line is drawn in that column (dark grey dashes).
    const line = await page.evaluate(({ x, top }) => {
      const ctx = document.getElementById('timeline-canvas').getContext('2d');
      const px = ctx.getImageData(x, top, 1, 40).data;
      let dark = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] === 0x33 && px[i + 1] === 0x33 && px[i + 2] === 0x33) dark++;
      return dark;
    }, { x: LEFT_PX + column, top: TITLE_PX });
    assert.ok(line > 10, `cursor line in column ${column}: ${line} dark pixels`);
    assert.match(await page.locator('#timeline-cursor').textContent(), new RegExp(`after call ${landed}\\.`));

    // Save as PNG: a real PNG of the canvas's size.
    const [png] = await Promise.all([page.waitForEvent('download'), page.locator('#timeline-png').click()]);
    assert.equal(png.suggestedFilename(), 'buddyscope-timeline.png');
    const pngBytes = await readFile(await png.path());
    assert.deepEqual([...pngBytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(pngBytes.readUInt32BE(16), stats.width, 'PNG width');
    assert.equal(pngBytes.readUInt32BE(20), stats.height, 'PNG height');
    assert.ok(pngBytes.length > 5000, `PNG of ${pngBytes.length} bytes`);

    // Save as SVG: a document that parses, built from the same view.
    const [svg] = await Promise.all([page.waitForEvent('download'), page.locator('#timeline-svg').click()]);
    assert.equal(svg.suggestedFilename(), 'buddyscope-timeline.svg');
    const svgText = await readFile(await svg.path(), 'utf8');
    assert.match(svgText, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="(\d+)" height="(\d+)"/);
    assert.equal(Number(svgText.match(/width="(\d+)"/)[1]), stats.width);
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const filled = (cls) => [...doc.querySelectorAll(`path.${cls}`)].filter((p) => p.getAttribute('d').length > 0).length;
      return {
        errors: doc.getElementsByTagName('parsererror').length,
        lines: doc.querySelectorAll('path.line').length,
        linesDrawn: filled('line'),
        markers: doc.querySelectorAll('path.marker').length,
        markersDrawn: filled('marker'),
        cursor: doc.querySelectorAll('.cursor').length,
        texts: [...doc.querySelectorAll('text')].map((t) => t.textContent),
      };
    }, svgText);
    assert.equal(parsed.errors, 0, 'the SVG parses');
    assert.equal(parsed.lines, 7, 'free, min, low, high, boost; unusable, fragmentation');
    assert.ok(parsed.linesDrawn >= 6, `lines with data: ${parsed.linesDrawn}`);
    assert.equal(parsed.markers, 9, 'a row per marker kind');
    assert.ok(parsed.markersDrawn >= 3, `marker rows with marks: ${parsed.markersDrawn}`);
    assert.equal(parsed.cursor, 1);
    assert.ok(parsed.texts.some((t) => /extfrag indexes for order 3/.test(t)));
    assert.ok(parsed.texts.some((t) => /^watermark boost \(\d+\)$/.test(t)));

    await page.locator('#timeline').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `timeline-${width}x${height}.png`) });
    await page.locator('#timeline').screenshot({ path: join(SHOTS, `timeline-panel-${width}x${height}.png`) });
    assert.deepEqual(errors, []);
    await page.close();
  });
}

// A million calls (the benchmark's steady workload): the timeline opens, draws every
// column, shows its bucket width, and a click still seeks.

test('1440x900: the timeline of a million calls', async () => {
  const { page, errors } = await open(`#s=p1.${encodeURIComponent(MILLION)}&step=100`);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.locator('#timeline-toggle').click();
  await drawn(page);
  const label = await page.locator('#timeline-canvas').getAttribute('aria-label');
  const calls = Number(label.match(/^Timeline of (\d+) calls/)[1]);
  assert.ok(calls >= 1000000, `${calls} calls`);
  console.log(`measure: timeline of ${calls} calls drawn in ${await page.locator('#timeline-canvas').getAttribute('data-draw-ms')} ms (view and canvas)`);
  const stats = await canvasStats(page, 'timeline-canvas');
  const columns = stats.width - LEFT_PX - RIGHT_PX;
  await page.locator('#timeline').scrollIntoViewIfNeeded();
  await page.locator('#timeline').screenshot({ path: join(SHOTS, 'timeline-panel-1m-1440x900.png') });
  // The free-pages line (the only dark one; anti-aliased, so "dark", not pure
  // black) has a value in every column.
  const blackColumns = await page.evaluate(({ left, top, height, columns }) => {
    const ctx = document.getElementById('timeline-canvas').getContext('2d');
    const px = ctx.getImageData(left, top, columns, height).data;
    const seen = new Set();
    for (let i = 0; i < px.length; i += 4) if (Math.max(px[i], px[i + 1], px[i + 2]) < 110) seen.add((i / 4) % columns);
    return seen.size;
  }, { left: LEFT_PX, top: TITLE_PX, height: PLOT_PX, columns });
  assert.ok(blackColumns >= columns - 2, `free pages drawn in ${blackColumns} of ${columns} columns`);
  assert.match(await page.locator('#timeline .hint').textContent(), /buckets of \d+ calls/);
  const before = await page.locator('#step-counter').textContent();
  await page.locator('#timeline-canvas').click({ position: { x: LEFT_PX + Math.floor(columns * 0.75) + 0.2, y: TITLE_PX + 20 } });
  await page.waitForFunction((b) => document.getElementById('step-counter').textContent !== b, before);
  assert.deepEqual(errors, []);
  await page.close();
});
