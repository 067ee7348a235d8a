import type { Dexie, Table } from 'dexie';
import { newId } from '../core/ids/newId';
import type { MetaEntry } from './types';

/** The `_meta` keys the store uses. */
export const META_KEYS = {
  deviceId: 'deviceId',
  snapshot: 'engineSnapshot',
  metrics: 'metrics',
  fence: 'lock:fence',
  cursor: (table: string) => `cursor:${table}`,
  complete: (table: string) => `complete:${table}`,
  lease: (name: string) => `lease:${name}`,
} as const;

/** The `_meta` table of a store's database. */
export function metaTable(db: Dexie): Table<MetaEntry, string> {
  return db.table('_meta');
}

/** Reads one `_meta` value (undefined when absent). */
export async function getMeta<T>(db: Dexie, key: string): Promise<T | undefined> {
  return (await metaTable(db).get(key))?.value as T | undefined;
}

/** Writes one `_meta` value. */
export async function setMeta(db: Dexie, key: string, value: unknown): Promise<void> {
  await metaTable(db).put({ key, value });
}

/**
 * This device's id: made once, kept in `_meta`, the same across reloads and tabs (two tabs opening a new
 * database at once agree on one id: the first write wins and the other reads it).
 */
export async function ensureDeviceId(db: Dexie): Promise<string> {
  return db.transaction('rw', metaTable(db), async () => {
    const existing = await getMeta<string>(db, META_KEYS.deviceId);
    if (existing) return existing;
    const id = newId();
    await metaTable(db).add({ key: META_KEYS.deviceId, value: id });
    return id;
  });
}
