import type { Dexie, Table } from 'dexie';
import type { WireRow } from '../../protocol/schemas';
import { applyServerRows } from '../applyChanges';
import { opsByPointer, outboxTable } from '../opsOfRows';
import type { OutboxEntry, Tombstone } from '../types';

/** The server's acceptance of one op, with its row as the server now has it. */
export interface OpAck {
  opId: string;
  /** The op's outbox key, when known (a key read instead of an index lookup). */
  seq?: number;
  row?: WireRow;
}

/**
 * Removes acknowledged ops from the outbox and merges the server's rows into the local store in ONE
 * transaction: where a row has no other unsent op it becomes the server's version (which may hold a
 * resolved conflict); otherwise later ops are rebased over it. A confirmed delete drops its tombstone.
 */
export async function ackOps(db: Dexie, tables: readonly string[], acks: readonly OpAck[], now: number = Date.now()): Promise<number> {
  if (acks.length === 0) return 0;
  const outbox = outboxTable(db);
  const tombstones = db.table('_tombstones') as Table<Tombstone, [string, string]>;
  return db.transaction('rw', [outbox, tombstones, ...tables.map((t) => db.table(t))], async () => {
    const keyed = acks.every((a) => a.seq !== undefined);
    const entries = keyed
      ? (await outbox.bulkGet(acks.map((a) => a.seq!))).filter((e, i): e is OutboxEntry => e !== undefined && e.opId === acks[i]!.opId)
      : ((await outbox.where('opId').anyOf(acks.map((a) => a.opId)).toArray()) as OutboxEntry[]);
    if (entries.length === 0) return 0;
    await outbox.bulkDelete(entries.map((e) => e.seq!));
    const byOpId = new Map(entries.map((e) => [e.opId, e]));
    const rowsByTable = new Map<string, WireRow[]>();
    const confirmedDeletes = new Map<string, string[]>();
    for (const ack of acks) {
      const entry = byOpId.get(ack.opId);
      if (!entry) continue;
      if (ack.row) rowsByTable.set(entry.table, [...(rowsByTable.get(entry.table) ?? []), ack.row]);
      else if (entry.kind === 'delete') confirmedDeletes.set(entry.table, [...(confirmedDeletes.get(entry.table) ?? []), entry.rowId]);
    }
    for (const [table, rows] of rowsByTable) await applyServerRows(db, table, rows, now);
    // A delete confirmed without a row: drop the tombstone unless the row has newer ops.
    for (const [table, ids] of confirmedDeletes) {
      const tombs = await tombstones.bulkGet(ids.map((id) => [table, id] as [string, string]));
      const remaining = await opsByPointer(outbox, table, new Map(ids.map((id, i) => [id, tombs[i]?._op])));
      await tombstones.bulkDelete(ids.filter((id) => !remaining.has(id)).map((id) => [table, id] as [string, string]));
    }
    return entries.length;
  });
}
