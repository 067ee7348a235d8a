import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncEngine } from '../../../src/engine';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor, DRIVERS, op } from '../server/harness';
import { engineFor, eventually, freshOrg, startServer } from './harness';

const RETENTION_MS = 300;

describe.each(DRIVERS)('tombstone expiry on $name', ({ databaseUrl }) => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(databaseUrl, { retentionMs: RETENTION_MS });
  });
  afterAll(() => server?.close());

  it('purges old tombstones and answers RESET_REQUIRED to cursors behind them, pulls and pushes alike', async () => {
    const org = freshOrg();
    const c = await clientFor(server, { org });
    await c.push([op({ rowId: 'a' }), op({ rowId: 'b' })]);
    const { cursor: seen } = await c.pull();
    await c.push([op({ rowId: 'a', kind: 'delete' })]);
    await new Promise((r) => setTimeout(r, RETENTION_MS + 100));
    // (The server's own purge runs every second here and may have been first.)
    await server.purge();
    // The tombstone is gone from the table, not only hidden.
    const left = await server.storage.query<{ id: string }>(`select id from chartsync_rows where org = $1 order by id`, [org]);
    expect(left.map((r) => r.id)).toEqual(['b']);
    const stale = await c.fetch(`/sync/pull?cursor=${seen}`);
    expect(stale.status).toBe(409);
    expect((await stale.json()).error).toMatchObject({ code: 'RESET_REQUIRED', message: expect.stringMatching(/older than this server keeps deletions/) });
    const push = await c.fetch('/sync/push', {
      method: 'POST',
      body: JSON.stringify({ protocol: 2, deviceId: 'dev-1', cursor: seen, ops: [op({ rowId: 'c' })] }),
    });
    expect(push.status).toBe(409);
    // A fresh download is fine, and sees only what exists.
    expect((await c.pullAll()).map((ch) => ch.row.id)).toEqual(['b']);
  });

  it('a device offline past the retention resets: no deleted row comes back, no unsent edit is lost', async () => {
    const org = freshOrg();
    const engines: SyncEngine[] = [];
    try {
      const ana = await engineFor(server, org, { user: 'ana' });
      const ben = await engineFor(server, org, { user: 'ben' });
      engines.push(ana, ben);
      await ana.start();
      await ben.start();
      await ana.table('tasks').bulkPut([
        { id: 'kept', title: 'base' },
        { id: 'gone', title: 'to be deleted' },
        { id: 'other', title: 'untouched' },
      ]);
      await ana.sync();
      await ben.sync();
      ben.setOnline(false);
      await ben.table('tasks').update('kept', { title: 'ben, offline for weeks' });
      await ben.table('tasks').put({ id: 'new', title: 'made offline' });
      await ana.table('tasks').delete('gone');
      await ana.sync();
      await new Promise((r) => setTimeout(r, RETENTION_MS + 100));
      await server.purge();
      const tombstones = await server.storage.query(`select id from chartsync_rows where org = $1 and deleted`, [org]);
      expect(tombstones).toEqual([]);
      ben.setOnline(true);
      await eventually(async () => (await ben.outbox.count()) === 0 && ben.status === 'idle', 10_000, "ben's reset and push");
      await ben.sync();
      await ana.sync();
      // It went through the chart's reset (download everything, then push what was unsent).
      expect((await ben.diagnostics()).recentTransitions.some((t) => t.state.includes('resetting'))).toBe(true);
      for (const engine of [ana, ben]) {
        const rows = (await engine.table('tasks').toArray()).map((r) => [r.id, r.title]).sort();
        expect(rows).toEqual([
          ['kept', 'ben, offline for weeks'],
          ['new', 'made offline'],
          ['other', 'untouched'],
        ]);
      }
    } finally {
      await Promise.all(engines.map((e) => e.stop()));
    }
  });
});
