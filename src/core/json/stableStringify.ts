import { ChartsyncError } from '../errors';

/**
 * Deterministic JSON: object keys sorted at every depth, arrays kept in order, `undefined` properties
 * omitted as JSON.stringify does. Two equal values always give the same string, so it can be hashed.
 * Throws INVALID_VALUE for what JSON cannot carry faithfully: NaN, Infinity, bigint, functions, cycles.
 */
export function stableStringify(value: unknown): string {
  return write(value, new Set(), '$');
}

function write(value: unknown, seen: Set<object>, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) {
        throw new ChartsyncError('INVALID_VALUE', `${path} is ${value}, which JSON cannot represent: store a finite number or null.`, { context: { path } });
      }
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new ChartsyncError(
        'INVALID_VALUE',
        `${path} is a ${typeof value}, which JSON cannot represent: store strings, numbers, booleans, null, arrays or plain objects.`,
        { context: { path } },
      );
  }
  const obj = value as object;
  const withToJson = obj as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON(), seen, path);
  if (seen.has(obj)) {
    throw new ChartsyncError('INVALID_VALUE', `${path} refers back to itself: rows must be trees, not cyclic graphs.`, { context: { path } });
  }
  seen.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = `[${obj.map((item, i) => (item === undefined || typeof item === 'function' ? 'null' : write(item, seen, `${path}[${i}]`))).join(',')}]`;
  } else {
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${write(item, seen, `${path}.${key}`)}`);
    }
    out = `{${parts.join(',')}}`;
  }
  seen.delete(obj);
  return out;
}
