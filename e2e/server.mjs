// A tiny static server for the end-to-end tests and the benchmark: serves www/ on 127.0.0.1
// at a free port, `.wasm` as application/wasm, with no cross-origin isolation headers (the
// page must not need them). Paths outside www/ are refused.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const WWW = resolve(fileURLToPath(new URL('../www/', import.meta.url)));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Starts the server (of www/, or of `root`); resolves to { url, close, transferred, pages } once
 * it listens. `pages` maps a path (such as `/host.html`) to HTML served there instead of a file:
 * host pages that tests write, served from a real address (Chromium's local network access
 * checks block a page that Playwright fulfils itself from framing a page on 127.0.0.1).
 */
export function serve({ gzip = false, root = WWW } = {}) {
  const pages = new Map();
  const transferred = new Map();
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let path = decodeURIComponent(url.pathname);
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end();
        return;
      }
      let body = pages.has(path) ? Buffer.from(pages.get(path)) : await readFile(file);
      const headers = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' };
      if (gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        body = gzipSync(body, { level: 9 });
        headers['Content-Encoding'] = 'gzip';
      }
      transferred.set(path, body.length);
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      ok({ url: `http://127.0.0.1:${port}/`, transferred, pages, close: () => new Promise((done) => {
        // Keep-alive connections of a browser still open would hold close() up.
        server.close(done);
        server.closeAllConnections();
      }) });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await serve({ gzip: true });
  console.log(`serving ${WWW} at ${s.url}`);
}
