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
  /**
   * The queue up to the bound is in queue order (see inQueueOrder): the last key claimed, from which the
   * cycle's next claim reads on (ClaimOptions.after); null when the next claim must read the whole queue.
   */
  after: number | null;
}

/** What claimNext takes beside the batch limits. */
export interface ClaimOptions extends BatchLimits {
  /** Tables whose cursors to read with the claim. */
  tables?: readonly string[];
  /**
   * The previous claim's `after` (with its bound as `maxSeq`): this claim reads the ops after that key, up to
   * the bound, instead of the whole queue — and reads the whole queue after all if they are not in queue order.
   */
  after?: number | null;
}

// An op whose place in the push order is its place in the queue, and stays so until it is sent: pending,
// never backed off or set apart, of the most urgent priority (a write coalesced into it cannot make it more
// urgent, so nothing queued later can overtake it).
function inQueueOrder(op: OutboxEntry): boolean {
  return op.state === 'pending' && op.nextAttemptAt === 0 && !op.alone && op.priority === 1;
}

// Whether ops (in key order) are pushed in key order: each is inQueueOrder and none is older than the one
// before it (the push order's tie-break is age; a clock set back breaks it).
function inKeyOrder(ops: readonly OutboxEntry[]): boolean {
  let age = Number.NEGATIVE_INFINITY;
  for (const op of ops) {
    if (!inQueueOrder(op) || op.createdAt < age) return false;
    age = op.createdAt;
  }
  return true;
}

// Whether the push order of `queue` (the whole outbox, in key order) is its key order up to `bound`, and
// nothing in it is in flight or waits out a backoff.
function queueOrdered(queue: readonly OutboxEntry[], bound: number): boolean {
  if (queue.some((op) => op.state !== 'pending' || op.nextAttemptAt > 0)) return false;
  return inKeyOrder(queue.filter((op) => (op.seq ?? 0) <= bound));
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
    if (limits.after != null && limits.maxSeq !== undefined) {
      const ordered = await claimInOrder(db, lockToken, limits.after, limits.maxSeq, limits);
      if (ordered) return ordered;
    }
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
    if (batch.length === 0) return { batch: [], outlook, bound, cursors, after: null };
    const claimed = await markClaimed(outbox, batch, lockToken);
    // In queue order, the batch is the queue's first ops up to the bound: the next claim reads on from its last.
    const after = queueOrdered(queue, bound) ? (claimed.at(-1)!.seq ?? null) : null;
    return { batch: claimed, outlook, bound, cursors, after };
  });
}

async function markClaimed(outbox: LocalDb['_outbox'], batch: readonly OutboxEntry[], lockToken: number): Promise<OutboxEntry[]> {
  const claimed = batch.map((op) => ({ ...op, state: 'inflight' as const, attempts: op.attempts + 1, lockToken }));
  await outbox.bulkPut(claimed);
  return claimed;
}

// The next batch of a queue in queue order: the ops after `after` up to `bound`, read as one key range of at
// most a batch — not the whole queue. Undefined when one of them is no longer in queue order, or (`settled`:
// the batch up to `after` is acknowledged) an op is back below `after` (the caller reads the whole queue).
// What is left is counted, not read: every op left up to the bound is ready.
async function claimInOrder(db: LocalDb, lockToken: number, after: number, bound: number, limits: ClaimOptions, settled = true): Promise<Claim | undefined> {
  const outbox = db._outbox;
  // Every op up to `after` was sent and acknowledged; one there now was put back (a dead letter retried).
  if (settled && (await outbox.where(':id').belowOrEqual(after).limit(1).primaryKeys()).length > 0) return undefined;
  const chunk = await outbox
    .where(':id')
    .between(after, bound, false, true)
    .limit(limits.maxOps ?? 500)
    .toArray();
  if (!inKeyOrder(chunk)) return undefined;
  const cursors = await readCursors(db, limits.tables ?? []);
  const batch = selectBatch(chunk, { ...limits, maxSeq: bound });
  if (batch.length === 0) return { batch: [], outlook: { ready: 0, nextRetryAt: null }, bound, cursors, after: null };
  const claimed = await markClaimed(outbox, batch, lockToken);
  const last = claimed.at(-1)!.seq!;
  const ready = await outbox.where(':id').between(last, bound, false, true).count();
  return { batch: claimed, outlook: { ready, nextRetryAt: null }, bound, cursors, after: last };
}

/**
 * Claims the batch after `after` while the batch that ends there is still in flight, so that a cycle's next
 * claim overlaps its current push: only when the ops after `after` up to the bound (`maxSeq`) are in queue
 * order (as claimNext reads on); null, nothing marked, otherwise. The batch is sent only once the one before
 * it was wholly applied and confirmAhead says nothing was put back below it meanwhile; else it is released
 * (resetInflight with `unsent`).
 */
export async function claimAhead(db: LocalDb, lockToken: number, limits: ClaimOptions & { after: number; maxSeq: number }): Promise<Claim | null> {
  return db.transaction('rw', [db._outbox, db._meta], async () => {
    await assertFence(db, lockToken);
    const claim = await claimInOrder(db, lockToken, limits.after, limits.maxSeq, limits, false);
    if (claim?.batch.length) return claim;
    return null;
  });
}

/**
 * Whether a batch claimed ahead can be sent now that the batch before it is acknowledged: nothing but its own
 * ops is left at or below its last key (a dead letter retried meanwhile would be, and must go first). Returns
 * the claim with the cursors read now (the acknowledgement may have moved them), or null. Fenced.
 */
export async function confirmAhead(db: LocalDb, lockToken: number, claim: Claim, tables: readonly string[]): Promise<Claim | null> {
  return db.transaction('r', [db._outbox, db._meta], async () => {
    await assertFence(db, lockToken);
    if (claim.after === null) return null;
    const below = await db._outbox.where(':id').belowOrEqual(claim.after).count();
    if (below !== claim.batch.length) return null;
    return { ...claim, cursors: await readCursors(db, tables) };
  });
}

/** claimNext without the outlook. */
export async function claimBatch(db: LocalDb, lockToken: number, limits: BatchLimits = {}): Promise<OutboxEntry[]> {
  return (await claimNext(db, lockToken, limits)).batch;
}
