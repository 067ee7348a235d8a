import type { OutboxEntry } from './types';
import { entriesOfTable, type LocalDb } from './db';
import { readKeys } from './readKeys';

/** Every op (pending or in flight) of the given rows of one table, by row id, in queue order. */
export async function opsOfRows(outbox: LocalDb['_outbox'], table: string, ids: readonly string[]): Promise<Map<string, OutboxEntry[]>> {
  const wanted = new Set(ids);
  // Few rows: keyed lookups in one request; many rows: one range scan of the table's ops.
  const entries =
    ids.length <= 64
      ? await outbox
          .where('[table+rowId]')
          .anyOf(ids.map((id) => [table, id]))
          .toArray()
      : await entriesOfTable(outbox, table)
          .filter((op) => wanted.has(op.rowId))
          .toArray();
  entries.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const map = new Map<string, OutboxEntry[]>();
  for (const entry of entries) {
    const list = map.get(entry.rowId);
    if (list) list.push(entry);
    else map.set(entry.rowId, [entry]);
  }
  return map;
}

/**
 * The ops of the given rows, found through each row's `_op` pointer (its newest op's seq): one primary-key
 * read for all rows, and an index query only for the few rows that do have ops. (fake-indexeddb, and some
 * real engines, answer index lookups far slower than key reads; writes and pulls touch many rows.) A row
 * whose pointer is absent, or points at an op no longer in the outbox, has no ops.
 */
export async function opsByPointer(
  outbox: LocalDb['_outbox'],
  table: string,
  pointers: ReadonlyMap<string, number | undefined>,
): Promise<Map<string, OutboxEntry[]>> {
  const withPointer = [...pointers].filter((entry): entry is [string, number] => entry[1] !== undefined);
  if (withPointer.length === 0) return new Map();
  const newest = await readKeys(
    outbox,
    withPointer.map(([, seq]) => seq),
  );
  const ids = withPointer.filter(([id], i) => newest[i]?.rowId === id && newest[i]?.table === table).map(([id]) => id);
  return ids.length ? opsOfRows(outbox, table, ids) : new Map();
}
