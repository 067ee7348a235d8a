import type { IndexableType, Table } from 'dexie';

/** Below this many keys, reading or deleting them one request per key beats a range (its probe would not pay). */
export const DENSE_MIN_KEYS = 32;

/** The smallest and the largest of `keys` (strings or numbers, all of one kind; at least one). */
export function keyBounds<K extends string | number>(keys: Iterable<K>): [K, K] {
  let low: K | undefined;
  let high: K | undefined;
  for (const key of keys) {
    if (low === undefined || key < low) low = key;
    if (high === undefined || key > high) high = key;
  }
  return [low!, high!];
}

/**
 * The records of `keys` (the record of each key, or undefined, in the order given), as `table.bulkGet` —
 * but read as ONE range when the keys are dense in the table: when the range from the smallest to the
 * largest holds at most twice as many records as there are keys. Batches written together have
 * neighbouring keys (outbox seqs; time-ordered row ids), and IndexedDB answers one range read far faster
 * than a request per key; a range of keys no record holds (a first write of new rows) costs one probe.
 * Keys must be strings or numbers, all of one kind; the table's primary key must be inbound (a key path).
 */
export async function readKeys<T, TKey, TInsert, K extends NonNullable<TKey> & (string | number)>(
  table: Table<T, TKey, TInsert>,
  keys: readonly K[],
): Promise<Array<T | undefined>> {
  if (keys.length < DENSE_MIN_KEYS) return table.bulkGet([...keys]);
  const [low, high] = keyBounds(keys);
  const range = table.where(':id').between(low as IndexableType, high as IndexableType, true, true);
  const most = 2 * keys.length;
  // A range of integers cannot hold more records than it has keys; any other range is probed for at most
  // `most + 1` of its keys (keys only, never more: a sparse range over a large table costs no more than that).
  if (typeof low === 'number' && typeof high === 'number' && Number.isInteger(low) && Number.isInteger(high)) {
    if (high - low + 1 > most) return table.bulkGet([...keys]);
  } else {
    const held = await range
      .clone()
      .limit(most + 1)
      .primaryKeys();
    if (held.length > most) return table.bulkGet([...keys]);
    if (held.length === 0) return keys.map(() => undefined);
  }
  const keyPath = table.schema.primKey.keyPath;
  if (typeof keyPath !== 'string') return table.bulkGet([...keys]);
  const byKey = new Map<unknown, T>();
  for (const record of await range.toArray()) byKey.set((record as Record<string, unknown>)[keyPath], record);
  return keys.map((key) => byKey.get(key));
}
