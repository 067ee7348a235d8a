import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../../src/core/checksum/bucketHashes';
import type { BucketRepair } from '../../../src/engine';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor, DRIVERS } from '../server/harness';
import { engineFor, freshOrg, startServer } from './harness';

const BUCKETS = 64;

describe.each(DRIVERS)('self-healing verification on $name', ({ databaseUrl }) => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(databaseUrl);
  });
  afterAll(() => server?.close());

  it('repairs a corrupted, a deleted and a stray row, re-pulling only their buckets, and leaves unsent writes alone', async () => {
    const org = freshOrg();
    const engine = await engineFor(server, org);
    await engine.start();
    try {
      const rows = Array.from({ length: 300 }, (_, i) => ({ id: `r${i}`, title: `Task ${i}`, n: i }));
      await engine.table('tasks').bulkPut(rows);
      await engine.sync();
      expect((await engine.verify({ buckets: BUCKETS })).repairs).toEqual([]);

      // Damage IndexedDB behind the engine's back: no outbox op for any of it.
      const tasks = engine.db.table('tasks');
      await tasks.update('r5', { title: 'bit rot' });
      await tasks.delete('r10');
      await tasks.put({ id: 'stray', title: 'from nowhere', _v: 0 });
      // An unsent edit in the bucket of r20 is not a corruption.
      engine.setOnline(false);
      await engine.table('tasks').update('r20', { title: 'unsent' });

      const repaired: BucketRepair[] = [];
      engine.on('repaired', (repair) => repaired.push(repair));
      const report = await engine.verify({ buckets: BUCKETS });
      const damaged = new Set(['r5', 'r10', 'stray'].map((id) => bucketOf(id, BUCKETS)));
      expect(new Set(report.repairs.map((r) => r.bucket))).toEqual(new Set([...damaged].filter((b) => b !== bucketOf('r20', BUCKETS))));
      // Only the damaged buckets were re-pulled: about 3/64 of the table, not all of it.
      const inDamaged = rows.filter((r) => damaged.has(bucketOf(r.id, BUCKETS)) && bucketOf(r.id, BUCKETS) !== bucketOf('r20', BUCKETS)).length;
      expect(report.repairs.reduce((n, r) => n + r.pulled, 0)).toBe(inDamaged);
      expect(inDamaged).toBeLessThan(rows.length / 5);
      expect(repaired.flatMap((r) => r.updated).sort()).toEqual(['r10', 'r5'].filter((id) => bucketOf(id, BUCKETS) !== bucketOf('r20', BUCKETS)));
      expect(repaired.flatMap((r) => r.removed)).toEqual(bucketOf('stray', BUCKETS) === bucketOf('r20', BUCKETS) ? [] : ['stray']);

      expect(await engine.table('tasks').get('r5')).toMatchObject({ title: 'Task 5' });
      expect(await engine.table('tasks').get('r10')).toMatchObject({ title: 'Task 10' });
      expect(await engine.table('tasks').get('stray')).toBeUndefined();
      expect(await engine.table('tasks').get('r20')).toMatchObject({ title: 'unsent' });
      expect((await engine.diagnostics()).lastVerify).toMatchObject({ repairedBuckets: report.repairs.length, rowsPulled: inDamaged });

      // Once the edit is pushed, everything matches the server.
      engine.setOnline(true);
      await engine.sync();
      expect((await engine.verify({ buckets: BUCKETS })).repairs).toEqual([]);
      const server = (await (await clientFor(serverRef(), { org })).pullAll('tasks')).filter((c) => !c.row._deleted).length;
      expect(server).toBe(300);
    } finally {
      await engine.stop();
    }
  });

  it('verifies by itself at the end of a cycle once the interval has passed', async () => {
    const org = freshOrg();
    const engine = await engineFor(server, org, { verifyIntervalMs: 1 });
    await engine.start();
    try {
      await engine.table('tasks').bulkPut(Array.from({ length: 50 }, (_, i) => ({ id: `v${i}`, title: `Task ${i}` })));
      await engine.sync();
      await engine.db.table('tasks').update('v7', { title: 'bit rot' });
      const repaired: BucketRepair[] = [];
      engine.on('repaired', (repair) => repaired.push(repair));
      await new Promise((r) => setTimeout(r, 5));
      await engine.sync();
      expect(repaired.flatMap((r) => r.updated)).toEqual(['v7']);
      expect(await engine.table('tasks').get('v7')).toMatchObject({ title: 'Task 7' });
      expect((await engine.diagnostics()).recentTransitions.some((t) => t.state.includes('verifying'))).toBe(true);
    } finally {
      await engine.stop();
    }
  });

  const serverRef = () => server;
});
