import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import type { WireRow } from '../../../src/protocol/schemas';
import { freshIndexedDb, openTestStore, task } from './helpers';

const serverRow = (id: string, v: number, data: Record<string, unknown> = {}, deleted = false): WireRow =>
  ({ ...(deleted ? {} : { ...task(id), ...data }), id, _v: v, _deleted: deleted }) as WireRow;
const change = (row: WireRow) => ({ table: 'tasks', row });

describe('applying pulled rows', () => {
  it('writes a page and advances the cursor in one transaction, and re-applying it changes nothing', async () => {
    const store = await openTestStore();
    const page = [serverRow('a', 1), serverRow('b', 2)];
    expect(await store.applyRemote('tasks', page, 'c2.e1.2')).toEqual({ applied: 2, skipped: 0, rebased: 0 });
    expect(await store.meta.cursors()).toEqual({ tasks: 'c2.e1.2', notes: null });
    expect(await store.db.table('tasks').get('b')).toMatchObject({ id: 'b', _v: 2 });
    expect(await store.applyRemote('tasks', page, 'c2.e1.2')).toEqual({ applied: 0, skipped: 2, rebased: 0 });
    expect(await store.outbox.count()).toBe(0);
  });

  it("deletes on tombstones, keeping the deleted row's version, and marks the table complete on the last page of a first download", async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1)], 'c2.e1.1');
    expect(await store.meta.needingInitial()).toEqual(['tasks', 'notes']);
    await store.applyRemote('tasks', [serverRow('a', 2, {}, true), serverRow('never-seen', 2, {}, true)], 'c2.e1.2', { complete: true });
    expect(await store.db.table('tasks').get('a')).toBeUndefined();
    expect(await store.db.table('_tombstones').get(['tasks', 'a'])).toMatchObject({ _v: 2 });
    expect(await store.db.table('_tombstones').get(['tasks', 'never-seen'])).toBeUndefined();
    expect(await store.meta.needingInitial()).toEqual(['notes']);
  });

  it('rebases a row with unsent local ops instead of overwriting it', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1)], 'c2.e1.1');
    await store.update('tasks', 'a', { title: 'mine' });
    // Someone else changed status meanwhile.
    const stats = await store.applyRemote('tasks', [serverRow('a', 5, { status: 'done' })], 'c2.e1.5');
    expect(stats.rebased).toBe(1);
    expect(await store.db.table('tasks').get('a')).toMatchObject({ title: 'mine', status: 'done', _v: 5 });
    // The op keeps what it was written against: the server judges it against the change it did not see.
    expect((await store.outbox.list())[0]).toMatchObject({ kind: 'update', patch: { title: 'mine' }, base: { v: 1, fields: { title: ['Task a'] } } });
  });

  it('rebases an unsent counter increment as a merge (10, +2 here and +1 there show 13), but leaves an op already sent as it is', async () => {
    const store = await openTestStore({ conflicts: { tasks: { strategy: 'field-merge', fields: { count: 'counter' } } } });
    await store.applyRemote('tasks', [serverRow('a', 1, { count: 10 }), serverRow('b', 1, { count: 10 })], 'c2.e1.1');
    await store.update('tasks', 'a', { count: 12 });
    await store.update('tasks', 'b', { count: 12 });
    // b's op was sent once and its answer lost: the server row may already hold it.
    const sentOp = (await store.outbox.list()).find((o) => o.rowId === 'b')!;
    await store.outbox.markInflight([sentOp.opId], 0);
    await store.outbox.resetInflight(0);
    await store.applyRemote('tasks', [serverRow('a', 5, { count: 11 }), serverRow('b', 5, { count: 12 })], 'c2.e1.5');
    expect(await store.db.table('tasks').get('a')).toMatchObject({ count: 13 });
    const ops = await store.outbox.list();
    expect(ops.find((o) => o.rowId === 'a')).toMatchObject({ patch: { count: 13 }, base: { v: 1, fields: { count: [11] } } });
    expect(await store.db.table('tasks').get('b')).toMatchObject({ count: 12 });
    expect(ops.find((o) => o.rowId === 'b')).toMatchObject({ patch: { count: 12 }, base: { v: 1, fields: { count: [10] } } });
  });

  it('does not bring back a row deleted locally while the delete is unsent', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1)], 'c2.e1.1');
    await store.delete('tasks', 'a');
    await store.applyRemote('tasks', [serverRow('a', 3, { title: 'edited elsewhere' })], 'c2.e1.3');
    expect(await store.db.table('tasks').get('a')).toBeUndefined();
    expect(await store.db.table('_tombstones').get(['tasks', 'a'])).toMatchObject({ _v: 3 });
  });

  it('a page written unread (nothing local is as new) still drops the tombstone of a row it brings back', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1), serverRow('b', 2)], 'c2.e1.2');
    await store.applyRemote('tasks', [serverRow('a', 3, {}, true)], 'c2.e1.3');
    expect(await store.db.table('_tombstones').get(['tasks', 'a'])).toMatchObject({ _v: 3 });
    expect(await store.applyRemote('tasks', [serverRow('a', 4, { title: 'back' }), serverRow('c', 5)], 'c2.e1.5')).toEqual({
      applied: 2,
      skipped: 0,
      rebased: 0,
    });
    expect(await store.db.table('tasks').get('a')).toMatchObject({ title: 'back', _v: 4 });
    expect(await store.db.table('_tombstones').get(['tasks', 'a'])).toBeUndefined();
    expect((await store.db.table('tasks').toArray()).map((r) => [r.id, r._v])).toEqual([
      ['a', 4],
      ['b', 2],
      ['c', 5],
    ]);
  });

  it('a page with a row older than one an ack already wrote leaves the newer row (nothing is written unread then)', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('a', { title: 'mine' }));
    const [create] = await store.outbox.list();
    await store.outbox.markInflight([create!.opId], 0);
    await store.outbox.ack([{ opId: create!.opId }], [change(serverRow('a', 9, { title: 'mine' }))], 0);
    expect(await store.applyRemote('tasks', [serverRow('a', 7, { title: 'older' }), serverRow('b', 8)], 'c2.e1.8')).toEqual({
      applied: 1,
      skipped: 1,
      rebased: 0,
    });
    expect(await store.db.table('tasks').get('a')).toMatchObject({ title: 'mine', _v: 9 });
  });

  it('acknowledges ops with the rows the server answered, confirming deletes', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('a'));
    const [create] = await store.outbox.list();
    await store.outbox.markInflight([create!.opId], 0);
    await store.outbox.ack([{ opId: create!.opId }], [change(serverRow('a', 4))], 0);
    expect(await store.db.table('tasks').get('a')).toMatchObject({ _v: 4 });
    await store.delete('tasks', 'a');
    const [del] = await store.outbox.list();
    await store.outbox.ack([{ opId: del!.opId }], [change(serverRow('a', 6, {}, true))], 0);
    expect(await store.db.table('_tombstones').get(['tasks', 'a'])).toMatchObject({ _v: 6 });
    expect(await store.outbox.count()).toBe(0);
  });

  it('regression: re-creating a row after its delete was confirmed is based on the delete, not a fresh row', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1)], 'c2.e1.1');
    await store.delete('tasks', 'a');
    const [del] = await store.outbox.list();
    await store.outbox.markInflight([del!.opId], 0);
    await store.outbox.ack([{ opId: del!.opId }], [change(serverRow('a', 6, {}, true))], 0);
    await store.put('tasks', task('a', { title: 'back again' }));
    const [recreate] = await store.outbox.list();
    expect(recreate).toMatchObject({ kind: 'create', base: { v: 6 } });
  });

  it('regression: an ack at the version we already have still replaces a losing rebased edit', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1)], 'c2.e1.1');
    await store.update('tasks', 'a', { title: 'mine' });
    await store.applyRemote('tasks', [serverRow('a', 5, { title: 'theirs' })], 'c2.e1.5');
    expect(await store.db.table('tasks').get('a')).toMatchObject({ title: 'mine', _v: 5 });
    // The server resolved in its own favour: the row stays at v5, and that is the answer to our op.
    const [op] = await store.outbox.list();
    await store.outbox.markInflight([op!.opId], 0);
    await store.outbox.ack([{ opId: op!.opId }], [change(serverRow('a', 5, { title: 'theirs' }))], 0);
    expect(await store.db.table('tasks').get('a')).toMatchObject({ title: 'theirs', _v: 5 });
  });

  it('regression: an ack at the version of a pulled delete deletes the row the rebase kept alive', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1)], 'c2.e1.1');
    await store.update('tasks', 'a', { title: 'mine' });
    await store.applyRemote('tasks', [serverRow('a', 7, {}, true)], 'c2.e1.7');
    expect(await store.db.table('tasks').get('a')).toMatchObject({ title: 'mine' });
    const [op] = await store.outbox.list();
    await store.outbox.markInflight([op!.opId], 0);
    await store.outbox.ack([{ opId: op!.opId }], [change(serverRow('a', 7, {}, true))], 0);
    expect(await store.db.table('tasks').get('a')).toBeUndefined();
  });

  it('regression: an ack with an older row than one already pulled changes nothing', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1)], 'c2.e1.1');
    await store.update('tasks', 'a', { title: 'mine' });
    await store.applyRemote('tasks', [serverRow('a', 9, {}, true)], 'c2.e1.9');
    const [op] = await store.outbox.list();
    await store.outbox.markInflight([op!.opId], 0);
    await store.outbox.ack([{ opId: op!.opId }], [change(serverRow('a', 4, { title: 'mine' }))], 0);
    expect(await store.db.table('tasks').get('a')).toMatchObject({ _v: 9 });
  });

  it('refuses acks, failures, conflicts and resets under a stale fencing token, changing nothing', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('a'));
    const [op] = await store.outbox.list();
    await store.outbox.markInflight([op!.opId], 0);
    const { setMeta, META_KEYS } = await import('../../../src/local/meta');
    await setMeta(store.db, META_KEYS.fence, 1);
    for (const attempt of [
      () => store.outbox.ack([{ opId: op!.opId }], [change(serverRow('a', 4))], 0),
      () => store.outbox.fail([op!.opId], { final: true, reason: 'x', code: 'x' }, 0),
      () => store.conflicts.record([{ opId: op!.opId, row: serverRow('a', 4) }], 0),
      () => store.outbox.resetInflight(0),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'STALE_LOCK' });
    }
    expect(await store.outbox.list()).toMatchObject([{ opId: op!.opId, state: 'inflight' }]);
    expect(await store.deadLetters.list()).toEqual([]);
    expect(await store.conflicts.list()).toEqual([]);
  });

  it('stores both sides of a manual conflict and shows the server row at its version', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1)], 'c2.e1.1');
    await store.update('tasks', 'a', { title: 'mine' });
    const [op] = await store.outbox.list();
    await store.outbox.markInflight([op!.opId], 0);
    const [record] = await store.conflicts.record([{ opId: op!.opId, row: serverRow('a', 3, { title: 'theirs' }) }], 0);
    expect(record).toMatchObject({ table: 'tasks', rowId: 'a', local: { title: 'mine' }, remote: { title: 'theirs' }, remoteV: 3 });
    expect(await store.outbox.count()).toBe(0);
    expect(await store.db.table('tasks').get('a')).toMatchObject({ title: 'theirs', _v: 3 });
    const [listed] = await store.conflicts.list();
    await store.conflicts.remove(listed!.id!);
    expect(await store.conflicts.list()).toEqual([]);
  });
});

describe('resetting after RESET_REQUIRED', () => {
  it('forgets cursors and rows without unsent ops, keeping the ops re-based on nothing seen', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1), serverRow('b', 2), serverRow('gone', 3, {}, true)], 'c2.e1.3', { complete: true });
    await store.update('tasks', 'a', { title: 'mine' });
    await store.put('tasks', task('new'));
    expect(await store.reset()).toEqual({ dropped: 1, kept: 2 });
    expect(await store.meta.cursors()).toEqual({ tasks: null, notes: null });
    expect(await store.meta.needingInitial()).toEqual(['tasks', 'notes']);
    expect((await store.db.table('tasks').toArray()).map((r) => r.id).sort()).toEqual(['a', 'new']);
    const ops = await store.outbox.list();
    // The update becomes a put of the whole row that still names only the field it changed.
    expect(ops.find((o) => o.rowId === 'a')).toMatchObject({
      kind: 'create',
      patch: { ...task('a'), title: 'mine' },
      base: { v: 0, fields: { title: ['Task a'] } },
    });
    expect(ops.find((o) => o.rowId === 'new')).toMatchObject({ kind: 'create' });
  });
});

describe('schema upgrades', () => {
  it('adds a table and an index in place, keeping every row and op', async () => {
    const browser = freshIndexedDb();
    const v1 = await openTestStore({ ...browser, tables: { tasks: 'id, status' } });
    await v1.bulkPut('tasks', [task('a', { assignee: 'ana' }), task('b', { assignee: 'ben' })]);
    const deviceId = v1.deviceId;
    v1.close();
    const v2 = await openTestStore({ ...browser, tables: { tasks: 'id, status, assignee', projects: 'id, name' } });
    expect(v2.deviceId).toBe(deviceId);
    expect(await v2.db.table('tasks').count()).toBe(2);
    expect(await v2.outbox.count()).toBe(2);
    expect((await v2.db.table('tasks').where('assignee').equals('ben').toArray()).map((r) => r.id)).toEqual(['b']);
    await v2.put('projects', { id: 'p1', name: 'Pumps' });
    expect(await v2.db.table('projects').count()).toBe(1);
  });

  it('opens a store made with the outbox index this version dropped, keeping every op and sending them in order', async () => {
    const browser = freshIndexedDb();
    const old = new Dexie('test', browser);
    old.version(1).stores({
      tasks: 'id, status, assignee',
      notes: 'id',
      _outbox: '++seq, &opId, [table+rowId], [state+priority+seq], state',
      _conflicts: '++id, [table+rowId], createdAt',
      _deadletter: '++id, &opId, [table+rowId], failedAt',
      _tombstones: '[table+id], table',
      _meta: 'key',
    });
    await old.open();
    old.close();
    const v1 = await openTestStore(browser);
    await v1.bulkPut('tasks', [task('a'), task('b')]);
    v1.close();
    const v2 = await openTestStore(browser);
    expect((await v2.outbox.claimBatch(0)).map((op) => op.rowId)).toEqual(['a', 'b']);
    await v2.put('tasks', task('c'));
    expect(await v2.outbox.count()).toBe(3);
  });

  it('refuses tables whose primary key is not id, and reserved names', async () => {
    await expect(openTestStore({ tables: { tasks: '++key, status' } })).rejects.toThrow(/must have "id" as its primary key/);
    await expect(openTestStore({ tables: { _outbox: 'id' } })).rejects.toThrow(/names starting with _ are reserved/);
  });
});
