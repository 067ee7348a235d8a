import { describe, expect, it } from 'vitest';
import { bucketHashes, bucketOf, MAX_BUCKETS } from '../../../src/core/checksum/bucketHashes';
import { ensureEpoch, migrate, MIGRATIONS } from '../../../src/server/storage/migrate';
import { pgliteStorage } from '../../../src/server/storage/pgliteStorage';

describe('schema migrations', () => {
  it('upgrades a protocol-1 database in place: vector clocks become per-field stamps, and an epoch is made once', async () => {
    const storage = await pgliteStorage();
    try {
      // A database as the first release left it, with a live row and a deleted one.
      await storage.query(`create table chartsync_migrations (version int primary key, name text not null, applied_at timestamptz not null default now())`);
      for (const statement of MIGRATIONS[0]!.sql
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean))
        await storage.query(statement);
      await storage.query(`insert into chartsync_migrations (version, name) values (1, 'rows, ops, orgs')`);
      await storage.query(
        `insert into chartsync_rows (org, tbl, id, data, v, clock, fv, deleted, checksum, last_at, last_device, last_role) values
         ('o', 'tasks', 'live', '{"id":"live","title":"t","status":"todo"}', 7, '{"a":2,"b":1}', '{"title":3,"status":7}', false, 'x', 1000, 'b', null),
         ('o', 'tasks', 'gone', '{"id":"gone"}', 9, '{"a":3}', '{"title":4}', true, '', 2000, 'a', null)`,
      );
      expect(await migrate(storage)).toBe(MIGRATIONS.length - 1);
      const rows = await storage.query<{ id: string; fv: unknown }>(`select id, fv from chartsync_rows order by id`);
      expect(rows).toEqual([
        { id: 'gone', fv: { title: [4, 'a', 2000], _row: [9, 'a', 2000] } },
        { id: 'live', fv: { title: [3, 'b', 1000], status: [7, 'b', 1000] } },
      ]);
      // Migration 5 built the bucket aggregates from the live row: the same hash the client computes.
      const [bucket] = await storage.query<{ b: number; hash: string }>(
        `select b, hash::text as hash from chartsync_buckets where org = 'o' and tbl = 'tasks'`,
      );
      expect(bucket).toEqual({
        b: bucketOf('live', MAX_BUCKETS),
        hash: (await bucketHashes([{ id: 'live', checksum: 'x' }], MAX_BUCKETS))[bucketOf('live', MAX_BUCKETS)],
      });
      const columns = await storage.query<{ column_name: string }>(`select column_name from information_schema.columns where table_name = 'chartsync_rows'`);
      expect(columns.map((c) => c.column_name)).not.toContain('clock');
      const epoch = await ensureEpoch(storage);
      expect(epoch).toMatch(/^[0-9a-f]{16}$/);
      expect(await ensureEpoch(storage)).toBe(epoch);
      expect(await migrate(storage)).toBe(0);
    } finally {
      await storage.close();
    }
  });
});
