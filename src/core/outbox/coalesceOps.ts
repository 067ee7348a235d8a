import { ChartsyncError } from '../errors';
import type { Op } from './types';

/**
 * Folds a new op into the pending (never in-flight) op of the same row, so the outbox keeps at most one
 * pending op per row. Returns the op that replaces `pending`, or `null` when the two cancel out.
 *
 * | pending \ next | create            | update              | delete                      |
 * |----------------|-------------------|---------------------|-----------------------------|
 * | create         | create (next row) | create (row+patch)  | nothing, or delete if based |
 * | update         | create (replace)  | update (patches)    | delete                      |
 * | delete         | create (replace)  | refused             | delete                      |
 *
 * The merged op keeps the pending op's `opId`, `base` and `createdAt` (its place in the queue and the
 * server state it was written against) and takes the newer op's `clock` and `at`. A create without a
 * `base` is a row the server has never seen: create then delete leaves nothing to send. A create with a
 * `base` replaces a row the server has, so create then delete is still a delete.
 */
export function coalesceOps(pending: Op, next: Op): Op | null {
  if (pending.table !== next.table || pending.rowId !== next.rowId) {
    throw new ChartsyncError('INVALID_OP_SEQUENCE', `Cannot coalesce ops of different rows (${pending.table}/${pending.rowId} and ${next.table}/${next.rowId}): coalesce only ops on one row.`);
  }
  const keep = { opId: pending.opId, table: pending.table, rowId: pending.rowId, createdAt: pending.createdAt, clock: next.clock, at: next.at };
  const base = pending.base === undefined ? {} : { base: pending.base };
  const priority = Math.min(pending.priority, next.priority);
  switch (next.kind) {
    case 'create':
      return { ...keep, ...base, kind: 'create', patch: { ...next.patch }, priority };
    case 'update':
      if (pending.kind === 'delete') {
        throw new ChartsyncError('INVALID_OP_SEQUENCE', `Row ${pending.table}/${pending.rowId} has a pending delete: an update cannot follow it; put the row again to recreate it.`, { context: { table: pending.table, rowId: pending.rowId } });
      }
      return { ...keep, ...base, kind: pending.kind, patch: { ...pending.patch, ...next.patch }, priority };
    case 'delete':
      if (pending.kind === 'create' && pending.base === undefined) return null;
      return { ...keep, ...base, kind: 'delete', priority: 1 };
  }
}
