import type { ConflictPolicies } from '../../core/conflict/types';
import type { WireChange, WireRow } from '../../protocol/schemas';
import { decodeCursor, encodeCursor } from '../../protocol/cursor';
import { applyServerRows } from '../applyServerRows';
import { assertFence } from '../fence';
import { META_KEYS } from '../meta';
import type { OutboxEntry } from '../types';
import type { LocalDb } from '../db';
import { DENSE_MIN_KEYS, keyBounds, readKeys } from '../readKeys';

/** The server's acceptance of one op. */
export interface OpAck {
  opId: string;
  /** The op's outbox key, when known (a key read instead of an index lookup). */
  seq?: number;
}

/**
 * What a push answer proves about the server's changes: its `rows` hold every change after `from` up to
 * `to` (each sequence number in between is the version of one of them). A table whose cursor is within
 * that range has then seen everything up to `to` once the rows are merged: its cursor moves there, and the
 * next pull does not bring our own rows back.
 */
export interface CursorAdvance {
  epoch: string;
  from: number;
  to: number;
}

/**
 * The advance a push answer allows (null: none): `to` is the answer's cursor, and `from` the highest
 * sequence below it that is not the version of a row in the answer.
 */
export function coveredRange(cursor: string, rows: readonly WireChange[]): CursorAdvance | null {
  const head = decodeCursor(cursor);
  if (!head) return null;
  const versions = new Set(rows.map((change) => change.row._v));
  let from = head.seq;
  while (from > 0 && versions.has(from)) from -= 1;
  return from < head.seq ? { epoch: head.epoch, from, to: head.seq } : null;
}

/**
 * Removes acknowledged ops from the outbox and merges the rows the server answered with (each as it is
 * now) into the local store, in ONE transaction under the sync lock's fencing token (STALE_LOCK once
 * another tab has taken the lock: a result that arrives late must not touch ops the new holder may have
 * sent again). Where a row has no other unsent op it becomes the server's version — even at the version
 * it already had, since the answer is the outcome of our own op; otherwise later ops are rebased over it.
 * With `advance` (given only when every op of the push was applied), and only when every ack found its op
 * so that every row of the answer was merged, the cursors it covers move to its end (see CursorAdvance).
 */
export async function ackOps(
  db: LocalDb,
  tables: readonly string[],
  acks: readonly OpAck[],
  rows: readonly WireChange[],
  lockToken: number,
  now: number = Date.now(),
  policies: ConflictPolicies = {},
  advance: CursorAdvance | null = null,
): Promise<number> {
  if (acks.length === 0) return 0;
  const outbox = db._outbox;
  const tombstones = db._tombstones;
  return db.transaction('rw', [outbox, tombstones, db._meta, ...tables.map((t) => db.table(t))], async () => {
    await assertFence(db, lockToken);
    const keyed = acks.every((a) => a.seq !== undefined);
    const entries = keyed
      ? (
          await readKeys(
            outbox,
            acks.map((a) => a.seq!),
          )
        ).filter((e, i): e is OutboxEntry => e !== undefined && e.opId === acks[i]!.opId)
      : ((await outbox
          .where('opId')
          .anyOf(acks.map((a) => a.opId))
          .toArray()) as OutboxEntry[]);
    if (entries.length === 0) return 0;
    const removed = new Set(entries.map((e) => e.seq!));
    await removeEntries(outbox, removed);
    const acked = new Set(entries.map((e) => `${e.table}\u0000${e.rowId}`));
    const rowsByTable = new Map<string, WireRow[]>();
    for (const { table, row } of rows) {
      if (!acked.has(`${table}\u0000${row.id}`) || !tables.includes(table)) continue;
      const list = rowsByTable.get(table);
      if (list) list.push(row);
      else rowsByTable.set(table, [row]);
    }
    for (const [table, tableRows] of rowsByTable) await applyServerRows(db, table, tableRows, now, 'ack', policies[table], removed);
    const mergedAll = entries.length === acks.length && rows.every(({ table, row }) => acked.has(`${table}\u0000${row.id}`) && tables.includes(table));
    if (advance && mergedAll) {
      const cursors = await db._meta.bulkGet(tables.map(META_KEYS.cursor));
      const moved = tables.filter((_, i) => {
        const position = decodeCursor(cursors[i]?.value as string | undefined);
        return position !== null && position.epoch === advance.epoch && position.seq >= advance.from && position.seq < advance.to;
      });
      if (moved.length) await db._meta.bulkPut(moved.map((table) => ({ key: META_KEYS.cursor(table), value: encodeCursor(advance.epoch, advance.to) })));
    }
    return entries.length;
  });
}

// Deletes outbox entries by key: one range delete when many are every key from the smallest to the largest
// (a batch claimed in queue order, all acknowledged), else one delete per key.
async function removeEntries(outbox: LocalDb['_outbox'], seqs: ReadonlySet<number>): Promise<void> {
  const [low, high] = keyBounds(seqs);
  if (seqs.size >= DENSE_MIN_KEYS && high - low + 1 === seqs.size) await outbox.where(':id').between(low, high, true, true).delete();
  else await outbox.bulkDelete([...seqs]);
}
