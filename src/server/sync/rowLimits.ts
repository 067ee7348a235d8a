import { PUT_STAMP, ROW_STAMP } from '../../core/conflict/detect';
import type { ApplyContext } from './applyOps';
import type { StoredRow } from './types';

/**
 * Why the row an op makes is too large, or null. Each op's patch is checked on arrival; what it makes of
 * the row (merged with everything before) is checked here, so successive small updates cannot grow a row
 * past the limits. A row already past them (the limits were lowered) may still shrink, and be deleted.
 */
export function oversize(row: StoredRow, before: StoredRow | undefined, ctx: ApplyContext): string | null {
  if (row.deleted) return null;
  const fieldCount = (r: StoredRow) => Object.keys(r.stamps).filter((f) => f !== ROW_STAMP && f !== PUT_STAMP).length;
  const fields = fieldCount(row);
  if (ctx.maxFields !== undefined && fields > ctx.maxFields && fields > (before ? fieldCount(before) : 0)) {
    return `would have ${fields} fields (removed ones count: their stamps stay); rows are limited to ${ctx.maxFields} fields`;
  }
  if (ctx.maxRowBytes === undefined) return null;
  const bytes = Buffer.byteLength(JSON.stringify(row.data));
  if (bytes <= ctx.maxRowBytes || (before && !before.deleted && bytes <= Buffer.byteLength(JSON.stringify(before.data)))) return null;
  return `would be ${bytes} bytes once merged; rows are limited to ${ctx.maxRowBytes} bytes`;
}
