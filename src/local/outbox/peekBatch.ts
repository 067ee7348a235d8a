import type { Dexie } from 'dexie';
import { outboxTable } from '../opsOfRows';
import type { OutboxEntry } from '../types';

/** Limits of one push batch. */
export interface BatchLimits {
  /** Most ops in a batch. @default 500 */
  maxOps?: number;
  /** Most bytes of JSON in a batch (a single larger op still goes alone). @default 512 KiB */
  maxBytes?: number;
  /** Now, ms since epoch (ops in retry backoff until later are skipped). */
  now?: number;
}

/**
 * The next ops to push, most urgent first, then oldest — read with one ordered range query. Ops in retry
 * backoff are skipped, and so are later ops of a row whose earlier op is in flight or in backoff: ops of
 * one row always go in order (earlier ops inherit the urgency of later ones when those are queued).
 */
export async function peekBatch(db: Dexie, limits: BatchLimits = {}): Promise<OutboxEntry[]> {
  const maxOps = limits.maxOps ?? 500;
  const maxBytes = limits.maxBytes ?? 512 * 1024;
  const now = limits.now ?? Date.now();
  const outbox = outboxTable(db);
  const rowKey = (op: OutboxEntry) => `${op.table}\u0000${op.rowId}`;
  const blocked = new Set((await outbox.where('state').equals('inflight').toArray()).map(rowKey));
  let bytes = 0;
  let full = false;
  const batch = await outbox
    .where('[state+priority+seq]')
    // Priorities and seqs are positive numbers; any string sorts above every number.
    .between(['pending', 0, 0], ['pending', '\uffff', '\uffff'])
    .until(() => full)
    .filter((op) => {
      const key = rowKey(op);
      if (blocked.has(key)) return false;
      if (op.nextAttemptAt > now) {
        blocked.add(key);
        return false;
      }
      const size = JSON.stringify(op).length;
      if (bytes > 0 && bytes + size > maxBytes) {
        full = true;
        return false;
      }
      bytes += size;
      return true;
    })
    .limit(maxOps)
    .toArray();
  return batch;
}

/**
 * How many ops could be pushed now: what peekBatch would return without limits (pending, out of backoff,
 * not behind an earlier op of their row that is in flight or in backoff).
 */
export async function countReady(db: Dexie, now: number = Date.now()): Promise<number> {
  return (await peekBatch(db, { now, maxOps: Number.MAX_SAFE_INTEGER, maxBytes: Number.POSITIVE_INFINITY })).length;
}
