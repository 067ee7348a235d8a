import { ChartsyncError } from '../errors';
import type { JsonObject } from '../json/types';
import type { Op } from './types';

/** The row's data after `op` (undefined = deleted). Refuses an update of a missing row. */
export function applyOp(row: Readonly<JsonObject> | undefined, op: Pick<Op, 'kind' | 'patch' | 'table' | 'rowId'>): JsonObject | undefined {
  switch (op.kind) {
    case 'create':
      return { ...op.patch };
    case 'update':
      if (row === undefined) {
        throw new ChartsyncError('ROW_NOT_FOUND', `Cannot update ${op.table}/${op.rowId}: the row does not exist (put it first).`, {
          context: { table: op.table, rowId: op.rowId },
        });
      }
      return { ...row, ...op.patch };
    case 'delete':
      return undefined;
  }
}

/**
 * A put that lists the fields it changes (its device had the row), over `row`: each listed field takes the
 * put's value, or goes when the put lacks it; the rest of `row` stays — the put's other fields are its
 * device's copy, which may lag. Applied alike by the server's fast-forward and the device's rebase.
 */
export function putListedFields(row: Readonly<JsonObject>, patch: Readonly<JsonObject>, fields: Iterable<string>): JsonObject {
  const next: JsonObject = { ...row };
  for (const field of fields) {
    if (field === 'id') continue;
    if (field in patch) next[field] = patch[field]!;
    else delete next[field];
  }
  return next;
}

/**
 * The row after a queued `op` over `row` (undefined = deleted), as the server applies it: a put that lists
 * the fields it changes changes only those of an existing row (putListedFields); otherwise as applyOp.
 */
export function applyQueuedOp(row: Readonly<JsonObject> | undefined, op: Pick<Op, 'kind' | 'patch' | 'table' | 'rowId' | 'base'>): JsonObject | undefined {
  const listed = op.kind === 'create' ? op.base?.fields : undefined;
  if (row !== undefined && listed) return putListedFields(row, op.patch ?? {}, Object.keys(listed));
  return applyOp(row, op);
}
