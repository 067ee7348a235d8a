import type { Dexie } from 'dexie';
import { outboxTable } from '../opsOfRows';
import type { OutboxEntry } from '../types';

/** Limits of one push batch. */
export interface BatchLimits {
  /** Most ops in a batch. @default 500 */
  maxOps?: number;
  /** Most bytes of JSON in a batch (a single larger op still goes alone). @default 1 MiB */
  maxBytes?: number;
  /** Now, ms since epoch (ops in retry backoff until later are skipped). */
  now?: number;
}

/**
 * The next ops to push, most urgent first, then oldest. Ops in retry backoff are skipped, and so are later ops of a row whose earlier op is in flight or in backoff: ops of
 * one row always go in order (earlier ops inherit the urgency of later ones when those are queued).
 */
export async function peekBatch(db: Dexie, limits: BatchLimits = {}): Promise<OutboxEntry[]> {
  const maxOps = limits.maxOps ?? 500;
  const maxBytes = limits.maxBytes ?? 1024 * 1024;
  const now = limits.now ?? Date.now();
  const rowKey = (op: OutboxEntry) => `${op.table}\u0000${op.rowId}`;
  // One read of the whole queue in key (seq) order: IndexedDB answers that fastest; ordering by priority
  // in memory beats walking a compound index one cursor step at a time.
  const all = await outboxTable(db).toArray();
  const blocked = new Set<string>();
  const pending: OutboxEntry[] = [];
  for (const op of all) {
    if (op.state === 'inflight') blocked.add(rowKey(op));
    else pending.push(op);
  }
  pending.sort((a, b) => a.priority - b.priority || (a.seq ?? 0) - (b.seq ?? 0));
  const batch: OutboxEntry[] = [];
  let bytes = 0;
  for (const op of pending) {
    if (batch.length >= maxOps) break;
    const key = rowKey(op);
    if (blocked.has(key)) continue;
    if (op.nextAttemptAt > now) {
      blocked.add(key);
      continue;
    }
    const size = JSON.stringify(op).length;
    if (bytes > 0 && bytes + size > maxBytes) break;
    bytes += size;
    batch.push(op);
  }
  return batch;
}

/**
 * How many ops could be pushed now: what peekBatch would return without limits (pending, out of backoff,
 * not behind an earlier op of their row that is in flight or in backoff).
 */
export async function countReady(db: Dexie, now: number = Date.now()): Promise<number> {
  return (await peekBatch(db, { now, maxOps: Number.MAX_SAFE_INTEGER, maxBytes: Number.POSITIVE_INFINITY })).length;
}
