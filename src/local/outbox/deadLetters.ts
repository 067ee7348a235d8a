import { ChartsyncError } from '../../core/errors';
import type { DeadLetter } from '../types';
import { type LocalDb, rowsOf } from '../db';

/** Every dead-lettered op, oldest failure first. */
export function listDeadLetters(db: LocalDb): Promise<DeadLetter[]> {
  return db._deadletter.orderBy('failedAt').toArray();
}

/**
 * Puts a dead-lettered op back in the outbox, at its old place in the queue, with a fresh attempt budget.
 * It still counts as sent, so it is never coalesced (the server dedups it by op id if it had it).
 */
export async function retryDeadLetter(db: LocalDb, id: number): Promise<void> {
  const table = db._deadletter;
  const outbox = db._outbox;
  const tombstones = db._tombstones;
  await db.transaction('rw', [table, outbox, tombstones, ...db.tables.filter((t) => !t.name.startsWith('_'))], async () => {
    const letter = await table.get(id);
    if (!letter) throw new ChartsyncError('ROW_NOT_FOUND', `No dead letter ${id}: list them with deadLetters.list().`, { context: { id } });
    // attempts 1: a fresh budget, and still "sent" (every dead letter was), so it is never coalesced.
    await outbox.put({ ...letter.op, state: 'pending', attempts: 1, nextAttemptAt: 0 });
    await table.delete(id);
    // The row must know it has an op again, unless it already points at a newer one still queued.
    const rows = rowsOf(db, letter.op.table);
    const row = await rows.get(letter.op.rowId);
    const tomb = row ? undefined : await tombstones.get([letter.op.table, letter.op.rowId]);
    const pointer = row?._op ?? tomb?._op;
    if (pointer !== undefined && (await outbox.get(pointer))) return;
    if (row) await rows.put({ ...row, _op: letter.op.seq! });
    else if (tomb) await tombstones.put({ ...tomb, _op: letter.op.seq! });
  });
}

/** Drops a dead-lettered op for good. The local row keeps its change until the server's next version of it arrives. */
export async function discardDeadLetter(db: LocalDb, id: number): Promise<void> {
  const table = db._deadletter;
  const existed = await table.get(id);
  if (!existed) throw new ChartsyncError('ROW_NOT_FOUND', `No dead letter ${id}: list them with deadLetters.list().`, { context: { id } });
  await table.delete(id);
}
