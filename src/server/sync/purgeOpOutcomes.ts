import type { Storage } from '../storage/types';

/** How many remembered outcomes one purge statement deletes: short statements never hold up pushes. */
const BATCH = 1000;

/**
 * Forgets the remembered outcomes of ops applied longer than `retentionMs` ago, in batches of BATCH rows
 * (each its own short statement, so pushes are never blocked for long). Resolves to how many were deleted.
 */
export async function purgeOpOutcomes(storage: Storage, retentionMs: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await storage.query<{ op_id: string }>(
      `delete from chartsync_ops where ctid in (select ctid from chartsync_ops where applied_at < now() - make_interval(secs => $1::double precision / 1000) limit ${BATCH}) returning op_id`,
      [retentionMs],
    );
    total += deleted.length;
    if (deleted.length < BATCH) return total;
  }
}
