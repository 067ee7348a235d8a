import { randomUUID } from 'node:crypto';
import { bucketOf, MAX_BUCKETS } from '../../core/checksum/bucketHashes';
import { rowBucketHashSql } from '../sync/bucketSql';
import type { SqlExecutor, Storage } from './types';

/**
 * The schema, as numbered migrations run in order on start; applied versions are recorded, so each runs
 * once per database (several servers may start at once: an advisory lock serializes them).
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string; backfill?: (tx: SqlExecutor) => Promise<void> }> = [
  {
    version: 1,
    name: 'rows, ops, orgs',
    sql: `
      create table chartsync_orgs (
        org text primary key,
        seq bigint not null default 0
      );
      create table chartsync_rows (
        org text not null,
        tbl text not null,
        id text not null,
        data jsonb not null,
        v bigint not null,
        clock jsonb not null,
        fv jsonb not null,
        deleted boolean not null default false,
        checksum text not null,
        last_at bigint not null,
        last_device text not null,
        last_role text,
        primary key (org, tbl, id)
      );
      create index chartsync_rows_org_v on chartsync_rows (org, v);
      create table chartsync_ops (
        org text not null,
        op_id text not null,
        result jsonb not null,
        applied_at timestamptz not null default now(),
        primary key (org, op_id)
      );
    `,
  },
  {
    version: 2,
    name: 'per-field stamps instead of vector clocks; database epoch',
    // fv becomes { field: [v, device, at] } (the field's last write), plus "_row" for a deleted row's
    // deletion. Existing rows take their last writer for every field: the best that is known.
    sql: `
      update chartsync_rows set fv = coalesce((select jsonb_object_agg(f.key, jsonb_build_array((f.value)::bigint, last_device, last_at)) from jsonb_each(fv) f), '{}'::jsonb)
        || case when deleted then jsonb_build_object('_row', jsonb_build_array(v, last_device, last_at)) else '{}'::jsonb end;
      alter table chartsync_rows drop column clock;
      create table chartsync_meta (
        key text primary key,
        value text not null
      )
    `,
  },
  {
    version: 3,
    name: 'op payload hashes; expiry of remembered outcomes',
    // A remembered outcome answers a replay only if the op is the same: an op id reused with another
    // payload is refused. Outcomes remembered before this migration have no hash and are trusted.
    sql: `
      alter table chartsync_ops add column hash text;
      create index chartsync_ops_applied_at on chartsync_ops (applied_at)
    `,
  },
  {
    version: 4,
    name: 'tombstone expiry: change times and the purged watermark',
    // changed_at: when the row last changed (server time; tombstones older than the retention are purged).
    // purged_seq: the newest change sequence number of a purged tombstone: a cursor behind it may have
    // missed a deletion, so its client downloads everything again.
    sql: `
      alter table chartsync_rows add column changed_at timestamptz not null default now();
      create index chartsync_rows_expiring on chartsync_rows (changed_at) where deleted;
      alter table chartsync_orgs add column purged_seq bigint not null default 0
    `,
  },
  {
    version: 5,
    name: 'bucket hashes maintained at write time',
    // One row per (org, table, bucket of MAX_BUCKETS): the XOR of its live rows' shares, kept current by
    // every push, so checksums cost at most MAX_BUCKETS rows whatever the table's size.
    sql: `
      create table chartsync_buckets (
        org text not null,
        tbl text not null,
        b int not null,
        hash bigint not null,
        primary key (org, tbl, b)
      )
    `,
    backfill: async (tx) => {
      const rows = await tx.query<{ org: string; tbl: string; id: string; checksum: string }>(
        `select org, tbl, id, checksum from chartsync_rows where not deleted`,
      );
      for (let i = 0; i < rows.length; i += 5000) {
        const batch = rows.slice(i, i + 5000).map((r) => ({ ...r, b: bucketOf(r.id, MAX_BUCKETS) }));
        await tx.query(
          `insert into chartsync_buckets (org, tbl, b, hash)
           select x.org, x.tbl, x.b, bit_xor(${rowBucketHashSql('x.id', 'x.checksum')})
           from jsonb_to_recordset($1::jsonb) as x(org text, tbl text, id text, checksum text, b int) group by x.org, x.tbl, x.b
           on conflict (org, tbl, b) do update set hash = chartsync_buckets.hash # excluded.hash`,
          [JSON.stringify(batch)],
        );
      }
    },
  },
];

/**
 * The database's epoch: an id made once per database, carried in every cursor so that a cursor of another
 * database (a wiped or replaced one) is never taken for this one's. Deleting the `epoch` row of
 * `chartsync_meta` (after restoring a backup, say) makes a new one at the next start: every client then
 * downloads everything again, keeping its unsent writes.
 */
export async function ensureEpoch(storage: Storage): Promise<string> {
  const fresh = randomUUID().replace(/-/g, '').slice(0, 16);
  await storage.query(`insert into chartsync_meta (key, value) values ('epoch', $1) on conflict (key) do nothing`, [fresh]);
  const [row] = await storage.query<{ value: string }>(`select value from chartsync_meta where key = 'epoch'`);
  return row!.value;
}

/** Brings the database schema up to the newest migration. */
export async function migrate(storage: Storage): Promise<number> {
  return storage.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(7406253)`);
    await tx.query(
      `create table if not exists chartsync_migrations (version int primary key, name text not null, applied_at timestamptz not null default now())`,
    );
    const done = new Set((await tx.query<{ version: number }>(`select version from chartsync_migrations`)).map((r) => Number(r.version)));
    let applied = 0;
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.sql
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean))
        await tx.query(statement);
      await migration.backfill?.(tx);
      await tx.query(`insert into chartsync_migrations (version, name) values ($1, $2)`, [migration.version, migration.name]);
      applied += 1;
    }
    return applied;
  });
}
