import { IDBFactory } from 'fake-indexeddb';
import { crashEngine } from '../../src/engine/crash';
import type { ConflictPolicies } from '../../src/core/conflict/types';
import { isChartsyncError } from '../../src/core/errors';
import { stableStringify } from '../../src/core/json/stableStringify';
import type { JsonObject } from '../../src/core/json/types';
import type { SyncEngine } from '../../src/engine';
import type { SyncServer } from '../../src/server/createSyncServer';
import type { WriteResult } from '../../src/local/writeRows';
import { engineFor, freshOrg, startServer } from '../integration/engine/harness';
import { scriptedFetch, type Fault, type ScriptedFetch } from '../integration/engine/scriptedFetch';
import { clientFor } from '../integration/server/harness';
import { ABSENT, intendedRows, normalizeRow, type OraclePolicy, type Write } from './intent';
import type { FaultName, Schedule, Step } from './schedule';

/** The policies of the fuzzer's tables, on the server and declared to every engine. */
export const FUZZ_POLICIES: ConflictPolicies = {
  lww: { strategy: 'last-write-wins' },
  merge: { strategy: 'field-merge', fields: { tags: 'union', count: 'counter', prio: 'max' } },
};
const TABLES = { tasks: 'id', lww: 'id', merge: 'id' };
const POLICY_OF: Record<Schedule['setup']['table'], OraclePolicy> = { tasks: 'field-merge', lww: 'last-write-wins', merge: 'merge-rules' };
const UNIVERSE = ['title', 'status', 'n', 'note'] as const;
const ROWS = ['r0', 'r1', 'r2', 'r3'];

/** Starts the one in-process server the seeds share (each seed uses a fresh org). */
export function startFuzzServer(): Promise<SyncServer> {
  return startServer(null, { policies: FUZZ_POLICIES });
}

const FAULTS: Record<FaultName, Fault> = {
  dropRequest: { drop: 'request' },
  dropResponse: { drop: 'response' },
  error503: { status: 503 },
  error503AfterCommit: { status: 503, afterCommit: true },
  rateLimit: { status: 429 },
  timeout: { delayMs: 700 },
};

/** What a run did, for the log line. */
export interface RunReport {
  writes: number;
  opsSent: number;
  rows: number;
  faults: number;
}

interface Device {
  engine: SyncEngine;
  script: ScriptedFetch;
  deviceId: string;
  options: { indexedDB: IDBFactory; name: string };
}

/** An intent violation, with what the users meant and what the system holds. */
export class IntentViolation extends Error {
  override name = 'IntentViolation';
}

function dataOf(row: Record<string, unknown>): JsonObject {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('_'))) as JsonObject;
}

/**
 * Runs one schedule: starts its engines on fresh fake-indexeddb databases against `server` (a fresh org),
 * plays the steps, turns every fault off and lets everything settle, then checks the result against the
 * users' intent (intent.ts) — not against what the replicas agree on — and that every op id sent reached
 * the server exactly once, every replica equals the server, and nothing keeps syncing after the settle.
 * Throws IntentViolation (or the engine's own error) when any of it fails.
 */
export async function runSchedule(server: SyncServer, schedule: Schedule): Promise<RunReport> {
  const { setup, steps } = schedule;
  const org = freshOrg();
  const table = setup.table;
  const devices: Device[] = [];
  const writes: Write[] = [];
  let faults = 0;

  const open = async (i: number, options: Device['options'], script: ScriptedFetch): Promise<Device> => {
    const engine = await engineFor(server, org, {
      ...options,
      tables: TABLES,
      conflicts: FUZZ_POLICIES,
      user: `user${i}`,
      fetch: script.fetch,
      timeoutMs: 400,
      batchSize: setup.batchSize,
      retry: { retryBaseMs: 20, retryMaxMs: 100, maxAttempts: 10_000 },
    });
    await engine.start();
    const deviceId = (await engine.db.table('_meta').get('deviceId')).value as string;
    return { engine, script, deviceId, options };
  };
  try {
    for (let i = 0; i < setup.engines; i++) {
      const options = setup.tabs && i === 1 ? devices[0]!.options : { indexedDB: new IDBFactory(), name: `fuzz-${org}-${i}` };
      devices.push(await open(i, options, scriptedFetch()));
    }
    const record = (device: Device, kind: Write['kind'], result: WriteResult, intent?: Write['intent']) => {
      const change = result.changes[0];
      if (!change) return;
      const fields: Write['fields'] = {};
      if (kind === 'put' && change.before === null) {
        for (const f of UNIVERSE) fields[f] = change.after![f] ?? ABSENT;
      } else if (kind !== 'delete') {
        for (const f of new Set([...Object.keys(change.before ?? {}), ...Object.keys(change.after ?? {})])) {
          if (f === 'id') continue;
          if (
            stableStringify(change.before?.[f] ?? null) !== stableStringify(change.after?.[f] ?? null) ||
            !(f in (change.before ?? {})) !== !(f in (change.after ?? {}))
          )
            fields[f] = change.after?.[f] ?? ABSENT;
        }
      }
      writes.push({
        seq: writes.length,
        device: device.deviceId,
        table,
        rowId: change.id,
        kind,
        at: result.at,
        fields,
        rowAfter: change.after,
        ...(intent ? { intent } : {}),
      });
    };

    // A merge table starts with its rows, made by the first device and seen by all.
    if (table === 'merge') {
      for (const id of ROWS) record(devices[0]!, 'put', await devices[0]!.engine.table('merge').put({ id, tags: [], count: 0, prio: 0 }));
      for (const d of devices) await syncOrExplain(d.engine, 10_000);
    }

    for (const [index, step] of steps.entries()) {
      const device = devices[('e' in step ? step.e : 0) % devices.length]!;
      await playStep(step, index, device);
    }

    // One merge-table update (tags: union, count: counter, prio: max) from the row as the user reads it.
    async function writeMerge(device: Device, id: string, i: number, fields: number): Promise<void> {
      const t = device.engine.table(table);
      const row = await t.get(id);
      if (!row) return;
      const tags = [...((row.tags as string[]) ?? [])];
      const patch: JsonObject = {};
      if (fields & 1) tags.push(`g${i}`);
      if (fields & 2 && tags.length > 1) tags.splice(fields % tags.length, 1);
      if (fields & 3) patch.tags = tags;
      if (fields & 4) patch.count = (row.count as number) + 1 + (fields % 3);
      if (fields & 8) patch.prio = (row.prio as number) + 1 + (fields % 2);
      if (Object.keys(patch).length === 0) patch.count = (row.count as number) + 1;
      const result = await t.update(id, patch);
      const change = result.changes[0];
      if (!change) return;
      const before = new Set((change.before!.tags as string[]) ?? []);
      const after = new Set((change.after!.tags as string[]) ?? []);
      record(device, 'update', result, {
        added: [...after].filter((x) => !before.has(x)),
        removed: [...before].filter((x) => !after.has(x)),
        increment: (change.after!.count as number) - (change.before!.count as number),
        raisedTo: change.after!.prio as number,
      });
    }

    async function playStep(step: Step, i: number, device: Device): Promise<void> {
      const t = device.engine.table(table);
      switch (step.t) {
        case 'write': {
          const id = ROWS[step.row]!;
          if (table === 'merge') {
            // The user's read and write are one transaction, as an app's read-modify-write of an array or a
            // counter must be: a pull landing between them would make the write undo what it never saw.
            return device.engine.db.transaction('rw', [table, '_outbox', '_tombstones'], () => writeMerge(device, id, i, step.fields));
          }
          const values: JsonObject = {};
          UNIVERSE.forEach((f, k) => {
            if (step.fields & (1 << k)) values[f] = f === 'n' ? i : `${f}-${i}`;
          });
          if (step.kind === 'delete') return record(device, 'delete', await t.delete(id));
          if (step.kind === 'put' || !(await t.get(id))) return record(device, 'put', await t.put({ id, ...values }));
          try {
            record(device, 'update', await t.update(id, values));
          } catch (error) {
            // A pull deleted the row between the read and the update: refused, nothing written.
            if (!isChartsyncError(error, 'ROW_NOT_FOUND')) throw error;
          }
          return;
        }
        case 'net':
          return device.engine.setOnline(step.on);
        case 'fault':
          faults += 1;
          return device.script.on((r) => r.kind !== 'events', FAULTS[step.fault]);
        case 'sync':
          return void (await device.engine.sync({ timeoutMs: 1500 }).catch(() => undefined));
        case 'wait':
          return void (await new Promise((r) => setTimeout(r, step.ms)));
        case 'kill': {
          const index = devices.indexOf(device);
          await crashEngine(device.engine);
          devices[index] = await open(index, device.options, device.script);
          return;
        }
        case 'outage':
          devices.forEach((d) => (d.script.down = true));
          await new Promise((r) => setTimeout(r, step.ms));
          devices.forEach((d) => (d.script.down = false));
          return;
      }
    }

    // Settle: every fault off, everyone online, sync until every outbox is empty, then twice more.
    for (const d of devices) {
      d.script.clear();
      d.script.down = false;
      d.engine.setOnline(true);
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      for (const d of devices) await d.engine.sync({ timeoutMs: 10_000 }).catch(() => undefined);
      const pending = await Promise.all(devices.map((d) => d.engine.outbox.count()));
      if (pending.every((n) => n === 0)) break;
      if (Date.now() > deadline) throw new IntentViolation(`outboxes never drained: ${pending.join(', ')} ops left`);
    }
    for (let round = 0; round < 2; round++) for (const d of devices) await syncOrExplain(d.engine, 10_000);

    // Nothing keeps syncing once settled: a tab that takes over the lead runs one cycle (a few requests),
    // an engine in a loop many more.
    const before = devices.map((d) => d.script.requests.length);
    await new Promise((r) => setTimeout(r, 500));
    const after = devices.map((d) => d.script.requests.length);
    if (after.some((n, i) => n - before[i]! > 12))
      throw new IntentViolation(`engines kept sending requests after the settle: ${before.join(',')} → ${after.join(',')}`);

    // The users' intent, the server, and every replica.
    const policy = POLICY_OF[table];
    const intended = intendedRows(
      policy,
      writes.filter((w) => w.table === table),
    );
    const reader = await clientFor(server, { org });
    const serverRows = new Map((await reader.pullAll(table)).filter((ch) => !ch.row._deleted).map((ch) => [ch.row.id, normalizeRow(policy, dataOf(ch.row))]));
    const diff = (a: Map<string, JsonObject>, b: Map<string, JsonObject>) =>
      [...new Set([...a.keys(), ...b.keys()])]
        .filter((id) => stableStringify(a.get(id) ?? null) !== stableStringify(b.get(id) ?? null))
        .map((id) => ({ id, expected: a.get(id) ?? null, actual: b.get(id) ?? null }));
    const lost = diff(intended, serverRows);
    if (lost.length)
      throw new IntentViolation(
        `the server does not hold what the users wrote (${policy}):\n${JSON.stringify(lost, null, 1)}\nwrites:\n${writes.map((w) => JSON.stringify({ ...w, fields: Object.fromEntries(Object.entries(w.fields).map(([k, v]) => [k, v === ABSENT ? '<absent>' : v])) })).join('\n')}`,
      );
    for (const [i, d] of devices.entries()) {
      const local = new Map((await d.engine.table(table).toArray()).map((row) => [row.id as string, normalizeRow(policy, dataOf(row))]));
      const apart = diff(serverRows, local);
      if (apart.length) throw new IntentViolation(`engine ${i} differs from the server:\n${JSON.stringify(apart, null, 1)}`);
      const dead = await d.engine.deadLetters.list();
      if (dead.length) throw new IntentViolation(`engine ${i} dead-lettered ${dead.length} ops: ${dead.map((l) => l.reason).join('; ')}`);
    }

    // Every op id sent reached the server exactly once, and nothing else did.
    const sent = new Set(devices.flatMap((d) => d.script.requests.flatMap((r) => r.opIds)));
    const applied = (await server.storage.query<{ op_id: string }>(`select op_id from chartsync_ops where org = $1`, [org])).map((r) => r.op_id);
    const appliedSet = new Set(applied);
    if (applied.length !== appliedSet.size) throw new IntentViolation('an op id was recorded twice on the server');
    const never = [...sent].filter((id) => !appliedSet.has(id));
    const unknown = applied.filter((id) => !sent.has(id));
    if (never.length || unknown.length)
      throw new IntentViolation(`ops sent but never applied: ${never.join(', ') || 'none'}; applied but never sent: ${unknown.join(', ') || 'none'}`);
    return { writes: writes.length, opsSent: sent.size, rows: serverRows.size, faults };
  } finally {
    await Promise.all(devices.map((d) => d.engine.stop().catch(() => undefined)));
  }
}

/**
 * sync(), and when it times out, what the engine's chart believed then (leader, online, a request pending,
 * its cycle counters) next to what the election says: a rare time-out of the fuzzer is then diagnosable
 * from its report alone.
 */
async function syncOrExplain(engine: SyncEngine, timeoutMs: number): Promise<void> {
  try {
    await engine.sync({ timeoutMs });
  } catch (error) {
    if (!isChartsyncError(error, 'TIMEOUT')) throw error;
    const snapshot = engine.actor.getSnapshot();
    const c = snapshot.context;
    const facts = `chart: state ${JSON.stringify(snapshot.value)}, isLeader ${c.isLeader}, online ${c.online}, syncRequested ${c.syncRequested}, cycle ${c.cycle}, completedCycle ${c.completedCycle}; election: leader ${engine.isLeader}`;
    throw new Error(`${error.message} [${facts}]`, { cause: error });
  }
}
