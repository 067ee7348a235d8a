import { bucketHashes, bucketOf } from '../core/checksum/bucketHashes';
import { jsonEqual } from '../core/json/jsonEqual';
import { rowChecksum } from '../core/json/rowChecksum';
import type { WireRow } from '../protocol/schemas';
import { entriesOfTable, type LocalDb, rowsOf } from './db';
import { raiseServed } from './meta';
import type { LocalRow } from './types';

/** A table's local bucket hashes, over the rows without unsent ops; `busy`: buckets holding rows with ops. */
export interface LocalBuckets {
  hashes: string[];
  busy: Set<number>;
}

/** What repairing one bucket changed. */
export interface BucketRepair {
  table: string;
  bucket: number;
  /** Rows pulled for the bucket. */
  pulled: number;
  /** Rows rewritten with the server's version (corrupted or missing locally). */
  updated: string[];
  /** Local rows the server does not have (strays, or deletions this device missed). */
  removed: string[];
}

async function idsWithOps(db: LocalDb, table: string): Promise<Set<string>> {
  return new Set((await entriesOfTable(db._outbox, table).toArray()).map((op) => op.rowId));
}

/** Hashes a table's local rows by bucket the way the server does, leaving out rows with unsent ops. */
export async function localBucketHashes(db: LocalDb, table: string, buckets: number): Promise<LocalBuckets> {
  const [rows, busyIds] = await Promise.all([rowsOf(db, table).toArray(), idsWithOps(db, table)]);
  const busy = new Set<number>();
  const settled: Array<{ id: string; checksum: string }> = [];
  for (const row of rows) {
    if (busyIds.has(row.id)) busy.add(bucketOf(row.id, buckets));
    else settled.push({ id: row.id, checksum: await rowChecksum(row) });
  }
  return { hashes: await bucketHashes(settled, buckets), busy };
}

/**
 * Makes one bucket of a table equal to the server's rows of it (read at sequence `atSeq`), in one
 * transaction: rows with unsent ops are left alone; a server row replaces a local one that differs unless
 * the local one is newer; a local row the server lacks is removed unless it is newer than `atSeq` (pulled
 * after the bucket was read).
 */
export async function repairBucket(
  db: LocalDb,
  table: string,
  bucket: number,
  buckets: number,
  serverRows: readonly WireRow[],
  atSeq: number,
): Promise<BucketRepair> {
  const rowsTable = rowsOf(db, table);
  const inBucket = async () => (await rowsTable.toArray()).filter((row) => bucketOf(row.id, buckets) === bucket);
  // Hashing is asynchronous (WebCrypto) and cannot run inside an IndexedDB transaction: hash first, then
  // write only rows that are still exactly as hashed.
  const before = new Map((await inBucket()).map((row) => [row.id, row]));
  const localSums = new Map(await Promise.all([...before.values()].map(async (row) => [row.id, await rowChecksum(row)] as const)));
  const serverSums = new Map(await Promise.all(serverRows.map(async (row) => [row.id, await rowChecksum(row)] as const)));
  return db.transaction('rw', [rowsTable, db._outbox, db._meta], async () => {
    const busyIds = await idsWithOps(db, table);
    const locals = await inBucket();
    const byId = new Map(locals.map((row) => [row.id, row]));
    const repair: BucketRepair = { table, bucket, pulled: serverRows.length, updated: [], removed: [] };
    const puts: LocalRow[] = [];
    for (const server of serverRows) {
      if (busyIds.has(server.id)) continue;
      const local = byId.get(server.id);
      if (local && (local._v ?? 0) > server._v) continue;
      if (local && !jsonEqual(local, before.get(server.id))) continue;
      if (local && localSums.get(server.id) === serverSums.get(server.id)) continue;
      const { _deleted, ...row } = server;
      puts.push(row as LocalRow);
      repair.updated.push(server.id);
    }
    const serverIds = new Set(serverRows.map((r) => r.id));
    for (const local of locals) {
      if (serverIds.has(local.id) || busyIds.has(local.id) || (local._v ?? 0) > atSeq) continue;
      repair.removed.push(local.id);
    }
    if (puts.length) await rowsTable.bulkPut(puts);
    await raiseServed(db, table, puts);
    if (repair.removed.length) await rowsTable.bulkDelete(repair.removed);
    return repair;
  });
}
