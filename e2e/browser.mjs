// Debian's Chromium driven by playwright-core, kept off the (closed) network.
import { chromium } from 'playwright-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh browser context with its own empty profile directory. */
export async function launch() {
  const profile = await mkdtemp(join(tmpdir(), 'buddyscope-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
}

/** Records console errors and uncaught page errors; a passing test wants none. */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()}`));
  return errors;
}

/** Pixel statistics of a canvas, read back from the page. */
export async function canvasStats(page, id = 'address-canvas') {
  return page.evaluate((id) => {
    const canvas = document.getElementById(id);
    const { width, height } = canvas;
    const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    const colours = new Map();
    let hash = 2166136261;
    for (let i = 0; i < data.length; i += 4) {
      const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      colours.set(key, (colours.get(key) ?? 0) + 1);
      hash = Math.imul(hash ^ key, 16777619) >>> 0;
    }
    return { width, height, distinctColours: colours.size, counts: Object.fromEntries(colours), hash };
  }, id);
}
