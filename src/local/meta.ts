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
