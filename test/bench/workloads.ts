// The benchmark workloads, shared by Node (fake-indexeddb, workload.ts) and Chromium (real IndexedDB,
// browser/page.ts). Each measures itself and its floors in the same run, against the same server process.
import type Dexie from 'dexie';
import { createSyncEngine, type SyncEngine, type SyncEngineOptions } from '../../src/engine';
import { benchRow } from './rows';

/** Where a workload runs: its server process and how it opens local databases. */
export interface BenchEnv {
  /** The sync server and the benchmark's control server (serverMain.ts). */
  server: { url: string; control: string };
  /** Engine options this environment needs (fake-indexeddb in Node, nothing in Chromium). */
  engineOptions: Partial<SyncEngineOptions>;
  /** A new, empty Dexie database of this environment with the benchmark's schema, open. */
  dexie(): Promise<Dexie>;
  /** Node only: the peak RSS of a process that only writes `count` rows with raw Dexie (memoryFloor.ts). */
  memoryFloor?(count: number): Promise<number>;
}

/** One workload's measurement: its time, the floors measured next to it and what else it reports. */
export interface WorkloadResult {
  ms: number;
  floors: Record<string, number>;
  extra: Record<string, number>;
}

/** The benchmark's table. */
export const BENCH_TABLES = { tasks: 'id, status, assignee' };

async function control<T>(env: BenchEnv, path: string, method = 'GET'): Promise<T> {
  const response = await fetch(`${env.server.control}${path}`, { method });
  if (!response.ok) throw new Error(`bench control ${method} ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function engine(env: BenchEnv, extra: Partial<SyncEngineOptions> = {}): Promise<SyncEngine> {
  const { token } = await control<{ token: string }>(env, '/token');
  return createSyncEngine({
    name: `bench-${Math.random().toString(36).slice(2)}`,
    url: env.server.url,
    tables: BENCH_TABLES,
    token,
    intervalMs: 0,
    live: false,
    debounceMs: 0,
    pageSize: 2000,
    batchSize: 1000,
    ...env.engineOptions,
    ...extra,
  });
}

/** Transfer floor: a GET of the JSON of a pull of `count` rows from plain node:http, read and parsed. */
async function transferFloor(env: BenchEnv, count: number): Promise<number> {
  await (await fetch(`${env.server.control}/pull?n=${count}`)).json();
  const t = performance.now();
  await (await fetch(`${env.server.control}/pull?n=${count}`)).json();
  return performance.now() - t;
}

/** Local write floor: one Dexie bulkPut of the same rows into a new database of this environment. */
async function writeFloor(env: BenchEnv, count: number): Promise<number> {
  const db = await env.dexie();
  const rows = Array.from({ length: count }, (_, i) => ({ ...benchRow(i), _v: 1 }));
  const t = performance.now();
  await db.table('tasks').bulkPut(rows);
  const ms = performance.now() - t;
  await db.delete();
  return ms;
}

/** Relay floor: samples of a POST to plain node:http that writes the body to an SSE response read here. */
async function relayFloor(env: BenchEnv, samples: number): Promise<number[]> {
  const response = await fetch(`${env.server.control}/relay`);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  await reader.read();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await fetch(`${env.server.control}/relay`, { method: 'POST', body: JSON.stringify({ i, row: benchRow(i) }) });
    let text = '';
    while (!text.includes(`"i":${i},`)) text += decoder.decode((await reader.read()).value, { stream: true });
    times.push(performance.now() - t);
  }
  await reader.cancel();
  return times;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

async function initialPull(env: BenchEnv, count: number, pageSize: number): Promise<number> {
  await control(env, `/seed?n=${count}`, 'POST');
  const e = await engine(env, { pageSize });
  const t = performance.now();
  await e.start();
  await e.sync({ timeoutMs: 600_000 });
  const ms = performance.now() - t;
  const rows = await e.db.table('tasks').count();
  if (rows !== count) throw new Error(`pulled ${rows} of ${count} rows`);
  await e.stop();
  return ms;
}

/** The workloads by name. */
export const workloads: Record<string, (env: BenchEnv) => Promise<WorkloadResult>> = {
  /** Initial pull of 10,000 rows into an empty client. */
  async W1(env) {
    const n = 10_000;
    const floors = { transfer: await transferFloor(env, n), write: await writeFloor(env, n) };
    const ms = await initialPull(env, n, 2000);
    return { ms, floors, extra: { target: 1.0 * (floors.transfer + floors.write) } };
  },
  /** 10,000 writes made offline, then pushed until the outbox is empty. */
  async W2(env) {
    const n = 10_000;
    const { ms: serverStore } = await control<{ ms: number }>(env, `/store-floor?n=${n}`, 'POST');
    const floors = { transfer: await transferFloor(env, n), write: await writeFloor(env, n), serverStore };
    const e = await engine(env, { debounceMs: 60_000 });
    await e.start();
    await e.sync();
    e.setOnline(false);
    const t = performance.now();
    await e.table('tasks').bulkPut(Array.from({ length: n }, (_, i) => benchRow(i)));
    e.setOnline(true);
    while ((await e.outbox.count()) > 0) await e.sync({ timeoutMs: 600_000 });
    const ms = performance.now() - t;
    const { count } = await control<{ count: number }>(env, '/count');
    if (count !== n) throw new Error(`server has ${count} of ${n} rows`);
    await e.stop();
    return { ms, floors, extra: { target: 1.25 * (floors.transfer + floors.write + floors.serverStore) } };
  },
  /** Live round trip: A writes, B (live stream open) has the row; 50 samples. */
  async W3(env) {
    const relay = (await relayFloor(env, 50)).sort((x, y) => x - y);
    const a = await engine(env);
    const b = await engine(env, { live: true });
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
      await a.table('tasks').put({ ...benchRow(i), id });
      samples.push((await arrived) - t);
      await new Promise((r) => setTimeout(r, 20));
    }
    samples.sort((x, y) => x - y);
    await a.stop();
    await b.stop();
    const floor = quantile(relay, 0.5);
    return { ms: quantile(samples, 0.5), floors: { relay: floor }, extra: { p90: quantile(samples, 0.9), target: 2 * floor, p90Target: 4 * floor } };
  },
  /** 1,000 single puts through the engine against 1,000 raw Dexie puts. */
  async W4(env) {
    const e = await engine(env, { debounceMs: 600_000 });
    await e.start();
    e.setOnline(false);
    const db = await env.dexie();
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) await db.table('tasks').put(benchRow(i));
    const raw = performance.now() - t0;
    await db.delete();
    const t1 = performance.now();
    for (let i = 0; i < 1000; i++) await e.table('tasks').put(benchRow(i));
    const ms = performance.now() - t1;
    await e.stop();
    return { ms, floors: { rawDexie: raw }, extra: { ratio: ms / raw, target: 1.5 } };
  },
  /** Initial pull of 100,000 rows in pages of 5000 (target: linear in W1, bounded memory). */
  async W5(env) {
    const ms = await initialPull(env, 100_000, 5000);
    const floors: Record<string, number> = env.memoryFloor ? { memoryMb: await env.memoryFloor(100_000) } : {};
    return { ms, floors, extra: { pages: 20 } };
  },
};
