import type { Storage } from './types';

/**
 * The schema, as numbered migrations run in order on start; applied versions are recorded, so each runs
 * once per database (several servers may start at once: an advisory lock serializes them).
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
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
];

/** Brings the database schema up to the newest migration. */
export async function migrate(storage: Storage): Promise<number> {
  return storage.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(7406253)`);
    await tx.query(`create table if not exists chartsync_migrations (version int primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set((await tx.query<{ version: number }>(`select version from chartsync_migrations`)).map((r) => Number(r.version)));
    let applied = 0;
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.sql.split(';').map((s) => s.trim()).filter(Boolean)) await tx.query(statement);
      await tx.query(`insert into chartsync_migrations (version, name) values ($1, $2)`, [migration.version, migration.name]);
      applied += 1;
    }
    return applied;
  });
}
