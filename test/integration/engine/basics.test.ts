import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { engineFor, eventually, freshOrg, startServer } from './harness';

describe('the engine against a real server', () => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(null);
  });
  afterAll(() => server?.close());

  it('syncs writes of one engine to another', async () => {
    const org = freshOrg();
    const a = await engineFor(server, org);
    const b = await engineFor(server, org);
    await a.start();
    await b.start();
    await a.table('tasks').put({ id: 't1', title: 'Fix pump', status: 'todo' });
    await a.sync();
    expect(await a.outbox.count()).toBe(0);
    await b.sync();
    expect(await b.table('tasks').get('t1')).toMatchObject({ title: 'Fix pump', status: 'todo' });
    await b.table('tasks').update('t1', { status: 'done' });
    await b.sync();
    await a.sync();
    expect(await a.table('tasks').get('t1')).toMatchObject({ status: 'done' });
    expect(a.status).toBe('idle');
    const d = await a.diagnostics();
    expect(d.metrics.opsPushed).toBe(1);
    expect(d.tables.tasks?.needsInitial).toBe(false);
    await a.stop();
    await b.stop();
  });

  it('pulls live on a server poke', async () => {
    const org = freshOrg();
    const a = await engineFor(server, org);
    const b = await engineFor(server, org, { live: true });
    await a.start();
    await b.start();
    await b.sync();
    await a.table('tasks').put({ id: 'live', title: 'now' });
    await eventually(async () => (await b.table('tasks').get('live')) !== undefined, 5000, 'the poke to bring the row');
    await a.stop();
    await b.stop();
  });
});
