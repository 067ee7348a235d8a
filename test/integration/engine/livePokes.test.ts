import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncEngine } from '../../../src/engine';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor, op } from '../server/harness';
import { engineFor, eventually, freshOrg, startServer } from './harness';

// Pokes that carry a commit's changes: a live device whose cursor is exactly where the commit started
// applies them without pulling; any other device, or a commit too large to carry, pulls.

describe('live pokes with changes', () => {
  let server: SyncServer;
  const engines: SyncEngine[] = [];
  beforeAll(async () => {
    server = await startServer(null);
  });
  afterAll(async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop()));
    await server?.close();
  });

  /** A live engine whose pull requests are counted. */
  async function liveDevice(org: string) {
    const pulls: string[] = [];
    const engine = await engineFor(server, org, {
      live: true,
      fetch: (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (url.includes('/sync/pull')) pulls.push(url);
        return fetch(input, init);
      },
    });
    engines.push(engine);
    await engine.start();
    await engine.sync();
    await eventually(async () => (await engine.diagnostics()).recentTransitions.some((t) => t.state.includes('"live":"open"')), 5000, 'the stream to open');
    await new Promise((r) => setTimeout(r, 100));
    return { engine, pulls };
  }

  it('a live device applies a small commit from its poke without pulling', async () => {
    const org = freshOrg();
    const { engine: b, pulls } = await liveDevice(org);
    const a = await clientFor(server, { org, user: 'ana' }, 'ana-device');
    pulls.length = 0;
    await a.push([op({ rowId: 'poked', patch: { id: 'poked', title: 'inline' } })]);
    await eventually(async () => (await b.table('tasks').get('poked')) !== undefined, 5000, 'the poke to bring the row');
    expect(await b.table('tasks').get('poked')).toMatchObject({ title: 'inline' });
    expect(pulls.filter((url) => url.includes('tables=tasks'))).toEqual([]);
    // Its cursor moved with the poke: the next pull starts after the commit and finds nothing.
    await b.sync();
    expect((await b.diagnostics()).tables.tasks?.cursor).toBe((await a.pull()).cursor);
  });

  it('a commit too large to carry is pulled', async () => {
    const org = freshOrg();
    const { engine: b, pulls } = await liveDevice(org);
    const a = await clientFor(server, { org, user: 'ana' }, 'ana-device');
    pulls.length = 0;
    await a.push(Array.from({ length: 40 }, (_, i) => op({ rowId: `big${i}`, patch: { id: `big${i}`, title: 'x'.repeat(200) } })));
    await eventually(async () => (await b.db.table('tasks').count()) === 40, 5000, 'the pull to bring the rows');
    expect(pulls.length).toBeGreaterThan(0);
  });

  it('a poke that starts after a commit the device never heard of is not applied: the device pulls both', async () => {
    const org = freshOrg();
    const { engine: b, pulls } = await liveDevice(org);
    const a = await clientFor(server, { org, user: 'ana' }, 'ana-device');
    // A commit whose notification was lost (the server's LISTEN connection dropped, say): written straight
    // into the database, the org's head moved, no poke.
    const [head] = await server.storage.query<{ seq: string | number }>(
      `insert into chartsync_orgs (org, seq) values ($1, 1) on conflict (org) do update set seq = chartsync_orgs.seq + 1 returning seq`,
      [org],
    );
    await server.storage.query(
      `insert into chartsync_rows (org, tbl, id, data, v, fv, deleted, checksum, last_at, last_device, last_role)
       values ($1, 'tasks', 'unheard', '{"id":"unheard","title":"missed"}', $2, '{}', false, '', 0, 'x', null)`,
      [org, Number(head?.seq)],
    );
    pulls.length = 0;
    await a.push([op({ rowId: 'heard', patch: { id: 'heard', title: 'poked' } })]);
    await eventually(async () => (await b.table('tasks').get('heard')) !== undefined, 5000, 'the poke to bring the row');
    expect(await b.table('tasks').get('unheard')).toMatchObject({ title: 'missed' });
    expect(pulls.length).toBeGreaterThan(0);
  });
});
