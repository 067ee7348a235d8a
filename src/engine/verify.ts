import { decodeCursor } from '../protocol/cursor';
import type { LocalStore } from '../local/openLocalStore';
import { type BucketRepair, localBucketHashes, repairBucket } from '../local/verifyBuckets';
import type { Transport } from '../transport/types';

/** What one verification found and did. */
export interface VerifyReport {
  at: number;
  /** Buckets compared (those holding rows with unsent ops are skipped: they differ until pushed). */
  checked: number;
  /** Buckets whose hash differed, each re-pulled and repaired. */
  repairs: BucketRepair[];
}

/**
 * Self-healing: compares each table's bucket hashes (rows without unsent ops) with the server's and
 * re-pulls only the buckets that differ, repairing corrupted, missing and stray rows there. Repairs of a
 * bucket that changed something are passed to `onRepaired`.
 */
export async function verifyTables(
  deps: { store: LocalStore; transport: Transport; onRepaired(repair: BucketRepair): void },
  tables: readonly string[],
  buckets: number,
): Promise<VerifyReport> {
  const report: VerifyReport = { at: Date.now(), checked: 0, repairs: [] };
  for (const table of tables) {
    const [remote, local] = await Promise.all([deps.transport.checksums(table, buckets), localBucketHashes(deps.store.db, table, buckets)]);
    for (let bucket = 0; bucket < buckets; bucket++) {
      if (local.busy.has(bucket)) continue;
      report.checked += 1;
      if (remote.hashes[bucket] === local.hashes[bucket]) continue;
      const page = await deps.transport.bucket(table, buckets, bucket);
      const repair = await repairBucket(deps.store.db, table, bucket, buckets, page.rows, decodeCursor(page.cursor)?.seq ?? 0);
      report.repairs.push(repair);
      if (repair.updated.length || repair.removed.length) deps.onRepaired(repair);
    }
  }
  return report;
}
