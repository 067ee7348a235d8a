import { ChartsyncError } from '../core/errors';
import { stableStringify } from '../core/json/stableStringify';
import type { JsonObject } from '../core/json/types';
import { findJsonProblem, isReservedFieldName, MAX_JSON_DEPTH } from '../protocol/jsonSafety';

// Metadata a row read from the store carries; a caller may hand such a row back, and it is ignored.
const KNOWN_META = new Set(['_v', '_clock', '_deleted', '_fv', '_op']);
const MAX_ID_LENGTH = 256;

/** Throws INVALID_ROW unless `id` is a usable row id. */
export function assertRowId(table: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new ChartsyncError(
      'INVALID_ROW',
      `A row of "${table}" needs a string id of 1 to ${MAX_ID_LENGTH} characters, got ${JSON.stringify(id) ?? String(id)}: generate one with newId().`,
      { context: { table } },
    );
  }
}

/**
 * The app data of a row or patch: known sync metadata dropped, other `_` fields refused (reserved), and
 * the value checked to be JSON. Throws INVALID_ROW naming the bad field.
 */
export function appData(table: string, value: unknown, what: 'row' | 'patch'): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ChartsyncError('INVALID_ROW', `A ${what} of "${table}" must be a plain object, got ${Array.isArray(value) ? 'an array' : String(value)}.`, {
      context: { table },
    });
  }
  const out: JsonObject = {};
  for (const [key, field] of Object.entries(value)) {
    if (key.startsWith('_')) {
      if (KNOWN_META.has(key)) continue;
      throw new ChartsyncError('INVALID_ROW', `Field "${key}" of a ${what} of "${table}" starts with _, which is reserved for sync metadata: rename it.`, {
        context: { table, field: key },
      });
    }
    if (isReservedFieldName(key)) {
      throw new ChartsyncError('INVALID_ROW', `Field "${key}" of a ${what} of "${table}" is reserved (every JavaScript object has a "${key}"): rename it.`, {
        context: { table, field: key },
      });
    }
    if (field === undefined) continue;
    out[key] = field as JsonObject[string];
  }
  // What no server can store is refused here, at the write, not dead-lettered later.
  const problem = findJsonProblem(out, { maxDepth: MAX_JSON_DEPTH });
  if (problem)
    throw new ChartsyncError('INVALID_ROW', `A ${what} of "${table}" is not storable: ${problem.path}: ${problem.message}.`, {
      context: { table, path: problem.path },
    });
  try {
    stableStringify(out);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ChartsyncError('INVALID_ROW', `A ${what} of "${table}" is not storable: ${message.replace('$', what)}`, { cause, context: { table } });
  }
  return out;
}
