import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join } from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/**
 * Serves a built page's folder on a free loopback port (Chromium denies IndexedDB to file: and data:
 * pages): `/` is its index.html, a file it does not hold is a 404 — only the files it held at start, so no
 * path can reach outside it.
 */
export async function serveFolder(dir: string): Promise<Server> {
  const files = new Set(readdirSync(dir, { recursive: true }).map(String));
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://page').pathname).slice(1) || 'index.html';
    if (!files.has(path)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(join(dir, path)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
