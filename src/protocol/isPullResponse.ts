import { isPlainObject, unstorableString } from './jsonSafety';
import { DEFAULT_PROTOCOL_LIMITS, EPOCH_PATTERN, TABLE_NAME_PATTERN } from './limits';
import type { PullResponse } from './schemas';

const TOP_KEYS = new Set(['changes', 'cursor', 'epoch', 'hasMore', 'remaining']);

const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * True when `value` is a pull response exactly as `protocolSchemas.pullResponse` accepts it, checked by
 * hand in one pass: a page of thousands of rows is validated in a fraction of zod's time. The transport
 * uses it first and asks checkResponse only for what it refuses, to name the problem. A property test holds
 * it to the zod schema's verdicts.
 */
export function isPullResponse(value: unknown, maxIdLength = DEFAULT_PROTOCOL_LIMITS.maxIdLength): value is PullResponse {
  if (!isPlainObject(value)) return false;
  for (const key in value) if (!TOP_KEYS.has(key)) return false;
  const { changes, cursor, epoch, hasMore, remaining } = value;
  if (typeof cursor !== 'string' || typeof epoch !== 'string' || !EPOCH_PATTERN.test(epoch) || typeof hasMore !== 'boolean') return false;
  if (remaining !== undefined && !isCount(remaining)) return false;
  if (!Array.isArray(changes)) return false;
  for (const change of changes) {
    if (!isPlainObject(change)) return false;
    let keys = 0;
    for (const key in change) {
      if (key !== 'table' && key !== 'row') return false;
      keys += 1;
    }
    const { table, row } = change;
    if (keys !== 2 || typeof table !== 'string' || !TABLE_NAME_PATTERN.test(table) || !isPlainObject(row)) return false;
    const { id, _v, _deleted } = row;
    if (typeof id !== 'string' || id.length === 0 || id.length > maxIdLength || unstorableString(id) !== null) return false;
    if (!isCount(_v) || typeof _deleted !== 'boolean') return false;
  }
  return true;
}
