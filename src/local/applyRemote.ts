import { ChartsyncError } from '../core/errors';
import type { ConflictPolicy } from '../core/conflict/types';
import type { WireRow } from '../protocol/schemas';
import { applyServerRows, type ApplyStats } from './applyServerRows';
import { META_KEYS } from './meta';
import type { MetaEntry } from './types';
import type { LocalDb } from './db';

/** Options of applyRemote. */
export interface ApplyRemoteOptions {
  /** True on the last page of a first full download: marks the table complete in the same transaction. */
  complete?: boolean;
  now?: number;
  /** The table's declared conflict policy (its merge rules apply when rebasing unsent ops). */
  policy?: ConflictPolicy;
}

/**
 * Writes a page of server rows into a table AND advances that table's cursor in ONE transaction, so a
 * crash never leaves rows applied without the cursor or the cursor past rows not applied. Rows with
 * unsent local ops are rebased, not overwritten; tombstones delete.
 */
export async function applyRemote(
  db: LocalDb,
  tables: Readonly<Record<string, string>>,
  table: string,
  rows: readonly WireRow[],
  cursor: string,
  options: ApplyRemoteOptions = {},
): Promise<ApplyStats> {
  if (!(table in tables)) {
    throw new ChartsyncError('UNKNOWN_TABLE', `Cannot apply server rows to unknown table "${table}": declare it in tables.`, { context: { table } });
  }
  const meta = db._meta;
  return db.transaction('rw', [db.table(table), db._outbox, db._tombstones, meta], async () => {
    const stats = await applyServerRows(db, table, rows, options.now ?? Date.now(), 'pull', options.policy);
    const entries: MetaEntry[] = [{ key: META_KEYS.cursor(table), value: cursor }];
    if (options.complete) entries.push({ key: META_KEYS.complete(table), value: true });
    await meta.bulkPut(entries);
    return stats;
  });
}
