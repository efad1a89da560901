// A static file server for the built site, on a free loopback port. The tests start
// one per run; nothing here reaches beyond 127.0.0.1.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Serves `root` under `prefix` (e.g. "/course/" to test sub-path hosting). `types`
 * overrides the content type of an extension (e.g. `{ '.wasm': 'application/octet-stream' }`
 * plays a host that does not know wasm); `requests()` lists the paths asked for so far.
 */
export async function serve(root, prefix = '/', { types = {} } = {}) {
  const base = resolve(root);
  const requested = [];
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      requested.push(url.pathname);
      if (!url.pathname.startsWith(prefix)) {
        res.writeHead(404).end('not under the served prefix');
        return;
      }
      let path = normalize(join(base, decodeURIComponent(url.pathname.slice(prefix.length))));
      if (path !== base && !path.startsWith(base + sep)) {
        res.writeHead(403).end();
        return;
      }
      if ((await stat(path).catch(() => null))?.isDirectory()) path = join(path, 'index.html');
      const body = await readFile(path);
      const ext = extname(path);
      res.writeHead(200, { 'content-type': types[ext] ?? TYPES[ext] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests: () => [...requested],
    close: () => new Promise((ok) => server.close(ok)),
  };
}
