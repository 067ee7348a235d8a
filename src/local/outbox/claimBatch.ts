import { assertFence } from '../fence';
import type { OutboxEntry } from '../types';
import { outlookOf, selectBatch, type BatchLimits, type PushOutlook } from './peekBatch';
import type { LocalDb } from '../db';

/** A claimed batch, and what the queue will hold to push once it is acknowledged. */
export interface Claim {
  batch: OutboxEntry[];
  /** Counted from the same read, as if the batch were acknowledged (valid while every op of it is applied). */
  outlook: PushOutlook;
}

/**
 * Reads the next batch and marks it in flight in ONE transaction, under the sync lock's fencing token
 * (STALE_LOCK when it has been taken over). Returns exactly the ops it marked, as stored: a write cannot
 * slip between reading a batch and marking it, so what is sent is what the outbox holds — an op coalesced or
 * dropped a moment earlier is never sent in its old form. The same read gives the outlook after the batch.
 */
export async function claimNext(db: LocalDb, lockToken: number, limits: BatchLimits = {}): Promise<Claim> {
  const outbox = db._outbox;
  return db.transaction('rw', [outbox, db._meta], async () => {
    await assertFence(db, lockToken);
    const queue = await outbox.toArray();
    const batch = selectBatch(queue, limits);
    const claimedSeqs = new Set(batch.map((op) => op.seq));
    const outlook = outlookOf(
      queue.filter((op) => !claimedSeqs.has(op.seq)),
      limits.now ?? Date.now(),
      limits.maxSeq,
    );
    if (batch.length === 0) return { batch: [], outlook };
    const claimed = batch.map((op) => ({ ...op, state: 'inflight' as const, attempts: op.attempts + 1, lockToken }));
    await outbox.bulkPut(claimed);
    return { batch: claimed, outlook };
  });
}

/** claimNext without the outlook. */
export async function claimBatch(db: LocalDb, lockToken: number, limits: BatchLimits = {}): Promise<OutboxEntry[]> {
  return (await claimNext(db, lockToken, limits)).batch;
}
