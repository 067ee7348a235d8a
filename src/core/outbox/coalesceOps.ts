import { ChartsyncError } from '../errors';
import { fieldTime, type Op, type OpBase } from './types';

/**
 * Folds a new op into the pending (never sent) op of the same row. Returns the op that replaces `pending`,
 * or null when the new op must be queued behind it instead.
 *
 * | pending \ next | create            | update              | delete           |
 * |----------------|-------------------|---------------------|------------------|
 * | create         | create (next row) | create (row+patch)  | queued behind it |
 * | update         | create (replace)  | update (patches)    | queued behind it |
 * | delete         | create (replace)  | refused             | —                |
 *
 * The merged op keeps the pending op's `opId`, `base` and `createdAt` (its place in the queue and the
 * server state it was written against), takes the newer op's `at`, and keeps every field's own write time
 * (`fieldAt`, `putAt`) and base value, so a collision on the server is decided by when each field was
 * written. A delete never absorbs the writes before it: they go first, then the delete, so an edit by
 * another device that wins against the delete brings the row back with them — and a create followed by a
 * delete of an id another device also created still deletes it there.
 */
export function coalesceOps(pending: Op, next: Op): Op | null {
  if (pending.table !== next.table || pending.rowId !== next.rowId) {
    throw new ChartsyncError(
      'INVALID_OP_SEQUENCE',
      `Cannot coalesce ops of different rows (${pending.table}/${pending.rowId} and ${next.table}/${next.rowId}): coalesce only ops on one row.`,
    );
  }
  const keep = {
    opId: pending.opId,
    table: pending.table,
    rowId: pending.rowId,
    createdAt: pending.createdAt,
    at: next.at,
    writes: (pending.writes ?? 1) + (next.writes ?? 1),
  };
  const priority = Math.min(pending.priority, next.priority);
  switch (next.kind) {
    case 'create': {
      // A put replaces the row. Its base values override none of the pending op's (those are older: what
      // the row held before this device's first change), and each field keeps the time of the write that
      // last wrote it: the put for the fields it changed (all of them when it replaced a row it did not
      // have), the pending op for the others.
      const base = mergeBase(pending.base, next.base, pending.kind !== 'delete');
      const nextWrote = next.base?.fields ? new Set(Object.keys(next.base.fields)) : null;
      const putAt = nextWrote === null ? (next.putAt ?? next.at) : pending.kind === 'delete' ? next.at : (pending.putAt ?? pending.at);
      const fieldAt: Record<string, number> = {};
      // A field with a time of its own on the pending op (one a put removed after the first put) keeps it
      // unless this put wrote the field again.
      const listed = pending.kind === 'delete' ? [] : Object.keys(pending.fieldAt ?? {});
      for (const field of new Set([...Object.keys(next.patch ?? {}), ...Object.keys(base?.fields ?? {}), ...(nextWrote ?? []), ...listed])) {
        fieldAt[field] = nextWrote === null || nextWrote.has(field) || pending.kind === 'delete' ? fieldTime(next, field) : fieldTime(pending, field);
      }
      return { ...keep, kind: 'create', patch: { ...next.patch }, ...(base ? { base } : {}), ...compressTimes(fieldAt, next.at, putAt), priority };
    }
    case 'update': {
      if (pending.kind === 'delete') {
        throw new ChartsyncError(
          'INVALID_OP_SEQUENCE',
          `Row ${pending.table}/${pending.rowId} has a pending delete: an update cannot follow it; put the row again to recreate it.`,
          { context: { table: pending.table, rowId: pending.rowId } },
        );
      }
      const base = mergeBase(pending.base, next.base, true);
      const patch = { ...pending.patch, ...next.patch };
      const fieldAt: Record<string, number> = {};
      // The patch's fields, and those the pending op removed at a time of their own (a put over a put).
      for (const field of new Set([...Object.keys(patch), ...Object.keys(pending.fieldAt ?? {})]))
        fieldAt[field] = field in (next.patch ?? {}) ? fieldTime(next, field) : fieldTime(pending, field);
      const putAt = pending.kind === 'create' ? (pending.putAt ?? pending.at) : undefined;
      return {
        ...keep,
        kind: pending.kind,
        patch,
        ...(next.row ? { row: next.row } : {}),
        ...(base ? { base } : {}),
        ...compressTimes(fieldAt, next.at, putAt),
        priority,
      };
    }
    case 'delete':
      return null;
  }
}

// The merged op's base: the pending op's version, and for each field the value before its first change.
// No base stays no base (a row the server never showed us: every field counts as written), and a pending
// delete leaves no field values to merge with (the row it deleted is not kept locally).
function mergeBase(older: OpBase | undefined, newer: OpBase | undefined, keepFields: boolean): OpBase | undefined {
  if (!older) return undefined;
  if (!keepFields || !older.fields || !newer?.fields) return { v: older.v };
  return { v: older.v, fields: { ...newer.fields, ...older.fields } };
}

// Drops the times that equal the default (putAt, else at), so the common case carries none.
function compressTimes(fieldAt: Record<string, number>, at: number, putAt: number | undefined): Pick<Op, 'fieldAt' | 'putAt'> {
  const fallback = putAt ?? at;
  const listed = Object.fromEntries(Object.entries(fieldAt).filter(([, t]) => t !== fallback));
  return { ...(putAt !== undefined && putAt !== at ? { putAt } : {}), ...(Object.keys(listed).length ? { fieldAt: listed } : {}) };
}
