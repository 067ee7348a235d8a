import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isChartsyncError } from '../../../src/core/errors';
import { stableStringify } from '../../../src/core/json/stableStringify';
import type { SyncEngine } from '../../../src/engine';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor } from '../server/harness';
import { faultyFetch, seeded, type FaultRates, type FaultyFetch } from './faults';
import { engineFor, eventually, freshOrg, startServer } from './harness';

const SEED = Number(process.env.CHARTSYNC_SEED ?? 20261125);

function dataOf(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('_')));
}

/** Drives engines with random writes and offline periods, then lets everything settle and checks it. */
async function runScenario(server: SyncServer, seed: number, opsPerEngine: number, rates: FaultRates) {
  const org = freshOrg();
  const random = seeded(seed);
  const faults: FaultyFetch[] = [];
  const engines: SyncEngine[] = [];
  for (let i = 0; i < 3; i++) {
    const f = faultyFetch(seed + i + 1, rates, 400);
    faults.push(f);
    engines.push(await engineFor(server, org, { fetch: f.fetch, timeoutMs: 300, batchSize: 25 }));
  }
  await Promise.all(engines.map((e) => e.start()));
  const ids = Array.from({ length: 15 }, (_, i) => `row-${i}`);
  const offline = [false, false, false];
  for (let step = 0; step < opsPerEngine * 3; step++) {
    const i = Math.floor(random() * 3);
    const engine = engines[i]!;
    if (random() < 0.04) {
      offline[i] = !offline[i];
      engine.setOnline(!offline[i]);
    }
    const id = ids[Math.floor(random() * ids.length)]!;
    const existing = await engine.table('tasks').get(id);
    const roll = random();
    if (!existing || roll < 0.3) await engine.table('tasks').put({ id, title: `t${step}`, status: random() < 0.5 ? 'todo' : 'done', n: step });
    else if (roll < 0.85) {
      // A pull may delete the row between the read and the update: the update is then refused, as it should be.
      await engine
        .table('tasks')
        .update(id, random() < 0.5 ? { status: `s${step}` } : { title: `u${step}`, n: step })
        .catch((error: unknown) => {
          if (!isChartsyncError(error, 'ROW_NOT_FOUND')) throw error;
        });
    } else await engine.table('tasks').delete(id);
    if (random() < 0.1) await new Promise((r) => setTimeout(r, 5));
  }
  // Everyone back online, faults off: settle.
  faults.forEach((f) => (f.enabled = false));
  engines.forEach((e) => e.setOnline(true));
  await eventually(
    async () => {
      for (const e of engines) await e.sync({ timeoutMs: 20_000 }).catch(() => undefined);
      return (await Promise.all(engines.map((e) => e.outbox.count()))).every((n) => n === 0);
    },
    60_000,
    'every outbox to drain',
  );
  for (const e of engines) await e.sync({ timeoutMs: 20_000 });

  const reader = await clientFor(server, { org });
  const serverRows = new Map((await reader.pullAll('tasks')).filter((ch) => !ch.row._deleted).map((ch) => [ch.row.id, dataOf(ch.row)]));
  for (const e of engines) {
    expect(await e.outbox.count()).toBe(0);
    expect(await e.deadLetters.list()).toEqual([]);
    const local = new Map((await e.table('tasks').toArray()).map((row) => [row.id as string, dataOf(row)]));
    const diff = [...new Set([...local.keys(), ...serverRows.keys()])].filter(
      (id) => stableStringify(local.get(id) ?? null) !== stableStringify(serverRows.get(id) ?? null),
    );
    expect(diff.map((id) => ({ id, local: local.get(id), server: serverRows.get(id) }))).toEqual([]);
  }
  // Every op that was ever sent is on the server exactly once.
  const sent = new Set(faults.flatMap((f) => f.sentOpIds));
  const applied = await server.storage.query<{ op_id: string }>(`select op_id from chartsync_ops where org = $1`, [org]);
  expect(applied.length).toBe(new Set(applied.map((r) => r.op_id)).size);
  const appliedIds = new Set(applied.map((r) => r.op_id));
  expect(
    [...sent].filter((id) => !appliedIds.has(id)),
    'ops sent but never applied',
  ).toEqual([]);
  expect(
    [...appliedIds].filter((id) => !sent.has(id)),
    'ops applied but never sent',
  ).toEqual([]);
  const counts = faults.reduce((acc, f) => Object.fromEntries(Object.entries(f.counts).map(([k, v]) => [k, (acc[k] ?? 0) + v])), {} as Record<string, number>);
  await Promise.all(engines.map((e) => e.stop()));
  return { rows: serverRows.size, ops: sent.size, counts };
}

describe('convergence under faults (seeded; set CHARTSYNC_SEED to replay)', () => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(null);
  });
  afterAll(() => server?.close());

  const scenarios: Array<[string, number, FaultRates]> = [
    ['3 engines × 200 random ops with offline periods', 200, {}],
    ['dropped requests', 60, { dropRequest: 0.25 }],
    ['responses dropped after the server committed', 60, { dropResponse: 0.25 }],
    ['500s', 60, { error500: 0.25 }],
    ['429 with Retry-After', 60, { rateLimit: 0.25 }],
    ['responses slower than the timeout', 40, { slow: 0.15 }],
    ['every fault at once', 100, { dropRequest: 0.05, dropResponse: 0.05, error500: 0.05, rateLimit: 0.05, slow: 0.03 }],
  ];

  it.each(scenarios)(
    '%s: no loss, no duplicates, every replica equals the server',
    async (name, opsPerEngine, rates) => {
      const seed = SEED + name.length;
      try {
        const result = await runScenario(server, seed, opsPerEngine, rates);
        console.log(`[convergence] ${name}: seed ${seed}, ${result.ops} ops, ${result.rows} rows, faults ${JSON.stringify(result.counts)}`);
      } catch (error) {
        console.error(`[convergence] ${name} FAILED with seed ${seed} (replay: CHARTSYNC_SEED=${SEED})`);
        throw error;
      }
    },
    120_000,
  );
});
