import { describe, expect, it } from 'vitest';
import { incrementClock } from '../../../src/core/clock/vectorClock';
import type { WireRow } from '../../../src/protocol/schemas';
import { freshIndexedDb, openTestStore, task } from './helpers';

const serverRow = (id: string, v: number, clock: Record<string, number>, data: Record<string, unknown> = {}, deleted = false): WireRow => ({ ...task(id), ...data, id, _v: v, _clock: clock, _deleted: deleted }) as WireRow;

describe('applying pulled rows', () => {
  it('writes a page and advances the cursor in one transaction, and re-applying it changes nothing', async () => {
    const store = await openTestStore();
    const page = [serverRow('a', 1, { s: 1 }), serverRow('b', 2, { s: 2 })];
    expect(await store.applyRemote('tasks', page, 'c1.2')).toEqual({ applied: 2, skipped: 0, rebased: 0 });
    expect(await store.meta.cursors()).toEqual({ tasks: 'c1.2', notes: null });
    expect(await store.db.table('tasks').get('b')).toMatchObject({ id: 'b', _v: 2, _clock: { s: 2 } });
    expect(await store.applyRemote('tasks', page, 'c1.2')).toEqual({ applied: 0, skipped: 2, rebased: 0 });
    expect(await store.outbox.count()).toBe(0);
  });

  it('deletes on tombstones and marks the table complete on the last page of a first download', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1, { s: 1 })], 'c1.1');
    expect(await store.meta.needingInitial()).toEqual(['tasks', 'notes']);
    await store.applyRemote('tasks', [serverRow('a', 2, { s: 2 }, {}, true)], 'c1.2', { complete: true });
    expect(await store.db.table('tasks').get('a')).toBeUndefined();
    expect(await store.meta.needingInitial()).toEqual(['notes']);
  });

  it('rebases a row with unsent local ops instead of overwriting it', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1, { s: 1 })], 'c1.1');
    await store.update('tasks', 'a', { title: 'mine' });
    const mine = await store.db.table('tasks').get('a');
    // Someone else changed status meanwhile (concurrent with our title edit).
    const stats = await store.applyRemote('tasks', [serverRow('a', 5, { s: 1, other: 1 }, { status: 'done' })], 'c1.5');
    expect(stats.rebased).toBe(1);
    const row = await store.db.table('tasks').get('a');
    expect(row).toMatchObject({ title: 'mine', status: 'done', _v: 5, _clock: mine._clock });
    expect((await store.outbox.list())[0]).toMatchObject({ kind: 'update', patch: { title: 'mine' } });
  });

  it('takes the server row when it has seen every local write', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1, { s: 1 })], 'c1.1');
    await store.update('tasks', 'a', { title: 'mine' });
    const local = await store.db.table('tasks').get('a');
    const merged = incrementClock(local._clock, 's');
    await store.applyRemote('tasks', [serverRow('a', 7, merged, { title: 'mine+server' })], 'c1.7');
    expect(await store.db.table('tasks').get('a')).toMatchObject({ title: 'mine+server', _v: 7, _clock: merged });
  });

  it('does not bring back a row deleted locally while the delete is unsent', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1, { s: 1 })], 'c1.1');
    await store.delete('tasks', 'a');
    await store.applyRemote('tasks', [serverRow('a', 3, { s: 1, x: 1 }, { title: 'edited elsewhere' })], 'c1.3');
    expect(await store.db.table('tasks').get('a')).toBeUndefined();
    expect(await store.db.table('_tombstones').get(['tasks', 'a'])).toMatchObject({ _v: 3 });
  });

  it('acknowledges ops with the server rows, confirming deletes', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('a'));
    const [create] = await store.outbox.list();
    await store.outbox.markInflight([create!.opId], 0);
    await store.outbox.ack([{ opId: create!.opId, row: serverRow('a', 4, create!.clock) }]);
    expect(await store.db.table('tasks').get('a')).toMatchObject({ _v: 4 });
    await store.delete('tasks', 'a');
    const [del] = await store.outbox.list();
    await store.outbox.ack([{ opId: del!.opId }]);
    expect(await store.db.table('_tombstones').count()).toBe(0);
    expect(await store.outbox.count()).toBe(0);
  });

  it('stores both sides of a manual conflict and shows the server row with a clock that saw both', async () => {
    const store = await openTestStore();
    await store.applyRemote('tasks', [serverRow('a', 1, { s: 1 })], 'c1.1');
    await store.update('tasks', 'a', { title: 'mine' });
    const [op] = await store.outbox.list();
    const [record] = await store.conflicts.record([{ opId: op!.opId, row: serverRow('a', 3, { s: 1, w: 1 }, { title: 'theirs' }) }]);
    expect(record).toMatchObject({ table: 'tasks', rowId: 'a', local: { title: 'mine' }, remote: { title: 'theirs' }, remoteV: 3 });
    expect(await store.outbox.count()).toBe(0);
    const row = await store.db.table('tasks').get('a');
    expect(row).toMatchObject({ title: 'theirs', _clock: { s: 1, w: 1, [store.deviceId]: 1 } });
    const [listed] = await store.conflicts.list();
    await store.conflicts.remove(listed!.id!);
    expect(await store.conflicts.list()).toEqual([]);
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

  it('refuses tables whose primary key is not id, and reserved names', async () => {
    await expect(openTestStore({ tables: { tasks: '++key, status' } })).rejects.toThrow(/must have "id" as its primary key/);
    await expect(openTestStore({ tables: { _outbox: 'id' } })).rejects.toThrow(/names starting with _ are reserved/);
  });
});
