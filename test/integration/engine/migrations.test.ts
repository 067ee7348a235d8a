import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncEngine, SyncEngineOptions } from '../../../src/engine';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor } from '../server/harness';
import { engineFor, freshOrg, startServer } from './harness';

/** One device's database, opened by the app before and after an upgrade. */
function device(server: SyncServer, org: string) {
  const indexedDB = new IDBFactory();
  const name = `upgrade-${Math.random().toString(36).slice(2)}`;
  const engines: SyncEngine[] = [];
  return {
    async open(overrides: Partial<SyncEngineOptions>): Promise<SyncEngine> {
      const engine = await engineFor(server, org, { indexedDB, name, ...overrides });
      engines.push(engine);
      await engine.start();
      return engine;
    },
    stopAll: () => Promise.all(engines.map((e) => e.stop())),
  };
}

async function serverRows(server: SyncServer, org: string) {
  const rows = (await (await clientFor(server, { org })).pullAll()).filter((c) => !c.row._deleted).map((c) => c.row);
  return Object.fromEntries(rows.map(({ _v, _deleted, ...row }) => [row.id, row]));
}

describe('local schema migrations', () => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(null);
  });
  afterAll(() => server?.close());

  it('renames a field in stored rows and in ops queued before the upgrade, which are pushed in the new shape', async () => {
    const org = freshOrg();
    const phone = device(server, org);
    try {
      const v1 = await phone.open({ tables: { tasks: 'id, assignee' } });
      await v1.table('tasks').put({ id: 't0', title: 'Synced before', assignee: 'zed' });
      await v1.sync();
      v1.setOnline(false);
      await v1.table('tasks').update('t0', { assignee: 'yan' });
      await v1.table('tasks').put({ id: 't1', title: 'Fix pump', assignee: 'ann' });
      await v1.table('tasks').update('t1', { assignee: 'bob' });
      await v1.stop();
      const v2 = await phone.open({
        tables: { tasks: 'id, owner' },
        migrations: { 2: { transform: { tasks: ({ assignee, ...rest }) => ({ ...rest, owner: assignee }) } } },
      });
      expect(await v2.table('tasks').get('t1')).toMatchObject({ title: 'Fix pump', owner: 'bob' });
      expect(await v2.table('tasks').get('t1')).not.toHaveProperty('assignee');
      // Every queued op carries the new shape: the update of a synced row (its patch and base values), and
      // the put and update of t1 (never sent, they were one op).
      const ops = await v2.outbox.list();
      expect(ops.map((op) => op.patch)).toEqual([{ owner: 'yan' }, { id: 't1', title: 'Fix pump', owner: 'bob' }]);
      expect(ops[0]!.base?.fields).toEqual({ owner: ['zed'] });
      await v2.sync();
      const rows = await serverRows(server, org);
      expect(rows.t1).toEqual({ id: 't1', title: 'Fix pump', owner: 'bob' });
      // The server is not migrated: a row synced before keeps its old field beside the new one.
      expect(rows.t0).toEqual({ id: 't0', title: 'Synced before', assignee: 'zed', owner: 'yan' });
      // A migration runs once: reopening changes nothing.
      await v2.stop();
      const again = await phone.open({ tables: { tasks: 'id, owner' }, migrations: { 2: { transform: { tasks: () => ({ broken: true }) } } } });
      expect(await again.table('tasks').get('t1')).toMatchObject({ owner: 'bob' });
    } finally {
      await phone.stopAll();
    }
  });

  it('splits a field, with a partial patch transformed only where the field is present', async () => {
    const org = freshOrg();
    const phone = device(server, org);
    try {
      const v1 = await phone.open({ tables: { people: 'id' } });
      v1.setOnline(false);
      await v1.table('people').put({ id: 'p1', name: 'Ada Lovelace', city: 'London' });
      await v1.table('people').update('p1', { city: 'Paris' });
      await v1.stop();
      const split = ({ name, ...rest }: Record<string, unknown>) =>
        typeof name === 'string' ? { ...rest, first: name.split(' ')[0]!, last: name.split(' ').slice(1).join(' ') } : rest;
      const v2 = await phone.open({ tables: { people: 'id' }, migrations: { 2: { transform: { people: split as never } } } });
      expect(await v2.table('people').get('p1')).toMatchObject({ first: 'Ada', last: 'Lovelace', city: 'Paris' });
      await v2.sync();
      expect((await serverRows(server, org)).p1).toEqual({ id: 'p1', first: 'Ada', last: 'Lovelace', city: 'Paris' });
    } finally {
      await phone.stopAll();
    }
  });

  it('removes a table: its pending ops are dropped, the other tables sync', async () => {
    const org = freshOrg();
    const phone = device(server, org);
    try {
      const v1 = await phone.open({ tables: { tasks: 'id', notes: 'id' } });
      v1.setOnline(false);
      await v1.table('tasks').put({ id: 't1', title: 'kept' });
      await v1.table('notes').put({ id: 'n1', text: 'dropped with its table' });
      await v1.stop();
      const v2 = await phone.open({ tables: { tasks: 'id' }, migrations: { 2: { removeTables: ['notes'] } } });
      expect((await v2.outbox.list()).map((op) => op.table)).toEqual(['tasks']);
      await v2.sync();
      expect(Object.keys(await serverRows(server, org))).toEqual(['t1']);
    } finally {
      await phone.stopAll();
    }
  });

  it('changes an index without a migration: rows and pending ops survive and the new index answers', async () => {
    const org = freshOrg();
    const phone = device(server, org);
    try {
      const v1 = await phone.open({ tables: { tasks: 'id' } });
      v1.setOnline(false);
      await v1.table('tasks').bulkPut([
        { id: 't1', title: 'a', status: 'todo' },
        { id: 't2', title: 'b', status: 'done' },
      ]);
      await v1.stop();
      const v2 = await phone.open({ tables: { tasks: 'id, status' } });
      expect((await v2.db.table('tasks').where('status').equals('done').toArray()).map((r) => r.id)).toEqual(['t2']);
      expect(await v2.outbox.count()).toBe(2);
      await v2.sync();
      expect(Object.keys(await serverRows(server, org)).sort()).toEqual(['t1', 't2']);
    } finally {
      await phone.stopAll();
    }
  });

  it('during a rolling upgrade old and new clients both keep syncing: the server stores either shape', async () => {
    const org = freshOrg();
    const oldPhone = device(server, org);
    const newPhone = device(server, org);
    try {
      const old = await oldPhone.open({ tables: { tasks: 'id' } });
      const fresh = await newPhone.open({
        tables: { tasks: 'id' },
        migrations: { 2: { transform: { tasks: ({ assignee, ...rest }) => ({ ...rest, owner: assignee }) } } },
      });
      await old.table('tasks').put({ id: 'o1', title: 'old shape', assignee: 'ann' });
      await fresh.table('tasks').put({ id: 'n1', title: 'new shape', owner: 'bob' });
      await old.sync();
      await fresh.sync();
      await old.sync();
      const rows = await serverRows(server, org);
      expect(rows.o1).toEqual({ id: 'o1', title: 'old shape', assignee: 'ann' });
      expect(rows.n1).toEqual({ id: 'n1', title: 'new shape', owner: 'bob' });
      expect(await old.outbox.count()).toBe(0);
      expect(await fresh.outbox.count()).toBe(0);
      expect((await old.deadLetters.list()).length + (await fresh.deadLetters.list()).length).toBe(0);
    } finally {
      await oldPhone.stopAll();
      await newPhone.stopAll();
    }
  });
});
