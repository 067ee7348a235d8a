import { mkdtemp, rm } from 'node:fs/promises';
import { crashEngine } from '../../../src/engine/crash';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createSyncLock } from '../../../src/coordination/createSyncLock';
import { createLocalDatabase } from '../../../src/local/openLocalStore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncEngine } from '../../../src/engine';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor, tokenFor } from '../server/harness';
import { engineFor, eventually, freshOrg, startServer } from './harness';

async function serverIds(server: SyncServer, org: string): Promise<string[]> {
  const reader = await clientFor(server, { org });
  return (await reader.pullAll('tasks'))
    .filter((ch) => !ch.row._deleted)
    .map((ch) => ch.row.id)
    .sort();
}

async function appliedOps(server: SyncServer, org: string): Promise<string[]> {
  return (await server.storage.query<{ op_id: string }>(`select op_id from chartsync_ops where org = $1`, [org])).map((r) => r.op_id);
}

describe('the engine through restarts, kills, token expiry and tabs', () => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(null);
  });
  afterAll(() => server?.close());

  it('rides out a server restart mid-run without losing or doubling a write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chartsync-restart-'));
    let own = await startServer(null, { dataDir: dir });
    const port = own.port;
    const org = freshOrg();
    const engine = await engineFor(own, org);
    try {
      await engine.start();
      for (let i = 0; i < 10; i++) await engine.table('tasks').put({ id: `a${i}`, title: 'before' });
      await engine.sync();
      await own.close();
      for (let i = 0; i < 10; i++) await engine.table('tasks').put({ id: `b${i}`, title: 'while down' });
      await eventually(() => engine.status === 'reconnecting', 5000, 'reconnecting while the server is down');
      own = await startServer(null, { dataDir: dir, port });
      await eventually(async () => (await engine.outbox.count()) === 0, 10_000, 'the outbox to drain after the restart');
      expect(await serverIds(own, org)).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)].sort());
      const ops = await appliedOps(own, org);
      expect(ops.length).toBe(20);
    } finally {
      await engine.stop();
      await own.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(['locking', 'pushing', 'initial', 'pulling'])('survives a kill while %s and resumes after restart', async (substate) => {
    const org = freshOrg();
    // Seed the server so the first download has something to page through.
    const other = await engineFor(server, org);
    await other.start();
    await other.table('tasks').bulkPut(Array.from({ length: 30 }, (_, i) => ({ id: `seed${i}`, title: 'seed' })));
    await other.sync();
    await other.stop();

    const indexedDB = new IDBFactory();
    // Slow answers keep the chart in each sub-state long enough to be killed there.
    const slowFetch: typeof fetch = async (input, init) => {
      await new Promise((r) => setTimeout(r, 60));
      return fetch(input, init);
    };
    const options = { indexedDB, name: `kill-${substate}`, fetch: slowFetch, pageSize: 5 };
    // To be killed while waiting for the lock, the lock must be busy: another tab holds it.
    const blocker =
      substate === 'locking'
        ? await createSyncLock({
            db: createLocalDatabase({ name: options.name, tables: { tasks: 'id, status, assignee', notes: 'id' }, indexedDB, IDBKeyRange }),
            ownerId: 'other-tab',
            locks: null,
            leaseMs: 300,
          }).tryAcquire()
        : null;
    const first = await engineFor(server, org, options);
    await first.start();
    for (let i = 0; i < 12; i++) await first.table('tasks').put({ id: `mine${i}`, title: `v${i}` });
    await eventually(() => JSON.stringify(first.actor.getSnapshot().value).includes(`"${substate}"`), 10_000, `the chart to reach ${substate}`);
    await crashEngine(first);
    await blocker?.release();

    const second = await engineFor(server, org, { ...options, fetch: globalThis.fetch });
    await second.start();
    await eventually(async () => (await second.outbox.count()) === 0 && second.status === 'idle', 15_000, 'the restarted engine to drain');
    await second.sync();
    const diagnostics = await second.diagnostics();
    const expected = [...Array.from({ length: 30 }, (_, i) => `seed${i}`), ...Array.from({ length: 12 }, (_, i) => `mine${i}`)].sort();
    expect(await serverIds(server, org)).toEqual(expected);
    expect(
      (await second.table('tasks').toArray()).map((r) => r.id).sort(),
      JSON.stringify({ tables: diagnostics.tables, transitions: diagnostics.recentTransitions.slice(-12) }),
    ).toEqual(expected);
    const ops = await appliedOps(server, org);
    expect(ops.length).toBe(new Set(ops).size);
    await second.stop();
  });

  it('start() is idempotent: two at once, or start → stop → start, leave one root actor running', async () => {
    const org = freshOrg();
    const roots: string[] = [];
    const engine = await engineFor(server, org, {
      inspect: (event) => void (event.type === '@xstate.actor' && event.actorRef.sessionId === event.rootId && roots.push(event.rootId)),
    });
    await Promise.all([engine.start(), engine.start()]);
    expect(roots).toHaveLength(1);
    void engine.start();
    void engine.stop();
    await engine.start();
    expect(roots).toHaveLength(2);
    await engine.table('tasks').put({ id: 'once', title: 'one engine' });
    await engine.sync();
    expect(await serverIds(server, org)).toEqual(['once']);
    await engine.stop();
    expect(engine.status).toBe('rehydrating');
    await expect(engine.outbox.count()).rejects.toMatchObject({ code: 'NOT_STARTED' });
  });

  it('start() without IndexedDB rejects with a ChartsyncError that says what to pass', async () => {
    const saved = (globalThis as { indexedDB?: unknown }).indexedDB;
    delete (globalThis as { indexedDB?: unknown }).indexedDB;
    try {
      const engine = await engineFor(server, freshOrg(), { indexedDB: undefined as never });
      await expect(engine.start()).rejects.toMatchObject({
        name: 'ChartsyncError',
        code: 'CONFIG',
        message: expect.stringMatching(/IndexedDB.*options\.indexedDB/),
      });
    } finally {
      (globalThis as { indexedDB?: unknown }).indexedDB = saved;
    }
  });

  it('asks a token function again after a 401, and leaves error(auth) by itself when it gives a new token', async () => {
    const org = freshOrg();
    const expired = await tokenFor({ org }, Math.floor(Date.now() / 1000) - 10);
    const fresh = await tokenFor({ org }, '1h');
    let calls = 0;
    const engine = await engineFor(server, org, { token: () => (++calls === 1 ? expired : fresh) });
    await engine.start();
    await engine.table('tasks').put({ id: 'after-refresh', title: 'pushed with the new token' });
    await eventually(async () => (await engine.outbox.count()) === 0, 5000, 'the write to go out with the refreshed token');
    expect(await serverIds(server, org)).toEqual(['after-refresh']);
    expect(engine.status).not.toBe('error');
    await engine.stop();
  });

  it('goes to error(auth) when the token expires mid-run, and resumes with a new one without losing queued writes', async () => {
    const org = freshOrg();
    const expiresAt = Math.floor(Date.now() / 1000) + 3;
    let current = await tokenFor({ org }, expiresAt);
    const engine = await engineFor(server, org, { token: () => current });
    await engine.start();
    await engine.table('tasks').put({ id: 'early', title: 'pushed' });
    await engine.sync();
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt * 1000 - Date.now() + 100)));
    await engine.table('tasks').put({ id: 'queued', title: 'waits for a token' });
    await eventually(() => engine.status === 'error', 5000, 'error(auth)');
    expect(engine.actor.getSnapshot().context.errorReason).toBe('auth');
    expect(await engine.outbox.count()).toBe(1);
    current = await tokenFor({ org }, '1h');
    engine.setToken(() => current);
    await eventually(async () => (await engine.outbox.count()) === 0, 5000, 'the queued write to go out');
    expect(await serverIds(server, org)).toEqual(['early', 'queued']);
    await engine.stop();
  });

  it('lets one of two tabs push at a time; both see everything; the other takes over when the leader stops', async () => {
    const org = freshOrg();
    const indexedDB = new IDBFactory();
    const pushesBy = [0, 0];
    const counting =
      (i: number): typeof fetch =>
      async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        if (url.includes('/sync/push')) pushesBy[i]! += 1;
        return fetch(input, init);
      };
    const name = `tabs-${org}`;
    const a = await engineFor(server, org, { indexedDB, name, fetch: counting(0) });
    const b = await engineFor(server, org, { indexedDB, name, fetch: counting(1) });
    await a.start();
    await b.start();
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];
    const leaderIndex = a.isLeader ? 0 : 1;
    await follower.table('tasks').put({ id: 'from-follower', title: 'f' });
    await leader.table('tasks').put({ id: 'from-leader', title: 'l' });
    await follower.sync({ timeoutMs: 10_000 });
    await leader.sync();
    expect(await serverIds(server, org)).toEqual(['from-follower', 'from-leader']);
    expect(pushesBy[1 - leaderIndex]).toBe(0);
    expect((await follower.table('tasks').toArray()).map((r) => r.id).sort()).toEqual(['from-follower', 'from-leader']);

    await leader.stop();
    await eventually(() => follower.isLeader, 5000, 'the follower to take over');
    await follower.table('tasks').put({ id: 'after-handover', title: 'h' });
    await follower.sync();
    expect(await serverIds(server, org)).toEqual(['after-handover', 'from-follower', 'from-leader']);
    expect(pushesBy[1 - leaderIndex]).toBeGreaterThan(0);
    await follower.stop();
  });

  it("regression: sync() on a leader that loses the lead mid-cycle (a frozen tab's lease taken over) waits for the new leader's cycle instead of timing out", async () => {
    const org = freshOrg();
    const indexedDB = new IDBFactory();
    const name = `frozen-${org}`;
    let holdPushes = false;
    const held: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      // The leader's push hangs (until the request is aborted) while the test takes its lead away.
      if (holdPushes && url.includes('/sync/push'))
        return new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(new TypeError('aborted')), { once: true }));
      return fetch(input, init);
    };
    const a = await engineFor(server, org, { indexedDB, name, fetch: held });
    await a.start();
    await eventually(() => a.isLeader, 3000, 'the first tab to lead');
    const b = await engineFor(server, org, { indexedDB, name });
    await b.start();
    await a.table('tasks').put({ id: 'written-before-the-freeze', title: 'kept' });
    holdPushes = true;
    const syncing = a.sync({ timeoutMs: 4000 });
    await eventually(() => a.status === 'syncing', 3000, 'the leader to start its cycle');
    // The other tab found the leader's lease expired and took it: the leader learns so at its next renewal.
    const other = (JSON.parse(await b.exportDebugLog()) as { tabId: string }).tabId;
    await a.db.table('_meta').put({ key: 'lease:leader', value: { owner: other, token: 1_000_000, expiresAt: Date.now() + 60_000, webLocks: false } });
    await expect(syncing).resolves.toBeUndefined();
    expect(a.isLeader).toBe(false);
    expect(await serverIds(server, org)).toEqual(['written-before-the-freeze']);
    await a.stop();
    await b.stop();
  });
});

describe('conflicts between two engines, under each policy', () => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(null, {
      policies: {
        lww: { strategy: 'last-write-wins' },
        merge: { strategy: 'field-merge', fields: { tags: 'union' } },
        man: { strategy: 'manual' },
      },
    });
  });
  afterAll(() => server?.close());

  async function pair(table: string) {
    const org = freshOrg();
    const tables = { lww: 'id', merge: 'id', man: 'id' };
    const a = await engineFor(server, org, { tables, user: 'alice' });
    const b = await engineFor(server, org, { tables, user: 'bob' });
    await a.start();
    await b.start();
    await a.table(table).put({ id: 'r', title: 'base', notes: 'n', tags: ['x'] });
    await a.sync();
    await b.sync();
    a.setOnline(false);
    b.setOnline(false);
    return { a, b };
  }

  async function settle(...engines: SyncEngine[]) {
    engines.forEach((e) => e.setOnline(true));
    for (let round = 0; round < 3; round++) for (const e of engines) await e.sync();
  }

  it('last-write-wins: the later offline edit wins on both replicas', async () => {
    const { a, b } = await pair('lww');
    await a.table('lww').update('r', { title: 'alice' });
    await new Promise((r) => setTimeout(r, 5));
    await b.table('lww').update('r', { title: 'bob' });
    await settle(a, b);
    for (const e of [a, b]) expect(await e.table('lww').get('r')).toMatchObject({ title: 'bob' });
    await Promise.all([a.stop(), b.stop()]);
  });

  it("field-merge: both replicas keep both sides' fields and the union of tags", async () => {
    const { a, b } = await pair('merge');
    await a.table('merge').update('r', { title: 'alice', tags: ['x', 'a'] });
    await b.table('merge').update('r', { notes: 'bob', tags: ['x', 'b'] });
    await settle(a, b);
    for (const e of [a, b]) {
      const row = await e.table('merge').get('r');
      expect(row).toMatchObject({ title: 'alice', notes: 'bob' });
      expect([...(row!.tags as string[])].sort()).toEqual(['a', 'b', 'x']);
    }
    await Promise.all([a.stop(), b.stop()]);
  });

  it('manual: the conflict shows on the engine that lost the race, and its resolution reaches everyone', async () => {
    const { a, b } = await pair('man');
    await a.table('man').update('r', { title: 'alice' });
    await b.table('man').update('r', { title: 'bob' });
    const seen: unknown[] = [];
    b.on('conflict', (record) => seen.push(record));
    a.setOnline(true);
    await a.sync();
    b.setOnline(true);
    await b.sync();
    expect(await a.conflicts.list()).toEqual([]);
    const [conflict] = await b.conflicts.list();
    expect(conflict).toMatchObject({ table: 'man', rowId: 'r', local: { title: 'bob' }, remote: { title: 'alice' } });
    expect(seen).toHaveLength(1);
    expect(await b.table('man').get('r')).toMatchObject({ title: 'alice' });
    await b.conflicts.resolve(conflict!.id!, { title: 'alice and bob', notes: 'merged by hand', tags: ['x'] });
    await b.sync();
    await a.sync();
    for (const e of [a, b]) expect(await e.table('man').get('r')).toMatchObject({ title: 'alice and bob', notes: 'merged by hand' });
    expect(await b.conflicts.list()).toEqual([]);
    await Promise.all([a.stop(), b.stop()]);
  });
});
