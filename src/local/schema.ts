import { ChartsyncError } from '../core/errors';
import { TABLE_NAME_PATTERN } from '../protocol/limits';

/** The app's synced tables: name → Dexie index string whose primary key is `id` (e.g. 'id, status, assignee'). */
export type TableSchemas = Readonly<Record<string, string>>;

/** The system tables every store has beside the app's. */
export const SYSTEM_TABLES = {
  // Each index costs every op write: only those some query uses (peekBatch orders by priority in memory).
  _outbox: '++seq, &opId, [table+rowId], state',
  _conflicts: '++id, [table+rowId], createdAt',
  _deadletter: '++id, &opId, [table+rowId], failedAt',
  _tombstones: '[table+id], table',
  _meta: 'key',
} as const;

/**
 * Checks the app's table declarations and returns the full Dexie schema (app tables + system tables).
 * Refuses reserved or malformed names and primary keys other than a plain `id`, with INVALID_VALUE.
 */
export function buildSchema(tables: TableSchemas): Record<string, string> {
  const names = Object.keys(tables);
  if (names.length === 0) {
    throw new ChartsyncError('INVALID_VALUE', 'openLocalStore needs at least one table, e.g. tables: { tasks: "id, status" }.');
  }
  for (const name of names) {
    if (!TABLE_NAME_PATTERN.test(name)) {
      throw new ChartsyncError(
        'INVALID_VALUE',
        `Table name "${name}" is not allowed: start with a letter and use only letters, digits and _ (names starting with _ are reserved).`,
        { context: { table: name } },
      );
    }
    const primary = (tables[name] ?? '').split(',')[0]?.trim();
    if (primary !== 'id') {
      throw new ChartsyncError(
        'INVALID_VALUE',
        `Table "${name}" must have "id" as its primary key (its index string must start with "id", got ${JSON.stringify(tables[name])}): rows are keyed by the client-generated string id.`,
        { context: { table: name } },
      );
    }
  }
  return { ...tables, ...SYSTEM_TABLES };
}

/** Throws UNKNOWN_TABLE unless `table` is one of the declared tables: the one check and message for every entry point. */
export function assertKnownTable(table: string, declared: readonly string[]): void {
  if (!declared.includes(table))
    throw new ChartsyncError('UNKNOWN_TABLE', `Unknown table "${table}": declare it in tables (known: ${declared.join(', ')}).`, { context: { table } });
}
