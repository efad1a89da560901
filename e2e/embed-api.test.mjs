// End-to-end test of the embed's postMessage API (docs/embedding.md, "Drive the embed
// from your notes"): the example host page (docs/embed-host.html) served from another
// origin than the playground drives the embed: loads the split-merge lesson, steps it,
// goes to a call, plays and pauses, switches views; every cursor it receives is
// compared with what the embed shows at that moment. Hostile messages (wrong types, a
// 50 MB string, a deep object, many keys, unknown verbs, another version, data that
// is not an object, a page of an origin not allowed) are refused with the problem
// named or ignored, and the embed keeps answering. Screenshots of the host page at
// 1440x900 and 1024x768.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serve } from './server.mjs';
import { launch, watchErrors } from './browser.mjs';
import { ROOT, SHOTS } from './harness.mjs';

let embedServer;
let notesServer;
let otherServer;
let context;
before(async () => {
  await mkdir(SHOTS, { recursive: true });
  embedServer = await serve(join(ROOT, 'dist'), '/');
  // The notes: another port, so another origin than the playground.
  notesServer = await serve(join(ROOT, 'docs'), '/notes/');
  otherServer = await serve(join(ROOT, 'docs'), '/other/');
  context = await launch();
});
after(async () => {
  await context?.close();
  await Promise.all([embedServer, notesServer, otherServer].map((s) => s?.close()));
});

/** The host page with the embed ready: the page, the embed's frame, errors logged. */
async function openNotes(width = 1440, height = 900) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  const errors = watchErrors(page);
  await page.goto(`${notesServer.url}embed-host.html?playground=${encodeURIComponent(embedServer.url)}`);
  await page.waitForFunction(() => window.received?.some((m) => m.reply === 'ready'), null, { timeout: 60000 });
  const frame = page.frames().find((f) => f.url().startsWith(embedServer.url));
  assert.ok(frame, 'the embed frame');
  await frame.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  return { page, frame, errors };
}

/** Sends `request` through the host page; resolves with its answer (ack or refused). */
async function request(page, req) {
  const id = await page.evaluate((req) => window.send(req), req);
  const handle = await page.waitForFunction(
    (id) => window.received.find((m) => m.id === id && (m.reply === 'ack' || m.reply === 'refused')),
    id,
    { timeout: 30000 },
  );
  return handle.jsonValue();
}

/** Posts raw data (no version or id added) and waits for the next refusal. */
async function raw(page, make) {
  const before = await page.evaluate(() => window.received.length);
  const started = Date.now();
  await page.evaluate(
    ([make, origin]) => {
      const data = new Function(`return (${make})`)();
      document.getElementById('playground').contentWindow.postMessage(data, origin);
    },
    [make, new URL(embedServer.url).origin],
  );
  const handle = await page.waitForFunction(
    (n) => window.received.slice(n).find((m) => m.reply === 'refused'),
    before,
    { timeout: 30000 },
  );
  return { reply: await handle.jsonValue(), ms: Date.now() - started };
}

/** The last cursor received. */
const lastCursor = (page) => page.evaluate(() => window.received.filter((m) => m.reply === 'cursor').at(-1));

/** Waits until the embed's step counter and sentence match the last cursor, and returns it. */
async function cursorMatchesPage(page, frame) {
  for (let tries = 0; tries < 50; tries++) {
    const cursor = await lastCursor(page);
    const counter = await frame.locator('#step-counter').textContent();
    const sentence = await frame.locator('#step-sentence').textContent();
    const heading = await frame.locator('#call-heading').textContent();
    if (cursor && counter === `step ${cursor.step} of ${cursor.last_step}` && sentence === cursor.sentence &&
      heading.startsWith(`Call ${cursor.call} of ${cursor.calls}`)) {
      return cursor;
    }
    await page.waitForTimeout(100);
  }
  const cursor = await lastCursor(page);
  assert.fail(`cursor ${JSON.stringify(cursor)} does not match the embed: ${await frame.locator('#step-counter').textContent()}`);
}

test('the notes load a lesson, step it and read every event the embed shows', async () => {
  const { page, frame, errors } = await openNotes();
  const ready = await page.evaluate(() => window.received.find((m) => m.reply === 'ready'));
  assert.equal(ready.buddyscope, 1);
  assert.deepEqual(ready.verbs, ['load', 'go-to', 'step-forward', 'step-back', 'step-over', 'play', 'pause', 'view']);

  const ack = await request(page, { verb: 'load', library: 'split-merge', lesson: true });
  assert.equal(ack.reply, 'ack', JSON.stringify(ack));
  assert.equal(ack.verb, 'load');
  await frame.waitForSelector('#lesson-progress');
  let cursor = await cursorMatchesPage(page, frame);
  assert.equal(cursor.kernel, '6.1');

  // In lesson mode a move forward stops at the question, as the embed's buttons do:
  // the request is carried out and the cursor says where the embed is.
  assert.equal((await request(page, { verb: 'step-forward' })).reply, 'ack');
  await cursorMatchesPage(page, frame);

  // Out of lesson mode, step through the first events from step 0: every cursor is
  // what the embed shows, and each event's facts are in the sentence the engine
  // wrote for it.
  assert.equal((await request(page, { verb: 'load', library: 'split-merge' })).reply, 'ack');
  assert.equal((await request(page, { verb: 'go-to', step: 0 })).reply, 'ack');
  cursor = await cursorMatchesPage(page, frame);
  assert.equal(cursor.step, 0);
  const kinds = new Set();
  for (let i = 0; i < 80 && !(kinds.has('SplitHalf') && kinds.has('TakeBlock')); i++) {
    const before = cursor.step;
    assert.equal((await request(page, { verb: 'step-forward' })).reply, 'ack');
    cursor = await cursorMatchesPage(page, frame);
    assert.equal(cursor.step, before + 1);
    const e = cursor.event;
    if (!e) continue;
    kinds.add(e.kind);
    assert.equal(e.sentence, cursor.sentence);
    // The decision's kernel line: the link the embed's step panel shows for the
    // event just passed (its table is the engine's, docs/source-lines.md).
    const here = frame.locator('#call-events li:not(.ahead)').last().locator('a.source-line');
    assert.equal(await here.getAttribute('href'), e.source.url, JSON.stringify(e));
    assert.equal(await here.textContent(), `${e.source.file}:${e.source.line}`);
    // The notes page shows the same line as a link of its own.
    assert.equal(await page.locator('#event-source').getAttribute('href'), e.source.url);
    assert.match(e.source.url, /^https:\/\/elixir\.bootlin\.com\/linux\/v6\.1\.192\/source\/mm\/[a-z_]+\.c#L\d+$/);
    assert.match(e.function, /^[a-z_]+$/);
    assert.ok(cursor.sentence.includes(e.function), `${e.function}: ${cursor.sentence}`);
    if (['SplitHalf', 'TakeBlock', 'Merge', 'AddFree'].includes(e.kind)) {
      assert.ok(e.sentence.includes(`pfn 0x${e.pfn.toString(16)}`), JSON.stringify(e));
      assert.equal(e.zone, 'DMA32');
      assert.equal(e.node, 0);
    }
    if (['SplitHalf', 'TakeBlock'].includes(e.kind)) {
      assert.ok(e.sentence.includes(`free_area[${e.order}].free_list[${e.migratetype}]`), e.sentence);
    }
  }
  assert.ok(kinds.has('SplitHalf') && kinds.has('TakeBlock'), `kinds seen: ${[...kinds]}`);

  // Go to a call: the embed's heading says it.
  assert.equal((await request(page, { verb: 'go-to', call: 2 })).reply, 'ack');
  cursor = await cursorMatchesPage(page, frame);
  assert.equal(cursor.call, 2);
  assert.equal(cursor.event, null);

  // Step over the rest of a call.
  assert.equal((await request(page, { verb: 'step-forward' })).reply, 'ack');
  cursor = await cursorMatchesPage(page, frame);
  assert.equal((await request(page, { verb: 'step-over' })).reply, 'ack');
  cursor = await cursorMatchesPage(page, frame);
  assert.ok(cursor.step > 1);

  // A reader's own click in the embed is posted too.
  const n = await page.evaluate(() => window.received.length);
  await frame.getByRole('button', { name: /step back/i }).first().click();
  await page.waitForFunction((n) => window.received.slice(n).some((m) => m.reply === 'cursor'), n);
  await cursorMatchesPage(page, frame);

  // Play, then pause: cursors arrive while playing, and stop.
  assert.equal((await request(page, { verb: 'play', interval_ms: 50 })).reply, 'ack');
  const atPlay = (await lastCursor(page)).step;
  await page.waitForFunction((s) => window.received.filter((m) => m.reply === 'cursor').at(-1).step >= s + 3, atPlay);
  assert.equal((await lastCursor(page)).playing, true);
  assert.equal((await request(page, { verb: 'pause' })).reply, 'ack');
  await page.waitForFunction(() => window.received.filter((m) => m.reply === 'cursor').at(-1).playing === false);
  const paused = await cursorMatchesPage(page, frame);
  await page.waitForTimeout(400);
  assert.equal((await lastCursor(page)).step, paused.step, 'no move after pause');

  // Views: the whole call in the step panel, a kernel file, then closed.
  assert.equal((await request(page, { verb: 'view', view: 'whole-call' })).reply, 'ack');
  await frame.waitForFunction(() => document.getElementById('whole-call').checked);
  assert.equal((await request(page, { verb: 'view', view: 'buddyinfo' })).reply, 'ack');
  await frame.waitForSelector('#kernel-numbers-text[aria-label="/proc/buddyinfo"]');
  assert.match(await frame.locator('#kernel-numbers-text').textContent(), /^Node 0, zone\s+DMA32/);
  assert.equal((await request(page, { verb: 'view', view: 'numbers-hidden' })).reply, 'ack');
  await frame.waitForSelector('#kernel-numbers-text', { state: 'detached' });
  assert.equal((await request(page, { verb: 'view', view: 'events-so-far' })).reply, 'ack');
  await frame.waitForFunction(() => !document.getElementById('whole-call').checked);

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, 'embed-api-host-1440.png') });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, 'embed-api-host-1024.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('hostile messages are refused, naming the problem, and the embed keeps working', async () => {
  const { page, frame, errors } = await openNotes();
  const refusals = [];
  const expect = async (make, problem, words) => {
    const { reply, ms } = await raw(page, make);
    refusals.push({ make: make.slice(0, 60), problem: reply.problem, ms });
    assert.equal(reply.reply, 'refused');
    assert.equal(reply.buddyscope, 1);
    assert.equal(reply.problem, problem, `${make.slice(0, 80)}: ${reply.message}`);
    for (const w of words) assert.ok(reply.message.includes(w), `${make.slice(0, 80)}: ${reply.message} lacks ${w}`);
    return reply;
  };
  await expect(`{ buddyscope: 1, verb: 'go-to', step: '3', id: 'w' }`, 'wrong-type', ['`step` is a string; it takes a number']);
  await expect(`{ buddyscope: 1, verb: 'load', library: 42 }`, 'wrong-type', ['`library` is a number']);
  await expect(`{ buddyscope: 1, verb: 'format-disk' }`, 'unknown-verb', ['Unknown verb “format-disk”', 'step-forward']);
  await expect(`{ buddyscope: 2, verb: 'pause' }`, 'version', ['Version 2 is not supported']);
  await expect(`{ verb: 'pause' }`, 'version', ['no field `buddyscope`']);
  await expect(`'step-forward'`, 'not-an-object', ['a string']);
  await expect(`42`, 'not-an-object', ['a number']);
  await expect(`null`, 'not-an-object', ['null']);
  await expect(`[1, 2, 3]`, 'not-an-object', ['an array']);
  await expect(`new Map([['verb', 'pause']])`, 'wrong-type', ['not plain data']);
  await expect(`new Uint8Array(1 << 20)`, 'wrong-type', ['binary data']);
  await expect(`{ buddyscope: 1, verb: 'load', library: 'split-merj' }`, 'unknown-library', ['did you mean split-merge']);
  await expect(`{ buddyscope: 1, verb: 'go-to', step: 99999999 }`, 'out-of-range', ['There is no step 99999999: steps are numbered 0 to']);
  await expect(`{ buddyscope: 1, verb: 'go-to', call: 0 }`, 'out-of-range', ['There is no call 0']);
  await expect(`{ buddyscope: 1, verb: 'load', scenario: '[machine]\\nnodes = "x"\\n' }`, 'load-failed', ['did not load']);
  const huge = await expect(`{ buddyscope: 1, verb: 'load', scenario: 'x'.repeat(50_000_000) }`, 'too-large',
    ['at least 50000', 'the limit is 1052672 bytes']);
  assert.ok(huge);
  await expect(`(() => { let o = { v: 1 }; for (let i = 0; i < 1000; i++) o = { o }; return o; })()`, 'too-large', ['more than 4 deep']);
  await expect(`Object.fromEntries(Array.from({ length: 100000 }, (_, i) => ['k' + i, i]))`, 'too-large', ['more than 64 values']);
  await expect(`{ buddyscope: 1, verb: 'pause', id: 'x'.repeat(100) }`, 'bad-value', ['`id` is 100 bytes long']);

  // Still working: a valid request after all of them.
  const ack = await request(page, { verb: 'go-to', step: 3 });
  assert.equal(ack.reply, 'ack');
  const cursor = await cursorMatchesPage(page, frame);
  assert.equal(cursor.step, 3);
  console.log(`refusals (problem, ms from post to reply): ${JSON.stringify(refusals)}`);
  const hugeMs = refusals.find((r) => r.make.includes('repeat(50')).ms;
  assert.ok(hugeMs < 5000, `the 50 MB string took ${hugeMs} ms to refuse`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a page of an origin the embed was not told to answer is ignored', async () => {
  // The host page from a third origin, with an embed that answers only the notes' origin.
  const page = await context.newPage();
  const errors = watchErrors(page);
  const notesOrigin = new URL(notesServer.url).origin;
  await page.goto(`${otherServer.url}embed-host.html?playground=${encodeURIComponent(embedServer.url)}`);
  // The example page's own embed answers this page's origin: wait for it to be
  // ready, then put in its place one told to answer only the notes' origin.
  await page.waitForFunction(() => window.received.some((m) => m.reply === 'ready'), null, { timeout: 60000 });
  await page.evaluate(([embed, notes]) => {
    document.getElementById('playground').src = `${embed}?embed=1&host=${encodeURIComponent(notes)}#library=split-merge`;
  }, [embedServer.url, notesOrigin]);
  const frame = await (async () => {
    for (let i = 0; i < 100; i++) {
      const f = page.frames().find((f) => f.url().includes('host='));
      if (f) return f;
      await page.waitForTimeout(100);
    }
    assert.fail('no embed frame');
  })();
  await frame.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  await page.evaluate(() => { window.received.length = 0; });
  const before = await frame.locator('#step-counter').textContent();
  await page.evaluate(() => window.send({ verb: 'go-to', step: 0 }));
  await page.evaluate(() => window.send({ verb: 'nonsense' }));
  await page.waitForTimeout(1500);
  assert.equal(await frame.locator('#step-counter').textContent(), before, 'the request was carried out');
  assert.deepEqual(await page.evaluate(() => window.received), [], 'the embed answered another origin');
  assert.deepEqual(errors, []);
  await page.close();
});

test('without host= the embed answers its parent at the origin the message came from', async () => {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${notesServer.url}embed-host.html?playground=${encodeURIComponent(embedServer.url)}`);
  await page.waitForFunction(() => window.received.some((m) => m.reply === 'ready'), null, { timeout: 60000 });
  await page.evaluate((embed) => {
    window.received.length = 0;
    document.getElementById('playground').src = `${embed}?embed=1#library=zone-fallback`;
  }, embedServer.url);
  await page.waitForFunction(() => window.received.some((m) => m.reply === 'ready'), null, { timeout: 60000 });
  // The page writes its own fragment, so the frame is the one without host=.
  const frame = page.frames().find((f) => f.url().startsWith(embedServer.url) && !f.url().includes('host='));
  assert.ok(frame);
  await frame.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  const ack = await request(page, { verb: 'go-to', call: 1 });
  assert.equal(ack.reply, 'ack');
  await page.waitForFunction(() => window.received.some((m) => m.reply === 'cursor' && m.call === 1 && m.event === null));
  assert.deepEqual(errors, []);
  await page.close();
});

// The conversions both ways are the page's own code (web/src/host_message.rs), written
// to read and write exactly what serde-wasm-bindgen did (docs/performance.md, branch
// size22): BigInts, -0, unsafe integers, a null-prototype object, and the replies'
// fields in their order.
test('edge values read and replies written as serde-wasm-bindgen did', async () => {
  const { page } = await openNotes();
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  /** Posts raw data and returns the next ack or refusal, as JSON text (fields in order). */
  const answer = async (make) => {
    const before = await page.evaluate(() => window.received.length);
    await page.evaluate(([make, origin]) => {
      const data = new Function(`return (${make})`)();
      document.getElementById('playground').contentWindow.postMessage(data, origin);
    }, [make, new URL(embedServer.url).origin]);
    const handle = await page.waitForFunction(
      (n) => window.received.slice(n).find((m) => m.reply === 'ack' || m.reply === 'refused'),
      before,
      { timeout: 30000 },
    );
    return JSON.stringify(await handle.jsonValue());
  };
  const outside = 'The message could not be read: Error: Couldn\'t deserialize i64 or u64 from a BigInt outside i64::MIN..u64::MAX bounds.';
  assert.equal(await answer(`{ buddyscope: 1, verb: 'go-to', step: 2n ** 70n, id: 2 }`),
    JSON.stringify({ buddyscope: 1, reply: 'refused', id: null, verb: null, problem: 'wrong-type', message: outside }));
  assert.equal(await answer(`{ buddyscope: 1, verb: 'go-to', step: 10n, id: 1 }`),
    '{"buddyscope":1,"reply":"ack","id":1,"verb":"go-to"}');
  assert.equal(await answer(`{ buddyscope: 1, verb: 'go-to', step: -0, id: 'zero' }`),
    '{"buddyscope":1,"reply":"ack","id":"zero","verb":"go-to"}');
  assert.equal(await answer(`{ buddyscope: 1, verb: 'go-to', step: 2.5, id: 4 }`),
    '{"buddyscope":1,"reply":"refused","id":4,"verb":"go-to","problem":"bad-value","message":"Field `step` is 2.5; it takes a whole number from 0 to 2^53."}');
  assert.equal(await answer(`Object.assign(Object.create(null), { buddyscope: 1n, verb: 'pause', id: 2 ** 53 - 1 })`),
    '{"buddyscope":1,"reply":"ack","id":9007199254740991,"verb":"pause"}');
  // An id of 2^53 is read, but its ack cannot be written as a JavaScript number: the
  // page says so in the console and posts nothing; the next request is answered.
  await page.evaluate((origin) => {
    document.getElementById('playground').contentWindow.postMessage({ buddyscope: 1, verb: 'pause', id: 9007199254740993n }, origin);
  }, new URL(embedServer.url).origin);
  assert.equal(await answer(`{ buddyscope: 1, verb: 'pause', id: 'next' }`),
    '{"buddyscope":1,"reply":"ack","id":"next","verb":"pause"}');
  assert.ok(logs.some((l) => l === "Buddyscope: a reply could not be converted: Error: 9007199254740992 can't be represented as a JavaScript number"),
    logs.join('\n'));
  await page.close();
});
