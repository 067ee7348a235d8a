import { assertFence } from '../fence';
import { readCursors } from '../meta';
import type { OutboxEntry } from '../types';
import { outlookOf, selectBatch, type BatchLimits, type PushOutlook } from './peekBatch';
import type { LocalDb } from '../db';

/** A claimed batch, and what the queue will hold to push once it is acknowledged. */
export interface Claim {
  batch: OutboxEntry[];
  /** Counted from the same read, as if the batch were acknowledged (valid while every op of it is applied). */
  outlook: PushOutlook;
  /** The bound the batch was taken under: the one given, or the newest outbox key of this read (0: empty). */
  bound: number;
  /** The cursors of `tables` (null: never pulled), read in the same transaction: what the push tells the server it has seen. */
  cursors: Record<string, string | null>;
}

/** What claimNext takes beside the batch limits. */
export interface ClaimOptions extends BatchLimits {
  /** Tables whose cursors to read with the claim. */
  tables?: readonly string[];
}

/**
 * Reads the next batch and marks it in flight in ONE transaction, under the sync lock's fencing token
 * (STALE_LOCK when it has been taken over). Returns exactly the ops it marked, as stored: a write cannot
 * slip between reading a batch and marking it, so what is sent is what the outbox holds — an op coalesced or
 * dropped a moment earlier is never sent in its old form. The same read gives the outlook after the batch,
 * and, without a `maxSeq`, the cycle's bound (the newest key: what was waiting when the cycle began); the same
 * transaction reads the cursors the push sends — one transaction where a push began with three.
 */
export async function claimNext(db: LocalDb, lockToken: number, limits: ClaimOptions = {}): Promise<Claim> {
  const outbox = db._outbox;
  return db.transaction('rw', [outbox, db._meta], async () => {
    await assertFence(db, lockToken);
    const queue = await outbox.toArray();
    const bound = limits.maxSeq ?? queue.at(-1)?.seq ?? 0;
    const cursors = await readCursors(db, limits.tables ?? []);
    const batch = selectBatch(queue, { ...limits, maxSeq: bound });
    const claimedSeqs = new Set(batch.map((op) => op.seq));
    const outlook = outlookOf(
      queue.filter((op) => !claimedSeqs.has(op.seq)),
      limits.now ?? Date.now(),
      bound,
    );
    if (batch.length === 0) return { batch: [], outlook, bound, cursors };
    const claimed = batch.map((op) => ({ ...op, state: 'inflight' as const, attempts: op.attempts + 1, lockToken }));
    await outbox.bulkPut(claimed);
    return { batch: claimed, outlook, bound, cursors };
  });
}

/** claimNext without the outlook. */
export async function claimBatch(db: LocalDb, lockToken: number, limits: BatchLimits = {}): Promise<OutboxEntry[]> {
  return (await claimNext(db, lockToken, limits)).batch;
}
