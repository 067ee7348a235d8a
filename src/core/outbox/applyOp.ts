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
