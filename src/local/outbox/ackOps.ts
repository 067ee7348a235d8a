import type { ConflictPolicies } from '../../core/conflict/types';
import type { WireChange, WireRow } from '../../protocol/schemas';
import { applyServerRows } from '../applyServerRows';
import { assertFence } from '../fence';
import type { OutboxEntry } from '../types';
import type { LocalDb } from '../db';

/** The server's acceptance of one op. */
export interface OpAck {
  opId: string;
  /** The op's outbox key, when known (a key read instead of an index lookup). */
  seq?: number;
}

/**
 * Removes acknowledged ops from the outbox and merges the rows the server answered with (each as it is
 * now) into the local store, in ONE transaction under the sync lock's fencing token (STALE_LOCK once
 * another tab has taken the lock: a result that arrives late must not touch ops the new holder may have
 * sent again). Where a row has no other unsent op it becomes the server's version — even at the version
 * it already had, since the answer is the outcome of our own op; otherwise later ops are rebased over it.
 */
export async function ackOps(
  db: LocalDb,
  tables: readonly string[],
  acks: readonly OpAck[],
  rows: readonly WireChange[],
  lockToken: number,
  now: number = Date.now(),
  policies: ConflictPolicies = {},
): Promise<number> {
  if (acks.length === 0) return 0;
  const outbox = db._outbox;
  const tombstones = db._tombstones;
  return db.transaction('rw', [outbox, tombstones, db._meta, ...tables.map((t) => db.table(t))], async () => {
    await assertFence(db, lockToken);
    const keyed = acks.every((a) => a.seq !== undefined);
    const entries = keyed
      ? (await outbox.bulkGet(acks.map((a) => a.seq!))).filter((e, i): e is OutboxEntry => e !== undefined && e.opId === acks[i]!.opId)
      : ((await outbox
          .where('opId')
          .anyOf(acks.map((a) => a.opId))
          .toArray()) as OutboxEntry[]);
    if (entries.length === 0) return 0;
    await outbox.bulkDelete(entries.map((e) => e.seq!));
    const acked = new Set(entries.map((e) => `${e.table}\u0000${e.rowId}`));
    const rowsByTable = new Map<string, WireRow[]>();
    for (const { table, row } of rows) {
      if (!acked.has(`${table}\u0000${row.id}`) || !tables.includes(table)) continue;
      rowsByTable.set(table, [...(rowsByTable.get(table) ?? []), row]);
    }
    for (const [table, tableRows] of rowsByTable) await applyServerRows(db, table, tableRows, now, 'ack', policies[table]);
    return entries.length;
  });
}
