import { type Collection, Dexie, type EntityTable, type Table } from 'dexie';
import { buildSchema, type TableSchemas } from './schema';
import type { ConflictRecord, DeadLetter, LocalRow, MetaEntry, OutboxEntry, Tombstone } from './types';

/** The store's Dexie database: the system tables typed once, the app's tables by name (rowsOf). */
export type LocalDb = Dexie & {
  _outbox: EntityTable<OutboxEntry, 'seq'>;
  _conflicts: EntityTable<ConflictRecord, 'id'>;
  _deadletter: EntityTable<DeadLetter, 'id'>;
  _tombstones: Table<Tombstone, [string, string]>;
  _meta: Table<MetaEntry, string>;
};

/** Options of createLocalDatabase. */
export interface LocalDatabaseOptions {
  /** IndexedDB database name. */
  name: string;
  tables: TableSchemas;
  /** IndexedDB implementation (tests: fake-indexeddb). @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

/**
 * The Dexie instance of a store, declared but not yet opened (it opens on first use or in openLocalStore):
 * available synchronously, so an app can hand `db` to live queries before the engine has started.
 */
export function createLocalDatabase(options: LocalDatabaseOptions): LocalDb {
  const schema = buildSchema(options.tables);
  const db = new Dexie(options.name, {
    ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
    ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
  }) as LocalDb;
  db.version(1).stores(schema);
  return db;
}

/** The rows of one of the app's tables. */
export function rowsOf(db: Dexie, table: string): Table<LocalRow, string> {
  return db.table(table);
}

/** The entries of a system table (indexed by `[table+rowId]`) that belong to one app table. */
export function entriesOfTable<T, K, I>(entries: Table<T, K, I>, table: string): Collection<T, K, I> {
  return entries.where('[table+rowId]').between([table, ''], [table, '\uffff'], true, true);
}

/** Whether any tombstone of `table` is stored: one index probe, so that tables without deletions skip their tombstone reads. */
export async function hasTombstones(tombstones: LocalDb['_tombstones'], table: string): Promise<boolean> {
  return (await tombstones.where('table').equals(table).first()) !== undefined;
}
