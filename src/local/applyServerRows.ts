import type { WireRow } from '../protocol/schemas';
import { opsByPointer } from './opsOfRows';
import type { ConflictPolicy } from '../core/conflict/types';
import { reconcileRow, type ReconcileMode } from './reconcileRow';
import type { LocalRow, OutboxEntry, Tombstone } from './types';
import { entriesOfTable, hasTombstones, type LocalDb, rowsOf } from './db';
import { raiseServed, servedVersion } from './meta';
import { stripMeta } from '../core/json/rowChecksum';
import { readKeys } from './readKeys';

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
 * Must run inside a transaction that covers the table, `_outbox`, `_tombstones` and `_meta`. `removedOps`:
 * outbox keys the same transaction deleted (acknowledged ops), so rows pointing at them need no outbox read.
 */
export async function applyServerRows(
  db: LocalDb,
  table: string,
  rows: readonly WireRow[],
  now: number,
  mode: ReconcileMode = 'pull',
  policy?: ConflictPolicy,
  removedOps?: ReadonlySet<number>,
): Promise<ApplyStats> {
  const stats: ApplyStats = { applied: 0, skipped: 0, rebased: 0 };
  if (rows.length === 0) return stats;
  const rowsTable = rowsOf(db, table);
  const tombstones = db._tombstones;
  // The last version of a row wins when a page carries it twice.
  const latest = new Map<string, WireRow>();
  for (const row of rows) {
    const seen = latest.get(row.id);
    if (!seen || seen._v < row._v) latest.set(row.id, row);
  }
  let ids = [...latest.keys()];

  const putRows: LocalRow[] = [];
  const deleteRows: string[] = [];
  const putTombs: Tombstone[] = [];
  const deleteTombs: Array<[string, string]> = [];
  const putOps: OutboxEntry[] = [];
  // Every local row of the table is older than every live row of this page, and none has an unsent op:
  // reconcileRow would replace each one, so the page's live rows are written unread — a first download
  // reads nothing. ("Older": no server version above `served` was ever written here.) Tombstones of the page
  // still go through reconcileRow: one of a row never seen is not kept.
  const served = await servedVersion(db, table);
  const live = ids.filter((id) => !latest.get(id)!._deleted);
  if (mode === 'pull' && live.every((id) => latest.get(id)!._v > served) && (await entriesOfTable(db._outbox, table).first()) === undefined) {
    for (const id of live) {
      const server = latest.get(id)!;
      const row = stripMeta(server) as LocalRow;
      row._v = server._v;
      putRows.push(row);
    }
    if (live.length && (await hasTombstones(tombstones, table))) {
      const found = await tombstones.bulkGet(live.map((id) => [table, id] as [string, string]));
      found.forEach((tomb, i) => tomb && deleteTombs.push([table, live[i]!]));
    }
    stats.applied += live.length;
    ids = ids.filter((id) => latest.get(id)!._deleted);
  }
  // Tombstones are read only when the table has any; a pointer at an op this transaction removed (an
  // acknowledgement) means the row has no op left: it was the row's newest.
  const [locals, tombs] = ids.length
    ? await Promise.all([
        readKeys(rowsTable, ids),
        hasTombstones(tombstones, table).then((any) => (any ? tombstones.bulkGet(ids.map((id) => [table, id] as [string, string])) : ids.map(() => undefined))),
      ])
    : [[], []];
  const pointerOf = (i: number) => {
    const pointer = locals[i]?._op ?? tombs[i]?._op;
    return pointer !== undefined && removedOps?.has(pointer) ? undefined : pointer;
  };
  const ops = await opsByPointer(db._outbox, table, new Map(ids.map((id, i) => [id, pointerOf(i)])));
  ids.forEach((id, i) => {
    const result = reconcileRow(table, locals[i], tombs[i], latest.get(id)!, ops.get(id) ?? [], { now, mode, ...(policy ? { policy } : {}) });
    if (result.row === undefined && result.tomb === undefined) {
      stats.skipped += 1;
      return;
    }
    stats.applied += 1;
    if (result.rebased) stats.rebased += 1;
    if (result.ops) putOps.push(...result.ops);
    // A row that still has ops keeps pointing at its newest one.
    const pointer = ops.has(id) ? pointerOf(i) : undefined;
    if (result.row) putRows.push(pointer === undefined ? result.row : { ...result.row, _op: pointer });
    else if (result.row === null) deleteRows.push(id);
    if (result.tomb) putTombs.push(pointer === undefined ? result.tomb : { ...result.tomb, _op: pointer });
    else if (result.tomb === null) deleteTombs.push([table, id]);
  });
  await Promise.all([
    putRows.length ? rowsTable.bulkPut(putRows) : undefined,
    deleteRows.length ? rowsTable.bulkDelete(deleteRows) : undefined,
    putTombs.length ? tombstones.bulkPut(putTombs) : undefined,
    deleteTombs.length ? tombstones.bulkDelete(deleteTombs) : undefined,
    putOps.length ? db._outbox.bulkPut(putOps) : undefined,
    raiseServed(db, table, latest.values(), served),
  ]);
  return stats;
}
