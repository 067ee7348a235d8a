// One benchmark workload in its own process: `tsx test/bench/workload.ts <W1|W2|W3|W4|W5>`.
// Prints one JSON line: { workload, ms, floors: {...}, extra, peakRssMb }.
import { createServer } from 'node:http';
import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { SignJWT } from 'jose';
import { createSyncEngine, type SyncEngine } from '../../src/engine';
import { rowChecksum } from '../../src/core/json/rowChecksum';
import { createSyncServer, type SyncServer } from '../../src/server/createSyncServer';
import { benchRow } from './rows';

const SECRET = 'bench-secret-bench-secret-bench-secret';
const ORG = 'bench';
const TABLES = { tasks: 'id, status, assignee' };

async function token(): Promise<string> {
  return new SignJWT({ org: ORG, role: 'owner' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));
}

function engine(server: SyncServer, tok: string, extra: Partial<Parameters<typeof createSyncEngine>[0]> = {}): SyncEngine {
  return createSyncEngine({
    name: `bench-${Math.random()}`,
    url: server.url,
    tables: TABLES,
    token: tok,
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    window: null,
    locks: null,
    intervalMs: 0,
    live: false,
    debounceMs: 0,
    pageSize: 2000,
    batchSize: 1000,
    ...extra,
  });
}

/** Inserts rows into the server's store with one set-based statement per 10,000; returns the ms spent. */
async function seedServer(server: SyncServer, count: number): Promise<number> {
  let ms = 0;
  for (let start = 0; start < count; start += 10_000) {
    const rows = await Promise.all(
      Array.from({ length: Math.min(10_000, count - start) }, async (_, k) => {
        const i = start + k;
        const data = benchRow(i);
        return {
          tbl: 'tasks',
          id: data.id,
          data,
          v: i + 1,
          fv: {},
          deleted: false,
          checksum: await rowChecksum(data),
          last_at: 0,
          last_device: 'seed',
          last_role: null,
        };
      }),
    );
    const t = performance.now();
    await server.storage.query(
      `insert into chartsync_rows (org, tbl, id, data, v, fv, deleted, checksum, last_at, last_device, last_role)
       select $1, x.tbl, x.id, x.data, x.v, x.fv, x.deleted, x.checksum, x.last_at, x.last_device, x.last_role
       from jsonb_to_recordset($2::jsonb) as x(tbl text, id text, data jsonb, v bigint, fv jsonb, deleted boolean, checksum text, last_at bigint, last_device text, last_role text)`,
      [ORG, JSON.stringify(rows)],
    );
    ms += performance.now() - t;
  }
  await server.storage.query(`insert into chartsync_orgs (org, seq) values ($1, $2) on conflict (org) do update set seq = excluded.seq`, [ORG, count]);
  return ms;
}

/** Raw loopback HTTP: node:http serves the pull JSON of `count` rows, fetch reads and parses it. */
async function transferFloor(count: number): Promise<number> {
  const body = JSON.stringify({
    changes: Array.from({ length: count }, (_, i) => ({ table: 'tasks', row: { ...benchRow(i), _v: i + 1, _deleted: false } })),
    cursor: 'c2.e1.0',
    epoch: 'e1',
    hasMore: false,
  });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const t = performance.now();
  await (await fetch(`http://127.0.0.1:${port}/`)).json();
  const ms = performance.now() - t;
  server.close();
  return ms;
}

/** Raw Dexie bulkPut of `count` rows into a fresh fake-indexeddb. */
async function writeFloor(count: number): Promise<number> {
  const db = new Dexie(`floor-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  db.version(1).stores(TABLES);
  await db.open();
  const rows = Array.from({ length: count }, (_, i) => ({ ...benchRow(i), _v: 1 }));
  const t = performance.now();
  await db.table('tasks').bulkPut(rows);
  const ms = performance.now() - t;
  db.close();
  return ms;
}

async function startServer(): Promise<SyncServer> {
  return createSyncServer({ port: 0, databaseUrl: null, auth: { mode: 'jwt', secret: SECRET }, limits: { maxPullLimit: 5000, maxOps: 2000 } });
}

async function initialPull(count: number, pageSize: number) {
  const server = await startServer();
  const serverStore = await seedServer(server, count);
  const tok = await token();
  const e = engine(server, tok, { pageSize });
  const t = performance.now();
  await e.start();
  await e.sync({ timeoutMs: 600_000 });
  const ms = performance.now() - t;
  const rows = await e.db.table('tasks').count();
  if (rows !== count) throw new Error(`pulled ${rows} of ${count} rows`);
  await e.stop();
  await server.close();
  return { ms, serverStore, pages: Math.ceil(count / pageSize) };
}

const workloads: Record<string, () => Promise<{ ms: number; floors?: Record<string, number>; extra?: Record<string, unknown> }>> = {
  async W1() {
    const n = 10_000;
    const floors = { transfer: await transferFloor(n), write: await writeFloor(n) };
    const { ms } = await initialPull(n, 2000);
    return { ms, floors, extra: { target: 1.5 * (floors.transfer + floors.write) } };
  },
  async W2() {
    const n = Number(process.env.BENCH_ROWS ?? 10_000);
    const server = await startServer();
    const floorServer = await startServer();
    const floors = { transfer: await transferFloor(n), write: await writeFloor(n), serverStore: await seedServer(floorServer, n) };
    await floorServer.close();
    const tok = await token();
    const e = engine(server, tok, { debounceMs: 60_000 });
    await e.start();
    await e.sync();
    e.setOnline(false);
    const t = performance.now();
    await e.table('tasks').bulkPut(Array.from({ length: n }, (_, i) => benchRow(i)));
    e.setOnline(true);
    while ((await e.outbox.count()) > 0) await e.sync({ timeoutMs: 600_000 });
    const ms = performance.now() - t;
    const count = (await server.storage.query<{ count: string | number }>(`select count(*) from chartsync_rows where org = $1`, [ORG]))[0]?.count;
    if (Number(count) !== n) throw new Error(`server has ${count} of ${n} rows`);
    await e.stop();
    await server.close();
    return { ms, floors, extra: { target: 2 * (floors.transfer + floors.write + floors.serverStore) } };
  },
  async W3() {
    const server = await startServer();
    const tok = await token();
    const a = engine(server, tok);
    const b = engine(server, tok, { live: true });
    await a.start();
    await b.start();
    await b.sync();
    await new Promise((r) => setTimeout(r, 200));
    const samples: number[] = [];
    for (let i = 0; i < 50; i++) {
      const id = `live-${i}`;
      const arrived = new Promise<number>((resolve) => {
        const off = b.on('synced', () => {
          void b.db
            .table('tasks')
            .get(id)
            .then((row) => {
              if (row) {
                off();
                resolve(performance.now());
              }
            });
        });
      });
      const t = performance.now();
      await a.table('tasks').put(benchRow(i + 1_000_000));
      await a.table('tasks').put({ ...benchRow(i), id });
      samples.push((await arrived) - t);
      await new Promise((r) => setTimeout(r, 20));
    }
    samples.sort((x, y) => x - y);
    await a.stop();
    await b.stop();
    await server.close();
    return { ms: samples[Math.floor(samples.length / 2)]!, extra: { p90: samples[Math.floor(samples.length * 0.9)]!, target: 5 } };
  },
  async W4() {
    const server = await startServer();
    const tok = await token();
    const e = engine(server, tok, { debounceMs: 600_000 });
    await e.start();
    e.setOnline(false);
    const db = new Dexie(`raw-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
    db.version(1).stores(TABLES);
    await db.open();
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) await db.table('tasks').put(benchRow(i));
    const raw = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 1000; i++) await e.table('tasks').put(benchRow(i));
    const ms = performance.now() - t1;
    await e.stop();
    await server.close();
    return { ms, floors: { rawDexie: raw }, extra: { ratio: ms / raw, target: 1.5 } };
  },
  async W5() {
    const { ms, pages } = await initialPull(100_000, 5000);
    return { ms, extra: { pages } };
  },
};

const name = process.argv[2] ?? '';
const run = workloads[name];
if (!run) {
  console.error(`unknown workload ${name}: use ${Object.keys(workloads).join(', ')}`);
  process.exit(2);
}
const result = await run();
console.log(JSON.stringify({ workload: name, ...result, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
process.exit(0);
