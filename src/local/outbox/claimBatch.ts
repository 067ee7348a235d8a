import { assertFence } from '../fence';
import type { OutboxEntry } from '../types';
import { peekBatch, type BatchLimits } from './peekBatch';
import type { LocalDb } from '../db';

/**
 * Reads the next batch and marks it in flight in ONE transaction, under the sync lock's fencing token
 * (STALE_LOCK when it has been taken over). Returns exactly the ops it marked, as stored: a write cannot
 * slip between reading a batch and marking it, so what is sent is what the outbox holds — an op coalesced or
 * dropped a moment earlier is never sent in its old form.
 */
export async function claimBatch(db: LocalDb, lockToken: number, limits: BatchLimits = {}): Promise<OutboxEntry[]> {
  const outbox = db._outbox;
  return db.transaction('rw', [outbox, db._meta], async () => {
    await assertFence(db, lockToken);
    const batch = await peekBatch(db, limits);
    if (batch.length === 0) return [];
    const claimed = batch.map((op) => ({ ...op, state: 'inflight' as const, attempts: op.attempts + 1, lockToken }));
    await outbox.bulkPut(claimed);
    return claimed;
  });
}
