import { orderForPush } from '../../core/outbox/orderForPush';
import type { OutboxEntry } from '../types';
import type { LocalDb } from '../db';

/** Limits of one push batch. */
export interface BatchLimits {
  /** Most ops in a batch. @default 500 */
  maxOps?: number;
  /** Most bytes of JSON in a batch (a single larger op still goes alone). @default 1 MiB */
  maxBytes?: number;
  /** Now, ms since epoch (ops in retry backoff until later are skipped). */
  now?: number;
  /** Only ops queued at or before this outbox key: a cycle pushes what was waiting when it began. */
  maxSeq?: number;
}

/**
 * The next ops to push: more urgent rows first, then older — and the ops of one row always in their queue
 * order, whatever their priorities (an earlier op takes the urgency of the later ones of its row, see
 * orderForPush): the server judges a later op against the row the earlier one left, so sending them out of
 * order could lose the earlier one. Ops in retry backoff are skipped, and so are later ops of a row whose
 * earlier op is in flight or in backoff. An op marked `alone` (its batch timed out) goes in a batch of
 * its own.
 */
export async function peekBatch(db: LocalDb, limits: BatchLimits = {}): Promise<OutboxEntry[]> {
  // One read of the whole queue in key (seq) order: IndexedDB answers that fastest; ordering by priority
  // in memory beats walking a compound index one cursor step at a time.
  return selectBatch(await db._outbox.toArray(), limits);
}

/** The batch peekBatch would choose from `queue` (the whole outbox, in seq order). */
export function selectBatch(queue: readonly OutboxEntry[], limits: BatchLimits = {}): OutboxEntry[] {
  const maxOps = limits.maxOps ?? 500;
  const maxBytes = limits.maxBytes ?? 1024 * 1024;
  const maxSeq = limits.maxSeq ?? Number.POSITIVE_INFINITY;
  const now = limits.now ?? Date.now();
  const rowKey = (op: OutboxEntry) => `${op.table}\u0000${op.rowId}`;
  const blocked = new Set<string>();
  const pending: OutboxEntry[] = [];
  for (const op of queue) {
    if (op.state === 'inflight') blocked.add(rowKey(op));
    else pending.push(op);
  }
  const batch: OutboxEntry[] = [];
  let bytes = 0;
  const unbounded = maxBytes === Number.POSITIVE_INFINITY;
  for (const op of orderForPush(pending)) {
    if (batch.length >= maxOps) break;
    const key = rowKey(op);
    if (blocked.has(key)) continue;
    if (op.nextAttemptAt > now || (op.seq ?? 0) > maxSeq) {
      blocked.add(key);
      continue;
    }
    if (op.alone) {
      if (batch.length === 0) return [op];
      blocked.add(key);
      continue;
    }
    const size = unbounded ? 0 : JSON.stringify(op).length;
    if (bytes > 0 && bytes + size > maxBytes) break;
    bytes += size;
    batch.push(op);
  }
  return batch;
}

/** What is left to push once a batch is acknowledged: how many ops are then ready, and the earliest retry. */
export interface PushOutlook {
  ready: number;
  nextRetryAt: number | null;
}

/** The outlook of `queue` (countReady and nextRetryAt of one read). */
export function outlookOf(queue: readonly OutboxEntry[], now: number, maxSeq?: number): PushOutlook {
  const ready = selectBatch(queue, {
    now,
    maxOps: Number.MAX_SAFE_INTEGER,
    maxBytes: Number.POSITIVE_INFINITY,
    ...(maxSeq !== undefined ? { maxSeq } : {}),
  }).length;
  let nextRetryAt: number | null = null;
  for (const op of queue) {
    if (op.state === 'pending' && op.nextAttemptAt > 0 && (nextRetryAt === null || op.nextAttemptAt < nextRetryAt)) nextRetryAt = op.nextAttemptAt;
  }
  return { ready, nextRetryAt };
}

/**
 * How many ops could be pushed now: what peekBatch would return without size limits (pending, out of
 * backoff, not behind an earlier op of their row that is in flight or in backoff).
 */
export async function countReady(db: LocalDb, now: number = Date.now(), maxSeq?: number): Promise<number> {
  return outlookOf(await db._outbox.toArray(), now, maxSeq).ready;
}

/**
 * When the earliest op waiting out a retry backoff becomes sendable (ms since epoch) — possibly already
 * past, when it came due while a cycle ran — or null when no op is in backoff.
 */
export async function nextRetryAt(db: LocalDb): Promise<number | null> {
  // One read in key order, as peekBatch does: walking the state index costs fake-indexeddb a search per step.
  return outlookOf(await db._outbox.toArray(), Date.now()).nextRetryAt;
}

/** countReady and nextRetryAt from one read of the queue. */
export async function pushOutlook(db: LocalDb, now: number = Date.now(), maxSeq?: number): Promise<PushOutlook> {
  return outlookOf(await db._outbox.toArray(), now, maxSeq);
}
