import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncEngine } from '../../../src/engine';
import { coveredRange } from '../../../src/local/outbox/ackOps';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor, op } from '../server/harness';
import { engineFor, eventually, freshOrg, startServer } from './harness';
import { scriptedFetch } from './scriptedFetch';

// A push answer that holds every change since a table's cursor moves that cursor: the device's own rows
// do not come back in its next pull — and a change by anyone else in between is never skipped.

const row = (v: number) => ({ table: 'tasks', row: { id: `r${v}`, _v: v, _deleted: false } });

describe('coveredRange', () => {
  it('covers back from the head while every sequence is the version of a row in the answer', () => {
    expect(coveredRange('c2.e1.7', [row(5), row(7), row(6)])).toEqual({ epoch: 'e1', from: 4, to: 7 });
    expect(coveredRange('c2.e1.7', [row(7), row(5)])).toEqual({ epoch: 'e1', from: 6, to: 7 });
    expect(coveredRange('c2.e1.7', [row(5)])).toBeNull();
    expect(coveredRange('c2.e1.2', [row(1), row(2)])).toEqual({ epoch: 'e1', from: 0, to: 2 });
  });
});

describe('push answers move cursors', () => {
  let server: SyncServer;
  const engines: SyncEngine[] = [];
  beforeAll(async () => {
    server = await startServer(null);
  });
  afterAll(async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop()));
    await server?.close();
  });

  async function device(org: string): Promise<SyncEngine> {
    const engine = await engineFor(server, org, { batchSize: 10 });
    engines.push(engine);
    await engine.start();
    await engine.sync();
    return engine;
  }

  it("a device's own pushed rows do not come back in its next pull (no echo), batch after batch", async () => {
    const a = await device(freshOrg());
    const pulledBefore = (await a.diagnostics()).metrics.rowsPulled;
    await a.table('tasks').bulkPut(Array.from({ length: 35 }, (_, i) => ({ id: `t${i}`, title: `task ${i}` })));
    await a.sync();
    expect(await a.outbox.count()).toBe(0);
    expect((await a.diagnostics()).metrics.rowsPulled).toBe(pulledBefore);
    expect(await a.db.table('tasks').count()).toBe(35);
    expect((await a.db.table('tasks').get('t34'))._v).toBeGreaterThan(0);
  });

  it('a change another device made between our cursor and our push is still pulled (the answer does not cover it)', async () => {
    const org = freshOrg();
    const a = await device(org);
    const other = await clientFor(server, { org, user: 'ben' }, 'ben-device');
    await other.push([op({ rowId: 'theirs', patch: { id: 'theirs', title: 'from ben' } })]);
    await a.table('tasks').put({ id: 'mine', title: 'from ana' });
    await a.sync();
    expect(await a.db.table('tasks').get('theirs')).toMatchObject({ title: 'from ben' });
    // And one made after our push, too.
    await other.push([op({ rowId: 'later', patch: { id: 'later', title: 'after' } })]);
    await a.table('tasks').put({ id: 'mine2', title: 'again' });
    await a.sync();
    expect(await a.db.table('tasks').get('later')).toMatchObject({ title: 'after' });
  });

  it('a long queue pushed batch after batch, each claimed from where the last ended, reaches the server whole and once — writes made meanwhile included', async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const a = await engineFor(server, org, { batchSize: 40, fetch: script.fetch });
    engines.push(a);
    await a.start();
    await a.sync();
    a.setOnline(false);
    const id = (i: number) => `q${String(i).padStart(4, '0')}`;
    await a.table('tasks').bulkPut(Array.from({ length: 130 }, (_, i) => ({ id: id(i), title: `task ${i}` })));
    // The first push is held: meanwhile a row of a later batch is changed (its op coalesces, unsent) and a row
    // of the first batch again (a new op behind the one in flight).
    script.on('push', { delayMs: 200 });
    const pushesBefore = script.count('push');
    a.setOnline(true);
    await eventually(() => script.count('push') > pushesBefore, 2000, 'the first push');
    await a.table('tasks').update(id(100), { status: 'done' });
    await a.table('tasks').update(id(3), { status: 'doing' });
    await a.sync({ timeoutMs: 10_000 });
    await a.sync({ timeoutMs: 10_000 });
    expect(await a.outbox.count()).toBe(0);
    // 130 creates (one with the status coalesced into it) and the first batch's row's new op: each sent once,
    // and in queue order — the new op last, in the next cycle.
    const pushed = script.requests.filter((r) => r.kind === 'push').flatMap((r) => r.rowIds);
    expect(pushed.slice(-131)).toEqual([...Array.from({ length: 130 }, (_, i) => id(i)), id(3)]);
    expect((await a.diagnostics()).metrics.opsPushed).toBe(131);
    const reader = await clientFor(server, { org });
    const rows = new Map((await reader.pullAll('tasks')).map((change) => [change.row.id, change.row]));
    expect(rows.size).toBe(130);
    expect(rows.get(id(100))).toMatchObject({ title: 'task 100', status: 'done' });
    expect(rows.get(id(3))).toMatchObject({ title: 'task 3', status: 'doing' });
    expect(rows.get(id(129))).toMatchObject({ title: 'task 129' });
    const local = await a.db.table('tasks').toArray();
    expect(local.map((row) => [row.id, row._v])).toEqual(
      [...rows.values()].map((row) => [row.id, row._v]).sort(([x], [y]) => String(x).localeCompare(String(y))),
    );
  });
});
