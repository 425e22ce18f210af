// A tiny static server for the end-to-end tests and the benchmark: serves the built page
// (target/site/: www/ with its modules minified, made by `cargo xtask build` or `cargo xtask
// site`) on 127.0.0.1 at a free port, `.wasm` as application/wasm, with no cross-origin
// isolation headers (the page must not need them). Paths outside the folder are refused.
// With `gzip`, a file's gzip copy beside it (NAME.gz, made by the build with zopfli) is sent
// to a client that accepts gzip, or the file compressed now with gzip -9 when it has none.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The page's source: plain ES modules, the wasm package in pkg/. */
export const WWW = resolve(fileURLToPath(new URL('../www/', import.meta.url)));
/** The page as served: www/ with every module minified (wasm-pack.toml, section [site]). */
export const SITE = resolve(fileURLToPath(new URL('../target/site/', import.meta.url)));

/**
 * Throws unless SITE holds every file of WWW, each written after its source: tests and
 * benchmarks of a stale build would measure code that is not the page's.
 */
export function checkSite() {
  const stale = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const src = join(dir, e.name);
      if (e.isDirectory()) {
        walk(src);
        continue;
      }
      const rel = relative(WWW, src);
      let built;
      try {
        built = statSync(join(SITE, rel)).mtimeMs;
      } catch {
        built = -1;
      }
      if (built < statSync(src).mtimeMs) stale.push(rel);
    }
  };
  walk(WWW);
  if (stale.length > 0) {
    throw new Error(`target/site/ is missing or older than www/ (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', ...' : ''}): run \`cargo xtask build\` (or \`cargo xtask site\` when only the page's files changed)`);
  }
}

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
 * Starts the server (of the built page, SITE, after checkSite(); or of `root`); resolves to
 * { url, close, transferred, log, pages } once it listens. `pages` maps a path (such as
 * `/host.html`) to HTML served there instead of a file: host pages that tests write, served
 * from a real address (Chromium's local network access checks block a page that Playwright
 * fulfils itself from framing a page on 127.0.0.1).
 */
export function serve({ gzip = false, root } = {}) {
  if (root === undefined) {
    checkSite();
    root = SITE;
  }
  const pages = new Map();
  const transferred = new Map();
  // Every response in order, with the time (Date.now()) it was sent: what a page fetched before
  // a moment and what after.
  const log = [];
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
        // The build's zopfli copy (NAME.gz, as `cargo xtask serve` sends it) when there is
        // one, else gzip -9 made now (www/ served as it is, a test's own page).
        const pre = pages.has(path) ? null : await readFile(`${file}.gz`).catch(() => null);
        body = pre ?? gzipSync(body, { level: 9 });
        headers['Content-Encoding'] = 'gzip';
      }
      transferred.set(path, body.length);
      log.push({ path, bytes: body.length, at: Date.now() });
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      ok({ url: `http://127.0.0.1:${port}/`, transferred, log, pages, close: () => new Promise((done) => {
        // Keep-alive connections of a browser still open would hold close() up.
        server.close(done);
        server.closeAllConnections();
      }) });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await serve({ gzip: true });
  console.log(`serving ${SITE} at ${s.url}`);
}
