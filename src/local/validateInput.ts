import { ChartsyncError } from '../core/errors';
import type { JsonObject } from '../core/json/types';
import { isReservedFieldName, MAX_JSON_DEPTH, unstorableString } from '../protocol/jsonSafety';

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
  const problem = storableProblem(out, [], 0, new Set());
  if (problem) {
    const message = `A ${what} of "${table}" is not storable: ${problem.safety ? `${problem.at}: ${problem.message}.` : `${what}${problem.at} ${problem.message}`}`;
    throw new ChartsyncError('INVALID_ROW', message, { context: { table, path: problem.at } });
  }
  return out;
}

type PathPart = string | number;

/** A value no server can store: where (its path, written out only once found) and why. */
interface StorableProblem {
  at: string;
  message: string;
  /** True for what the wire refuses (jsonSafety), false for what JSON cannot carry (stableStringify). */
  safety: boolean;
}

// The path as jsonSafety writes it (`tags[1]`, `a.b`; "(root)" for a key of the root) or, for a value JSON
// cannot carry, as stableStringify does after its `$` (`.a.b`, `[0]`).
function pathText(parts: readonly PathPart[], safety: boolean, forKey = false): string {
  let out = '';
  for (const part of parts) out += typeof part === 'number' ? `[${part}]` : out || !safety ? `.${part}` : part;
  return forKey && out === '' ? '(root)' : out;
}

/**
 * One walk that checks what findJsonProblem and stableStringify both check (every local write paid for two
 * walks and a whole serialization): storable strings and keys, no `__proto__`, nesting within
 * MAX_JSON_DEPTH, finite numbers, only JSON types (toJSON honoured), no cycles. Paths are written out only
 * for the problem found.
 */
function storableProblem(value: unknown, path: PathPart[], depth: number, seen: Set<object>): StorableProblem | null {
  switch (typeof value) {
    case 'string': {
      const why = unstorableString(value);
      return why ? { at: pathText(path, true), message: `the string ${why}`, safety: true } : null;
    }
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value)
        ? null
        : { at: pathText(path, false), message: `is ${value}, which JSON cannot represent: store a finite number or null.`, safety: false };
    case 'object':
      break;
    default:
      return {
        at: pathText(path, false),
        message: `is a ${typeof value}, which JSON cannot represent: store strings, numbers, booleans, null, arrays or plain objects.`,
        safety: false,
      };
  }
  if (value === null) return null;
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return storableProblem(withToJson.toJSON(), path, depth, seen);
  if (seen.has(value)) return { at: pathText(path, false), message: 'refers back to itself: rows must be trees, not cyclic graphs.', safety: false };
  if (depth >= MAX_JSON_DEPTH) return { at: pathText(path, true), message: `the value is nested deeper than ${MAX_JSON_DEPTH} levels`, safety: true };
  seen.add(value);
  let problem: StorableProblem | null = null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && !problem; i++) {
      const item: unknown = value[i];
      if (item === undefined || typeof item === 'function') continue;
      path.push(i);
      problem = storableProblem(item, path, depth + 1, seen);
      path.pop();
    }
  } else {
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (key === '__proto__') problem = { at: pathText([...path, key], true), message: 'the key "__proto__" is not allowed', safety: true };
      else {
        const why = unstorableString(key);
        if (why) problem = { at: pathText(path, true, true), message: `a key ${why}: ${JSON.stringify(key)}`, safety: true };
        else if (item !== undefined) {
          path.push(key);
          problem = storableProblem(item, path, depth + 1, seen);
          path.pop();
        }
      }
      if (problem) break;
    }
  }
  seen.delete(value);
  return problem;
}
