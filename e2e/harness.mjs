// What every page test file sets up the same way: dist/ served at a path, one
// browser context, a page opened and waited for until the app is ready and the
// address space drawn, and full-page screenshots into test-results/.
import { before, after } from 'node:test';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serve } from './server.mjs';
import { launch, watchErrors } from './browser.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SHOTS = join(ROOT, 'test-results');

/**
 * Registers the file's `before` and `after` hooks and returns what its tests use:
 * `open(suffix)` (a ready page and the errors it logs), `shot(page, name)`, and
 * `url()`, the served page's address.
 */
export function playground(path = '/') {
  let server;
  let context;
  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    server = await serve(join(ROOT, 'dist'), path);
    context = await launch();
  });
  after(async () => {
    await context?.close();
    await server?.close();
  });
  return {
    url: () => server.url,
    context: () => context,
    async open(suffix = '') {
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(server.url + suffix);
      await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
      await page.waitForFunction(() => document.getElementById('address-canvas')?.dataset.drawMs !== undefined);
      return { page, errors };
    },
    shot: (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }),
  };
}
