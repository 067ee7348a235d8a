import type { Op } from './types';

type Queued = Pick<Op, 'table' | 'rowId' | 'priority' | 'createdAt'>;

/**
 * Orders ops for sending: by priority, then age — across rows only. Ops of one row (given in their
 * enqueue order) always keep their relative order: an op inherits the most urgent priority of the ops
 * after it on the same row, so an urgent change is never stuck behind a lazy one of its row and never
 * overtakes it either. O(n log n).
 */
export function orderForPush<T extends Queued>(ops: readonly T[]): T[] {
  const rows = new Map<string, number[]>();
  ops.forEach((op, i) => {
    const key = `${op.table}\u0000${op.rowId}`;
    const queue = rows.get(key);
    if (queue) queue.push(i);
    else rows.set(key, [i]);
  });
  const priority = new Array<number>(ops.length);
  const age = new Array<number>(ops.length);
  for (const queue of rows.values()) {
    // Effective priority: suffix minimum, so it never decreases along the row's queue.
    let min = Infinity;
    for (let k = queue.length - 1; k >= 0; k--) {
      const i = queue[k]!;
      min = Math.min(min, ops[i]!.priority);
      priority[i] = min;
    }
    // Effective age: running maximum, so it never decreases along the row's queue either.
    let max = -Infinity;
    for (const i of queue) {
      max = Math.max(max, ops[i]!.createdAt);
      age[i] = max;
    }
  }
  const order = ops.map((_, i) => i);
  order.sort((a, b) => priority[a]! - priority[b]! || age[a]! - age[b]! || a - b);
  return order.map((i) => ops[i]!);
}
