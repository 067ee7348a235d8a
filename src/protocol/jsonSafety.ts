/** How deep JSON may nest in a request or a row (objects and arrays), on the wire and in the local store. */
export const MAX_JSON_DEPTH = 64;

// Keys every plain object inherits: as field names they read inherited functions where a value is expected.
const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** True for a JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for field names that are `Object.prototype` members (`__proto__`, `constructor`, `toString`…): refused everywhere. */
export function isReservedFieldName(name: string): boolean {
  return RESERVED.has(name);
}

// A NUL, or half of a surrogate pair: PostgreSQL refuses both in text and jsonb.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored, or null when it can. */
export function unstorableString(text: string): string | null {
  const match = UNSTORABLE.exec(text);
  if (!match) return null;
  return match[0] === '\u0000' ? 'contains a NUL (\\u0000) character' : 'contains an unpaired UTF-16 surrogate (not valid Unicode)';
}

/** A problem found in a JSON value, with the path to it (`ops[2].patch.title`). */
export interface JsonProblem {
  path: string;
  message: string;
}

/**
 * The first thing in a parsed JSON value that no sync server can store: nesting deeper than `maxDepth`
 * (counted from `envelope` levels below the root: a push body's rows sit 3 levels deep), a
 * `__proto__` key (JSON.parse keeps it, most code then drops it), a NUL or an unpaired surrogate in a key
 * or string. Walks with an explicit stack, so a hostile depth cannot overflow the call stack.
 */
export function findJsonProblem(value: unknown, { maxDepth = MAX_JSON_DEPTH, envelope = 0, root = '' } = {}): JsonProblem | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: -envelope }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      const why = unstorableString(current);
      if (why) return { path, message: `the string ${why}` };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= maxDepth) return { path, message: `the value is nested deeper than ${maxDepth} levels` };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const keyPath = path ? `${path}.${key}` : key;
      if (key === '__proto__') return { path: keyPath, message: 'the key "__proto__" is not allowed' };
      const why = unstorableString(key);
      if (why) return { path: path || '(root)', message: `a key ${why}: ${JSON.stringify(key)}` };
      stack.push({ value: (current as Record<string, unknown>)[key], path: keyPath, depth: depth + 1 });
    }
  }
  return null;
}
