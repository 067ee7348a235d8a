// The benchmark's server process, as deployed: the sync server (PGlite in memory; PostgreSQL at
// BENCH_DATABASE_URL, whose chartsync data it empties first) plus a small control
// server the workloads (in Node or in Chromium) drive over HTTP: seed rows, count them, read this
// process's memory, and the floors that live on a server — the JSON of a pull served by plain node:http,
// the set-based insert, and a loopback relay (POST → open SSE response).
// Prints one JSON line `{ "url": …, "control": … }` on stdout once both accept requests.
import { createServer, type ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { rowChecksum } from '../../src/core/json/rowChecksum';
import { createSyncServer } from '../../src/server/createSyncServer';
import { migrate } from '../../src/server/storage/migrate';
import { pgliteStorage } from '../../src/server/storage/pgliteStorage';
import type { Storage } from '../../src/server/storage/types';
import { benchRow, BENCH_ORG, BENCH_SECRET } from './rows';

/** PostgreSQL instead of PGlite: its chartsync tables are emptied when the process starts. */
const databaseUrl = process.env.BENCH_DATABASE_URL || null;

const server = await createSyncServer({
  port: 0,
  databaseUrl,
  auth: { mode: 'jwt', secret: BENCH_SECRET },
  limits: { maxPullLimit: 5000, maxOps: 2000 },
  logger: { info: () => {}, error: (fields) => process.stderr.write(`${JSON.stringify(fields)}\n`) },
});

/** Inserts `count` bench rows with one set-based statement per 10,000; returns the ms the statements took. */
async function seed(storage: Storage, count: number, org = BENCH_ORG): Promise<number> {
  let ms = 0;
  for (let start = 0; start < count; start += 10_000) {
    const rows = await Promise.all(
      Array.from({ length: Math.min(10_000, count - start) }, async (_, k) => {
        const data = benchRow(start + k);
        const checksum = await rowChecksum(data);
        return { tbl: 'tasks', id: data.id, data, v: start + k + 1, fv: {}, deleted: false, checksum, last_at: 0, last_device: 'seed', last_role: null };
      }),
    );
    const t = performance.now();
    await storage.query(
      `insert into chartsync_rows (org, tbl, id, data, v, fv, deleted, checksum, last_at, last_device, last_role)
       select $1, x.tbl, x.id, x.data, x.v, x.fv, x.deleted, x.checksum, x.last_at, x.last_device, x.last_role
       from jsonb_to_recordset($2::jsonb) as x(tbl text, id text, data jsonb, v bigint, fv jsonb, deleted boolean, checksum text, last_at bigint, last_device text, last_role text)`,
      [org, JSON.stringify(rows)],
    );
    ms += performance.now() - t;
  }
  await storage.query(`insert into chartsync_orgs (org, seq) values ($1, $2) on conflict (org) do update set seq = excluded.seq`, [org, count]);
  // As the server's own maintenance would after a bulk load (PGlite has no autovacuum).
  await storage.query('analyze');
  return ms;
}

/** The store floor: the same set-based insert into a fresh in-memory database (on PostgreSQL, into its emptied tables, then removed). */
async function storeFloor(count: number): Promise<number> {
  if (databaseUrl) {
    const ms = await seed(server.storage, count, FLOOR_ORG);
    await server.storage.query('delete from chartsync_rows where org = $1', [FLOOR_ORG]);
    return ms;
  }
  const storage = await pgliteStorage();
  await migrate(storage);
  const ms = await seed(storage, count);
  await storage.close();
  return ms;
}

/** The body of a pull of `count` rows, as the sync server would send it. */
function pullBody(count: number): string {
  return JSON.stringify({
    changes: Array.from({ length: count }, (_, i) => ({ table: 'tasks', row: { ...benchRow(i), _v: i + 1, _deleted: false } })),
    cursor: 'c2.e1.0',
    epoch: 'e1',
    hasMore: false,
  });
}

const FLOOR_ORG = `${BENCH_ORG}-floor`;
if (databaseUrl) await server.storage.query('truncate chartsync_rows, chartsync_ops, chartsync_orgs, chartsync_buckets');

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const idleRssMb = mb(process.memoryUsage().rss);
const bodies = new Map<number, string>();
const relays = new Set<ServerResponse>();
const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' };

const control = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://bench');
  const count = Number(url.searchParams.get('n') ?? 0);
  const json = (value: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json', ...cors });
    res.end(JSON.stringify(value));
  };
  const route = `${req.method} ${url.pathname}`;
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST' });
    res.end();
  } else if (route === 'GET /token') {
    void new SignJWT({ org: BENCH_ORG, role: 'owner' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('bench')
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(BENCH_SECRET))
      .then((token) => json({ token }));
  } else if (route === 'POST /seed') {
    void seed(server.storage, count).then((ms) => json({ ms }));
  } else if (route === 'POST /store-floor') {
    void storeFloor(count).then((ms) => json({ ms }));
  } else if (route === 'GET /count') {
    void server.storage
      .query<{ count: string | number }>(`select count(*) from chartsync_rows where org = $1 and not deleted`, [BENCH_ORG])
      .then((rows) => json({ count: Number(rows[0]?.count ?? 0) }));
  } else if (route === 'GET /memory') {
    json({ idleRssMb, rssMb: mb(process.memoryUsage().rss), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
  } else if (route === 'GET /pull') {
    let body = bodies.get(count);
    if (!body) {
      body = pullBody(count);
      bodies.set(count, body);
    }
    res.writeHead(200, { 'content-type': 'application/json', ...cors });
    res.end(body);
  } else if (route === 'GET /relay') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', ...cors });
    res.write(': open\n\n');
    relays.add(res);
    req.on('close', () => relays.delete(res));
  } else if (route === 'POST /relay') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      for (const stream of relays) stream.write(`data: ${body}\n\n`);
      json({ ok: true });
    });
  } else {
    res.writeHead(404, cors);
    res.end();
  }
});
control.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const port = (control.address() as { port: number }).port;
process.stdout.write(`${JSON.stringify({ url: server.url, control: `http://127.0.0.1:${port}` })}\n`);
process.on('SIGTERM', () => {
  for (const stream of relays) stream.end();
  control.close();
  void server.close().then(() => process.exit(0));
});
