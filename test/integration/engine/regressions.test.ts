import { IDBFactory } from 'fake-indexeddb';
import { crashEngine } from '../../../src/engine/crash';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncEngine, SyncEngineOptions } from '../../../src/engine';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor, op, rowOf } from '../server/harness';
import { engineFor, eventually, freshOrg, startServer } from './harness';
import { scriptedFetch, type ScriptedFetch } from './scriptedFetch';

// One regression test per way the review found writes lost or replicas diverged (issue "Never lose an
// acknowledged write"), each named after what broke. Real engines on fake-indexeddb, the real server, real
// faults injected into fetch.

const TABLES = { tasks: 'id, status, assignee', notes: 'id', man: 'id', merge: 'id' };
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('regressions: no acknowledged write is lost, no replica diverges', () => {
  let server: SyncServer;
  const engines: SyncEngine[] = [];
  beforeAll(async () => {
    server = await startServer(null, {
      policies: { man: { strategy: 'manual' }, merge: { strategy: 'field-merge', fields: { tags: 'union', count: 'counter' } } },
    });
  });
  afterAll(async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop().catch(() => undefined)));
    await server?.close();
  });

  async function device(org: string, user: string, options: Partial<SyncEngineOptions> & { script?: ScriptedFetch } = {}): Promise<SyncEngine> {
    const { script, ...rest } = options;
    const engine = await engineFor(server, org, { tables: TABLES, user, ...(script ? { fetch: script.fetch } : {}), ...rest });
    engines.push(engine);
    await engine.start();
    return engine;
  }

  async function serverRow(org: string, table: string, id: string) {
    const reader = await clientFor(server, { org });
    return (await reader.pullAll(table)).find((ch) => ch.row.id === id)?.row;
  }

  async function settle(...all: SyncEngine[]) {
    all.forEach((e) => e.setOnline(true));
    for (let round = 0; round < 3; round++) for (const e of all) await e.sync();
  }

  /** Ana and Ben (whose requests follow a script, with 400 ms retries) both holding row r = base. */
  async function anaAndScriptedBen(org: string) {
    const script = scriptedFetch();
    const a = await device(org, 'ana');
    const b = await device(org, 'ben', { script, retry: { retryBaseMs: 400, retryMaxMs: 400, maxAttempts: 50 } });
    await a.table('tasks').put({ id: 'r', title: 'base' });
    await a.sync();
    await b.sync();
    return { a, b, script };
  }

  it("a row's earlier op is never overtaken by a later one that coalescing made more urgent (the tags edit survives)", async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const a = await device(org, 'ana', { script });
    await a.table('tasks').put({ id: 'r', title: 'base', status: 'todo', tags: [] });
    await a.sync();
    // The tags edit is sent once and its request dropped: it comes back to the queue and cannot coalesce.
    script.on((r) => r.kind === 'push' && (a.setOnline(false), true), { drop: 'request' });
    await a.table('tasks').update('r', { tags: ['x'] });
    await eventually(() => a.status === 'offline', 3000, 'the failed push');
    await a.table('tasks').update('r', { title: 'renamed' });
    await a.table('tasks').update('r', { status: 'done' });
    await settle(a);
    expect(await serverRow(org, 'tasks', 'r')).toMatchObject({ title: 'renamed', status: 'done', tags: ['x'] });
  });

  it('re-creating a row after its delete was confirmed creates it everywhere', async () => {
    const org = freshOrg();
    const a = await device(org, 'ana');
    await a.table('tasks').put({ id: 'natural-key', title: 'first' });
    await a.sync();
    await a.table('tasks').delete('natural-key');
    await a.sync();
    await a.table('tasks').put({ id: 'natural-key', title: 'again' });
    await a.sync();
    expect(await a.table('tasks').get('natural-key')).toMatchObject({ title: 'again' });
    expect(await serverRow(org, 'tasks', 'natural-key')).toMatchObject({ title: 'again', _deleted: false });
    const b = await device(org, 'ben');
    await b.sync();
    expect(await b.table('tasks').get('natural-key')).toMatchObject({ title: 'again' });
  });

  it('a rebased edit that then loses on the server does not stay on the device (the pulled delete wins)', async () => {
    const org = freshOrg();
    const { a, b, script } = await anaAndScriptedBen(org);
    b.setOnline(false);
    await b.table('tasks').update('r', { title: 'ben, earlier' });
    await tick();
    await a.table('tasks').delete('r');
    await a.sync();
    // Ben's edit is refused once with a 503: it waits out a backoff while his pull brings the delete.
    script.on('push', { status: 503 });
    b.setOnline(true);
    await eventually(async () => (await b.outbox.count()) === 0, 5000, "ben's edit to be pushed after its backoff");
    expect(await serverRow(org, 'tasks', 'r')).toMatchObject({ _deleted: true });
    expect(await b.table('tasks').get('r')).toBeUndefined();
  });

  it('an op replayed after a lost answer does not bring back a row deleted meanwhile', async () => {
    const org = freshOrg();
    const { a, b, script } = await anaAndScriptedBen(org);
    // The server commits Ben's edit, but a proxy answers 503: Ben waits out a backoff before sending it again.
    script.on('push', { status: 503, afterCommit: true });
    await b.table('tasks').update('r', { title: 'ben' });
    await eventually(() => script.count('pull') > 0 && b.status === 'idle', 3000, "ben's failed push");
    await a.sync();
    expect(await a.table('tasks').get('r')).toMatchObject({ title: 'ben' });
    await a.table('tasks').delete('r');
    await a.sync();
    await b.sync();
    await eventually(async () => (await b.outbox.count()) === 0, 5000, "ben's replay");
    expect(await b.table('tasks').get('r')).toBeUndefined();
    expect(await serverRow(org, 'tasks', 'r')).toMatchObject({ _deleted: true });
  });

  it('a replayed op keeps its first outcome: a manual conflict whose answer was lost is recorded, not acknowledged', async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const a = await device(org, 'ana');
    const b = await device(org, 'ben', { script });
    await a.table('man').put({ id: 'r', title: 'base' });
    await a.sync();
    await b.sync();
    a.setOnline(false);
    b.setOnline(false);
    await a.table('man').update('r', { title: 'ana' });
    await b.table('man').update('r', { title: 'ben' });
    a.setOnline(true);
    await a.sync();
    script.on('push', { drop: 'response' });
    b.setOnline(true);
    await eventually(async () => (await b.outbox.count()) === 0, 5000, "ben's replay");
    const conflicts = await b.conflicts.list();
    expect(conflicts).toMatchObject([{ table: 'man', rowId: 'r', local: { title: 'ben' }, remote: { title: 'ana' } }]);
    expect(await b.table('man').get('r')).toMatchObject({ title: 'ana' });
  });

  it("a manual conflict's later put, replayed over the server's row, keeps the server's fields it never touched", async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const a = await device(org, 'ana', { script, retry: { retryBaseMs: 60_000, retryMaxMs: 60_000, maxAttempts: 50 } });
    const b = await device(org, 'ben');
    await a.table('man').put({ id: 'r', title: 'base' });
    await a.sync();
    await b.sync();
    a.setOnline(false);
    await b.table('man').update('r', { title: 'ben', note: 'from ben' });
    await b.sync();
    // Ana edits the title (it will conflict with Ben's), and while that op is in flight puts the row as she
    // sees it with a new status: a second op, listing only the status.
    await a.table('man').update('r', { title: 'ana' });
    script.on('push', { delayMs: 300 });
    const pushesBefore = script.count('push');
    a.setOnline(true);
    await eventually(() => script.count('push') > pushesBefore, 2000, "ana's first push");
    await a.table('man').put({ ...((await a.table('man').get('r')) as Record<string, unknown>), id: 'r', status: 'later' });
    // The put's own push is refused, so the row shows what the conflict left until it is sent.
    script.on('push', { status: 503 });
    await eventually(async () => (await a.conflicts.list()).length === 1, 5000, "ana's conflict");
    expect(await a.table('man').get('r')).toMatchObject({ title: 'ben', note: 'from ben', status: 'later' });
  });

  it('an edit that wins against a concurrent delete brings the row back with all its fields', async () => {
    const org = freshOrg();
    const a = await device(org, 'ana');
    const b = await device(org, 'ben');
    const full = { id: 'r', title: 'base', status: 'todo', assignee: 'ana', tags: ['x'] };
    await a.table('tasks').put(full);
    await a.sync();
    await b.sync();
    b.setOnline(false);
    await a.table('tasks').delete('r');
    await a.sync();
    await tick();
    await b.table('tasks').update('r', { title: 'ben, later' });
    await settle(a, b);
    for (const e of [a, b]) expect(await e.table('tasks').get('r')).toMatchObject({ ...full, title: 'ben, later' });
    expect(await serverRow(org, 'tasks', 'r')).toMatchObject({ ...full, title: 'ben, later', _deleted: false });
  });

  it('a server restored from an older backup makes the device download again, keeping and then pushing its unsent write', async () => {
    const org = freshOrg();
    const a = await device(org, 'ana');
    await a.table('tasks').bulkPut([
      { id: 'r1', title: 'one' },
      { id: 'r2', title: 'two' },
      { id: 'r3', title: 'three' },
    ]);
    await a.sync();
    a.setOnline(false);
    await a.table('tasks').update('r1', { title: 'one, edited offline' });
    // The restore: the org's rows are gone and its sequence starts over; a new row arrives meanwhile.
    await server.storage.query(`delete from chartsync_rows where org = $1`, [org]);
    await server.storage.query(`update chartsync_orgs set seq = 0 where org = $1`, [org]);
    const other = await clientFor(server, { org, user: 'cy' }, 'cy');
    await other.push([op({ rowId: 'n1', patch: { id: 'n1', title: 'after the restore' } })], 'cy');
    a.setOnline(true);
    await a.sync();
    await a.sync();
    expect((await a.table('tasks').toArray()).map((r) => [r.id, r.title]).sort()).toEqual([
      ['n1', 'after the restore'],
      ['r1', 'one, edited offline'],
    ]);
    expect(await serverRow(org, 'tasks', 'r1')).toMatchObject({ title: 'one, edited offline' });
    expect(await a.outbox.count()).toBe(0);
  });

  it('a server replaced by a new database (a new epoch) makes the device download again instead of trusting its cursor', async () => {
    const own = await startServer(null);
    const port = own.port;
    const org = freshOrg();
    const a = await engineFor(own, org, { tables: TABLES });
    await a.start();
    try {
      await a.table('tasks').bulkPut([
        { id: 'kept', title: 'x' },
        { id: 'lost', title: 'y' },
      ]);
      await a.sync();
      a.setOnline(false);
      await a.table('tasks').update('kept', { title: 'edited while the server was replaced' });
      await own.close();
      const fresh = await startServer(null, { port });
      try {
        const c = await clientFor(fresh, { org, user: 'cy' }, 'cy');
        await c.push([op({ rowId: 'new', patch: { id: 'new', title: 'new db' } })], 'cy');
        a.setOnline(true);
        await a.sync();
        await a.sync();
        expect((await a.table('tasks').toArray()).map((r) => r.id).sort()).toEqual(['kept', 'new']);
        expect((await c.pullAll('tasks')).map((ch) => [ch.row.id, ch.row.title]).sort()).toEqual([
          ['kept', 'edited while the server was replaced'],
          ['new', 'new db'],
        ]);
      } finally {
        await a.stop();
        await fresh.close();
      }
    } finally {
      await own.close().catch(() => undefined);
    }
  });

  it('field-merge union and counter are true three-way merges between engines ([x,y] −y +z → [x,z]; 10 +2 +1 → 13)', async () => {
    const org = freshOrg();
    const a = await device(org, 'ana');
    const b = await device(org, 'ben');
    await a.table('merge').put({ id: 'r', tags: ['x', 'y'], count: 10 });
    await a.sync();
    await b.sync();
    a.setOnline(false);
    b.setOnline(false);
    await a.table('merge').update('r', { tags: ['x'], count: 12 });
    await b.table('merge').update('r', { tags: ['x', 'y', 'z'], count: 11 });
    await settle(a, b);
    for (const e of [a, b]) {
      const row = await e.table('merge').get('r');
      expect([...(row!.tags as string[])].sort()).toEqual(['x', 'z']);
      expect(row!.count).toBe(13);
    }
  });

  it('a counter incremented again after a pull, while an earlier increment waits to be sent again, counts every increment once (10 +2 +1 +1 → 14)', async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const conflicts = { merge: { strategy: 'field-merge' as const, fields: { count: 'counter' as const } } };
    const a = await device(org, 'ana', { script, conflicts, retry: { retryBaseMs: 1500, retryMaxMs: 1500, maxAttempts: 50 } });
    const b = await device(org, 'ben', { conflicts });
    await a.table('merge').put({ id: 'r', count: 10 });
    await a.sync();
    await b.sync();
    // Ana's +2 is refused once (503) and waits out a backoff; Ben's +1 lands meanwhile; Ana's pull rebases.
    script.on('push', { status: 503 });
    await a.table('merge').update('r', { count: 12 });
    await eventually(async () => (await a.outbox.list()).some((o) => o.nextAttemptAt > 0), 3000, "ana's push to be refused");
    script.on('push', { status: 503, afterCommit: true });
    await b.table('merge').update('r', { count: 11 });
    await b.sync();
    // Ana's pull, while her increment waits (it may be on the server already: a 503 does not say), and
    // another increment of what she sees.
    await a.sync();
    await a.table('merge').update('r', { count: ((await a.table('merge').get('r'))!.count as number) + 1 });
    await eventually(async () => (await a.outbox.count()) === 0, 5000, "ana's increments to go out");
    await b.sync();
    for (const e of [a, b]) expect((await e.table('merge').get('r'))!.count).toBe(14);
  });

  it('a row written by 300 devices stays pullable: its metadata is bounded by its fields, not its writers', async () => {
    const org = freshOrg();
    const first = await clientFor(server, { org, user: 'u0' }, 'd0');
    const v = rowOf(await first.push([op({ rowId: 'busy', patch: { id: 'busy', title: 'base', n: 0 } })], 'd0'), 'busy')!._v;
    for (let d = 1; d <= 300; d++) {
      const c = await clientFor(server, { org, user: `u${d}` }, `d${d}`);
      await c.push([op({ rowId: 'busy', kind: 'update', patch: { n: d }, base: { v }, at: d })], `d${d}`);
    }
    const a = await device(org, 'ana');
    await a.sync();
    expect(await a.table('tasks').get('busy')).toMatchObject({ n: 300 });
    const [stored] = await server.storage.query<{ fv: Record<string, unknown> }>(`select fv from chartsync_rows where org = $1 and id = 'busy'`, [org]);
    expect(Object.keys(stored!.fv).sort()).toEqual(['_put', '_row', 'n', 'title']);
  });

  it('ops whose retry comes due during a cycle are pushed without another trigger (interval off)', async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const a = await device(org, 'ana', { script, intervalMs: 0, retry: { retryBaseMs: 300, retryMaxMs: 300, maxAttempts: 50 } });
    await a.sync();
    script.on('push', { status: 500 });
    // The next cycle's pulls are slow: the ops come due while it runs.
    script.on('pull', { delayMs: 500 }, 5);
    await a.table('tasks').bulkPut(Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, title: 'x' })));
    await eventually(async () => (await a.outbox.count()) === 0, 5000, "the ops to go out after their backoff, with no trigger but the engine's own");
    expect((await clientFor(server, { org }).then((c) => c.pullAll('tasks'))).length).toBe(10);
  });

  it('a create and a delete of an id the device never saw delete the row another device created', async () => {
    const org = freshOrg();
    const a = await device(org, 'ana');
    const b = await device(org, 'ben');
    await b.table('tasks').put({ id: 'shared-id', title: 'ben made it' });
    await b.sync();
    a.setOnline(false);
    await tick();
    await a.table('tasks').put({ id: 'shared-id', title: 'ana made it too' });
    await a.table('tasks').delete('shared-id');
    await settle(a, b);
    expect(await serverRow(org, 'tasks', 'shared-id')).toMatchObject({ _deleted: true });
    expect(await b.table('tasks').get('shared-id')).toBeUndefined();
  });

  it("coalescing keeps each field's own write time: a title written earlier loses to another device's later title", async () => {
    const org = freshOrg();
    const a = await device(org, 'ana');
    const b = await device(org, 'ben');
    await a.table('tasks').put({ id: 'r', title: 'base', status: 'todo' });
    await a.sync();
    await b.sync();
    a.setOnline(false);
    await a.table('tasks').update('r', { title: 'ana, first' });
    await tick();
    await b.table('tasks').update('r', { title: 'ben, second' });
    await b.sync();
    await tick();
    await a.table('tasks').update('r', { status: 'done' });
    await settle(a, b);
    for (const e of [a, b]) expect(await e.table('tasks').get('r')).toMatchObject({ title: 'ben, second', status: 'done' });
  });

  it("fields removed by a put keep the put's time when an update is coalesced into it: another device's earlier values stay removed", async () => {
    const org = freshOrg();
    const a = await device(org, 'ana');
    const b = await device(org, 'ben');
    a.setOnline(false);
    await a.table('tasks').put({ id: 'r', status: 'ana, first', note: 'ana' });
    await tick();
    await b.table('tasks').put({ id: 'r', title: 'ben', note: 'ben' });
    await b.sync();
    await tick();
    // Ana, still offline, replaces the row she has with one that has only a title, then edits it: her
    // put removes the note Ben wrote before it.
    await a.table('tasks').put({ id: 'r', title: 'ana, second' });
    await tick();
    await a.table('tasks').update('r', { title: 'ana, third', status: 'done' });
    await settle(a, b);
    const row = await serverRow(org, 'tasks', 'r');
    expect(row).toMatchObject({ title: 'ana, third', status: 'done' });
    expect(row).not.toHaveProperty('note');
    for (const e of [a, b]) expect(await e.table('tasks').get('r')).not.toHaveProperty('note');
  });

  it("a put pulled over while unacknowledged keeps the other device's field it never touched (the note is not lost by the next put)", async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const a = await device(org, 'ana', { script, retry: { retryBaseMs: 400, retryMaxMs: 400, maxAttempts: 50 } });
    const c = await device(org, 'cem');
    await a.table('tasks').put({ id: 'r', title: 'base' });
    await a.sync();
    await c.sync();
    a.setOnline(false);
    await c.table('tasks').update('r', { note: 'from cem' });
    await c.sync();
    // Ana, offline, puts the row as she sees it (no note): her put changes only the title.
    await a.table('tasks').put({ id: 'r', title: 'ana' });
    // Its push is refused once with a 503; the same cycle's pull brings Cem's note while the put waits.
    const pullsBefore = script.count('pull');
    script.on('push', { status: 503 });
    a.setOnline(true);
    await eventually(() => script.count('pull') > pullsBefore && a.status !== 'syncing', 5000, "ana's pull after the refused push");
    await tick();
    expect(await a.table('tasks').get('r')).toMatchObject({ title: 'ana', note: 'from cem' });
    // Her next put, of the row she now sees, is a new op: it must not remove the note either.
    const seen = (await a.table('tasks').get('r')) as Record<string, unknown>;
    await a.table('tasks').put({ ...seen, id: 'r', title: 'ana, again' });
    await eventually(async () => (await a.outbox.count()) === 0, 5000, "ana's puts to be pushed after the backoff");
    await settle(a, c);
    expect(await serverRow(org, 'tasks', 'r')).toMatchObject({ title: 'ana, again', note: 'from cem' });
    for (const e of [a, c]) expect(await e.table('tasks').get('r')).toMatchObject({ title: 'ana, again', note: 'from cem' });
  });

  it("a write made inside the app's own Dexie transaction (an atomic read-modify-write) still syncs: the cycle it starts runs outside that transaction", async () => {
    const org = freshOrg();
    const a = await device(org, 'ana');
    await a.table('tasks').put({ id: 'r', title: 'base', count: 1 });
    await a.sync();
    await a.db.transaction('rw', ['tasks', '_outbox', '_tombstones'], async () => {
      const row = await a.table('tasks').get('r');
      await a.table('tasks').update('r', { count: (row!.count as number) + 1 });
    });
    await a.sync({ timeoutMs: 3000 });
    expect(await a.outbox.count()).toBe(0);
    expect(await serverRow(org, 'tasks', 'r')).toMatchObject({ count: 2 });
  });

  it('sync() resolves when the cycle it joined fails and is retried, instead of hanging to its timeout', async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const a = await device(org, 'ana', { script });
    await a.sync();
    script.on('push', { delayMs: 150, thenDrop: true });
    await a.table('tasks').put({ id: 'r', title: 'x' });
    await eventually(() => a.status === 'syncing', 2000, "the write's cycle");
    await a.sync({ timeoutMs: 4000 });
    expect(await a.outbox.count()).toBe(0);
  });

  it('one op whose request always times out is isolated and dead-lettered; the rest of its batch goes through', async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const a = await device(org, 'ana', { script, timeoutMs: 250, retry: { retryBaseMs: 20, retryMaxMs: 40, maxAttempts: 3 } });
    await a.sync();
    script.on((r) => r.kind === 'push' && r.rowIds.includes('huge'), { delayMs: 1000 }, 1000);
    await a.table('tasks').bulkPut([{ id: 'fine1' }, { id: 'huge', blob: 'x'.repeat(1000) }, { id: 'fine2' }, { id: 'fine3' }]);
    await eventually(async () => (await a.outbox.count()) === 0, 15_000, 'the poison op to be dead-lettered');
    expect((await a.deadLetters.list()).map((l) => [l.op.rowId, l.code])).toEqual([['huge', 'TIMEOUT']]);
    const reader = await clientFor(server, { org });
    expect((await reader.pullAll('tasks')).map((ch) => ch.row.id).sort()).toEqual(['fine1', 'fine2', 'fine3']);
  });

  it('a burst of writes does not starve pulls: every cycle pushes what was waiting when it began, then pulls', async () => {
    const org = freshOrg();
    const script = scriptedFetch();
    const a = await device(org, 'ana', { script });
    await a.sync();
    const pullsBefore = script.count('pull');
    for (let i = 0; i < 300; i++) await a.table('tasks').put({ id: `w${i % 50}`, title: `v${i}` });
    const pullsDuring = script.count('pull') - pullsBefore;
    await a.sync();
    expect(pullsDuring).toBeGreaterThan(0);
  });

  it('the first download resumes from its last applied page after a kill, and counts what it pulled', async () => {
    const org = freshOrg();
    const seeder = await device(org, 'seed');
    await seeder.table('tasks').bulkPut(Array.from({ length: 60 }, (_, i) => ({ id: `s${String(i).padStart(2, '0')}` })));
    await seeder.sync();
    const indexedDB = new IDBFactory();
    const script = scriptedFetch();
    script.on('pull', { delayMs: 80 }, 1000);
    const options = { indexedDB, name: 'resume-db', pageSize: 10, script };
    const first = await device(org, 'ana', options);
    await eventually(async () => (await first.db.table('tasks').count()) >= 30, 10_000, 'three pages');
    await crashEngine(first);
    const fromStart = () =>
      script.requests.filter((r) => r.kind === 'pull' && !r.url.searchParams.has('cursor') && r.url.searchParams.get('tables') === 'tasks').length;
    expect(fromStart()).toBe(1);
    const second = await device(org, 'ana', options);
    await second.sync();
    expect(await second.db.table('tasks').count()).toBe(60);
    expect(fromStart()).toBe(1);
    expect((await second.diagnostics()).metrics.rowsPulled).toBeGreaterThan(0);
  });
});
