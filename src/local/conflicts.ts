import { ChartsyncError } from '../core/errors';
import { stripMeta } from '../core/json/rowChecksum';
import type { JsonObject } from '../core/json/types';
import type { WireRow } from '../protocol/schemas';
import { applyQueuedOp } from '../core/outbox/applyOp';
import { assertFence } from './fence';
import { opsOfRows } from './opsOfRows';
import type { ConflictRecord, LocalRow } from './types';
import { type LocalDb, rowsOf } from './db';

/**
 * Records conflicts the server left for people (`manual` policy), under the sync lock's fencing token
 * (STALE_LOCK once another tab has taken the lock): the op leaves the outbox, both sides are stored in
 * `_conflicts`, and the local row shows the server's version at the server's `_v` — so the person's
 * resolution, written as a new op against that version, is seen as having seen it. One transaction.
 */
export async function recordConflicts(
  db: LocalDb,
  tables: readonly string[],
  conflicts: ReadonlyArray<{ opId: string; row: WireRow }>,
  lockToken: number,
  now: number = Date.now(),
): Promise<ConflictRecord[]> {
  const outbox = db._outbox;
  const tombstones = db._tombstones;
  return db.transaction('rw', [outbox, db._conflicts, tombstones, db._meta, ...tables.map((t) => db.table(t))], async () => {
    await assertFence(db, lockToken);
    const records: ConflictRecord[] = [];
    for (const { opId, row: server } of conflicts) {
      const entry = await outbox.where('opId').equals(opId).first();
      if (!entry) continue;
      await outbox.delete(entry.seq!);
      const rows = rowsOf(db, entry.table);
      const local = await rows.get(entry.rowId);
      records.push({
        table: entry.table,
        rowId: entry.rowId,
        local: local ? (stripMeta(local) as JsonObject) : null,
        remote: server._deleted ? null : (stripMeta(server) as JsonObject),
        remoteV: server._v,
        opId,
        createdAt: now,
      });
      // Later local ops of the row stay queued; the row shows them over the server's version, as the server
      // will apply them (a put that lists its fields changes only those).
      const later = (await opsOfRows(outbox, entry.table, [entry.rowId])).get(entry.rowId) ?? [];
      let data = server._deleted ? undefined : (stripMeta(server) as JsonObject);
      for (const op of later) data = op.kind === 'update' && data === undefined ? undefined : applyQueuedOp(data, op);
      if (data === undefined) {
        await rows.delete(entry.rowId);
        const pointer = later.at(-1)?.seq;
        await tombstones.put({ table: entry.table, id: entry.rowId, _v: server._v, deletedAt: now, ...(pointer !== undefined ? { _op: pointer } : {}) });
      } else {
        const pointer = later.at(-1)?.seq;
        await rows.put({ ...data, id: entry.rowId, _v: server._v, ...(pointer !== undefined ? { _op: pointer } : {}) } as LocalRow);
        await tombstones.delete([entry.table, entry.rowId]);
      }
    }
    if (records.length) await db._conflicts.bulkAdd(records);
    return records;
  });
}

/** Every unresolved conflict, oldest first. */
export function listConflicts(db: LocalDb): Promise<ConflictRecord[]> {
  return db._conflicts.orderBy('createdAt').toArray();
}

/** Removes a resolved conflict (the resolution itself is an ordinary write). */
export async function removeConflict(db: LocalDb, id: number): Promise<ConflictRecord> {
  const record = await db._conflicts.get(id);
  if (!record) throw new ChartsyncError('ROW_NOT_FOUND', `No conflict ${id}: list them with conflicts.list().`, { context: { id } });
  await db._conflicts.delete(id);
  return record;
}
