import type { Dexie, Table } from 'dexie';
import type { WireRow } from '../protocol/schemas';
import { opsOfRows, outboxTable } from './opsOfRows';
import { reconcileRow } from './reconcileRow';
import type { LocalRow, Tombstone } from './types';

/** Counts of what applying server rows did. */
export interface ApplyStats {
  /** Rows written or deleted. */
  applied: number;
  /** Rows already at that version or newer: left alone. */
  skipped: number;
  /** Rows with unsent local ops, rebased over the server row. */
  rebased: number;
}

/**
 * Merges server rows of one table into the local store (see reconcileRow), with bulk reads and writes.
 * Must run inside a transaction that covers the table, `_outbox` and `_tombstones`.
 */
export async function applyServerRows(db: Dexie, table: string, rows: readonly WireRow[], now: number): Promise<ApplyStats> {
  const stats: ApplyStats = { applied: 0, skipped: 0, rebased: 0 };
  if (rows.length === 0) return stats;
  const rowsTable = db.table(table) as Table<LocalRow, string>;
  const tombstones = db.table('_tombstones') as Table<Tombstone, [string, string]>;
  // The last version of a row wins when a page carries it twice.
  const latest = new Map<string, WireRow>();
  for (const row of rows) {
    const seen = latest.get(row.id);
    if (!seen || seen._v < row._v) latest.set(row.id, row);
  }
  const ids = [...latest.keys()];
  const [locals, tombs, ops] = await Promise.all([rowsTable.bulkGet(ids), tombstones.bulkGet(ids.map((id) => [table, id] as [string, string])), opsOfRows(outboxTable(db), table, ids)]);
  const putRows: LocalRow[] = [];
  const deleteRows: string[] = [];
  const putTombs: Tombstone[] = [];
  const deleteTombs: Array<[string, string]> = [];
  ids.forEach((id, i) => {
    const result = reconcileRow(locals[i], tombs[i], latest.get(id)!, ops.get(id) ?? [], now);
    if (result.row === undefined && result.tomb === undefined) {
      stats.skipped += 1;
      return;
    }
    stats.applied += 1;
    if (result.rebased) stats.rebased += 1;
    if (result.row) putRows.push(result.row);
    else if (result.row === null) deleteRows.push(id);
    if (result.tomb) putTombs.push(result.tomb);
    else if (result.tomb === null) deleteTombs.push([table, id]);
  });
  await Promise.all([
    putRows.length ? rowsTable.bulkPut(putRows) : undefined,
    deleteRows.length ? rowsTable.bulkDelete(deleteRows) : undefined,
    putTombs.length ? tombstones.bulkPut(putTombs) : undefined,
    deleteTombs.length ? tombstones.bulkDelete(deleteTombs) : undefined,
  ]);
  return stats;
}
