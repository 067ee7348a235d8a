import { newId } from '../core/ids/newId';
import type { LocalDb } from './db';

/** The `_meta` keys the store uses. */
export const META_KEYS = {
  deviceId: 'deviceId',
  snapshot: 'engineSnapshot',
  metrics: 'metrics',
  fence: 'lock:fence',
  cursor: (table: string) => `cursor:${table}`,
  complete: (table: string) => `complete:${table}`,
  /** The highest server version written into a table's rows (by pulls, acks and repairs). */
  served: (table: string) => `served:${table}`,
  lease: (name: string) => `lease:${name}`,
} as const;

/** Reads one `_meta` value (undefined when absent). */
export async function getMeta<T>(db: LocalDb, key: string): Promise<T | undefined> {
  return (await db._meta.get(key))?.value as T | undefined;
}

/** Writes one `_meta` value. */
export async function setMeta(db: LocalDb, key: string, value: unknown): Promise<void> {
  await db._meta.put({ key, value });
}

/** The pull cursors of `tables` (null: never pulled), in the caller's transaction if there is one. */
export async function readCursors(db: LocalDb, tables: readonly string[]): Promise<Record<string, string | null>> {
  const entries = tables.length ? await db._meta.bulkGet(tables.map(META_KEYS.cursor)) : [];
  return Object.fromEntries(tables.map((t, i) => [t, (entries[i]?.value as string | undefined) ?? null]));
}

/**
 * This device's id: made once, kept in `_meta`, the same across reloads and tabs (two tabs opening a new
 * database at once agree on one id: the first write wins and the other reads it).
 */
export async function ensureDeviceId(db: LocalDb): Promise<string> {
  return db.transaction('rw', db._meta, async () => {
    const existing = await getMeta<string>(db, META_KEYS.deviceId);
    if (existing) return existing;
    const id = newId();
    await db._meta.add({ key: META_KEYS.deviceId, value: id });
    return id;
  });
}

/** The highest server version written into a table's rows since its last reset (0: none). */
export async function servedVersion(db: LocalDb, table: string): Promise<number> {
  return (await getMeta<number>(db, META_KEYS.served(table))) ?? 0;
}

/** Raises a table's served version to the highest `_v` of `rows` (inside a transaction over `_meta`). */
export async function raiseServed(db: LocalDb, table: string, rows: Iterable<{ _v?: number }>, served?: number): Promise<void> {
  let highest = 0;
  for (const row of rows) highest = Math.max(highest, row._v ?? 0);
  if (highest > (served ?? (await servedVersion(db, table)))) await db._meta.put({ key: META_KEYS.served(table), value: highest });
}
