import type { Storage } from '../storage/types';

/** How many rows one purge statement deletes: short statements never hold up pushes for long. */
const BATCH = 1000;

/** What a purge removed. */
export interface PurgeStats {
  opOutcomes: number;
  tombstones: number;
}

/**
 * Forgets what is older than `retentionMs`: remembered op outcomes, and tombstones (deleted rows) with their
 * stamps. Works in batches of BATCH rows, each its own short statement; tombstones org by org under the
 * org's push lock, raising the org's `purged_seq` to the newest purged one (a cursor behind it answers
 * RESET_REQUIRED: its client may have missed the deletion, and downloads everything again).
 */
export async function purgeExpired(storage: Storage, retentionMs: number): Promise<PurgeStats> {
  const horizon = `now() - make_interval(secs => $1::double precision / 1000)`;
  const stats: PurgeStats = { opOutcomes: 0, tombstones: 0 };
  for (;;) {
    const deleted = await storage.query<{ op_id: string }>(
      `delete from chartsync_ops where ctid in (select ctid from chartsync_ops where applied_at < ${horizon} limit ${BATCH}) returning op_id`,
      [retentionMs],
    );
    stats.opOutcomes += deleted.length;
    if (deleted.length < BATCH) break;
  }
  const orgs = await storage.query<{ org: string }>(`select distinct org from chartsync_rows where deleted and changed_at < ${horizon}`, [retentionMs]);
  for (const { org } of orgs) {
    for (;;) {
      const [result] = await storage.transaction((tx) =>
        tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [org]).then(() =>
          tx.query<{ n: string | number }>(
            `with gone as (
                 delete from chartsync_rows where ctid in (
                   select ctid from chartsync_rows where org = $2 and deleted and changed_at < ${horizon} limit ${BATCH}
                 ) returning v
               ), raised as (
                 update chartsync_orgs set purged_seq = greatest(purged_seq, (select coalesce(max(v), 0) from gone)) where org = $2
               )
               select count(*) as n from gone`,
            [retentionMs, org],
          ),
        ),
      );
      const n = Number(result?.n ?? 0);
      stats.tombstones += n;
      if (n < BATCH) break;
    }
  }
  return stats;
}
