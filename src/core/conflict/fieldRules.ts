import { ChartsyncError } from '../errors';
import { jsonEqual } from '../json/jsonEqual';
import { stableStringify } from '../json/stableStringify';
import type { JsonObject, JsonValue } from '../json/types';
import type { FieldMergeContext, FieldRule } from './types';

type Value = JsonValue | undefined;

/** The name of a rule, for the audit trail. */
export function ruleName(rule: FieldRule): string {
  if (typeof rule === 'string') return rule;
  if (typeof rule === 'function') return 'custom';
  return rule.rule;
}

/**
 * Merges one field both sides changed to different values. Every built-in rule is symmetric: it gives the
 * same value whichever side is called client, so every replica converges. A rule that does not fit the
 * values' types (say `max` on two objects) falls back to last-write-wins.
 */
export function mergeField(rule: FieldRule, ctx: FieldMergeContext): Value {
  if (typeof rule === 'function') return rule(ctx);
  const name = ruleName(rule);
  const lww = ctx.lwwWinner === 'client' ? ctx.client : ctx.server;
  switch (name) {
    case 'lww':
      return lww;
    case 'max':
    case 'min':
      return extreme(name, ctx.client, ctx.server) ?? lww;
    case 'or':
      return typeof ctx.client === 'boolean' || typeof ctx.server === 'boolean' ? ctx.client === true || ctx.server === true : lww;
    case 'union':
      return Array.isArray(ctx.client) && Array.isArray(ctx.server) ? union(ctx, typeof rule === 'object' && 'by' in rule ? rule.by : undefined) : lww;
    case 'concat':
      return typeof ctx.client === 'string' && typeof ctx.server === 'string'
        ? concat(ctx, ctx.client, ctx.server, typeof rule === 'object' && 'separator' in rule ? (rule.separator ?? '\n') : '\n')
        : lww;
    case 'counter':
      return counter(ctx) ?? lww;
    case 'deep':
      return deep(ctx.base, ctx.client, ctx.server, ctx.lwwWinner);
    default:
      throw new ChartsyncError(
        'INVALID_POLICY',
        `Unknown field rule "${name}" for field "${ctx.field}": use lww, max, min, or, union, concat, counter, deep or a function.`,
        { context: { field: ctx.field } },
      );
  }
}

function extreme(name: 'max' | 'min', a: Value, b: Value): Value {
  const comparable = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return undefined;
  const aWins = name === 'max' ? a! > b! : a! < b!;
  return aWins ? a : b;
}

function elementKey(value: JsonValue, by: string | undefined): string {
  if (by !== undefined && typeof value === 'object' && value !== null && !Array.isArray(value) && by in value) {
    return stableStringify(value[by]);
  }
  return stableStringify(value);
}

// Three-way set merge: an element removed by either side stays removed, one added by either side is
// added. Order: the last writer's array first, then the other side's additions — symmetric by design.
function union(ctx: FieldMergeContext, by: string | undefined): JsonValue[] {
  const client = ctx.client as JsonValue[];
  const server = ctx.server as JsonValue[];
  const baseKeys = Array.isArray(ctx.base) ? new Set(ctx.base.map((v) => elementKey(v, by))) : undefined;
  const clientKeys = new Set(client.map((v) => elementKey(v, by)));
  const serverKeys = new Set(server.map((v) => elementKey(v, by)));
  const keep = (key: string): boolean => (baseKeys?.has(key) ? clientKeys.has(key) && serverKeys.has(key) : true);
  const [first, second] = ctx.lwwWinner === 'client' ? [client, server] : [server, client];
  const out: JsonValue[] = [];
  const seen = new Set<string>();
  for (const value of [...first, ...second]) {
    const key = elementKey(value, by);
    if (seen.has(key) || !keep(key)) continue;
    seen.add(key);
    out.push(value);
  }
  return out;
}

// Append-only text: when both sides extended the base, keep the base once and append both extensions,
// the earlier writer's first; otherwise join the two texts with the separator, earlier first.
function concat(ctx: FieldMergeContext, client: string, server: string, separator: string): string {
  const [earlier, later] = ctx.lwwWinner === 'client' ? [server, client] : [client, server];
  const base = typeof ctx.base === 'string' ? ctx.base : undefined;
  if (base && earlier.startsWith(base) && later.startsWith(base)) {
    return base + earlier.slice(base.length) + later.slice(base.length);
  }
  return earlier + separator + later;
}

/** A PN-counter: increments and decrements per device; its value is Σp − Σn. */
export interface PNCounter {
  p: Record<string, number>;
  n: Record<string, number>;
}

/** True when `value` is a PN-counter object. */
export function isPNCounter(value: unknown): value is PNCounter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { p, n } = value as Record<string, unknown>;
  const isCounts = (x: unknown): boolean =>
    typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every((c) => typeof c === 'number' && c >= 0);
  return isCounts(p) && isCounts(n) && Object.keys(value).length === 2;
}

/** The current value of a PN-counter. */
export function counterValue(counter: PNCounter): number {
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  return sum(counter.p) - sum(counter.n);
}

/** The counter after `device` adds `delta` (negative to subtract). */
export function counterAdd(counter: PNCounter, device: string, delta: number): PNCounter {
  const side = delta >= 0 ? 'p' : 'n';
  const next = { p: { ...counter.p }, n: { ...counter.n } };
  next[side][device] = (next[side][device] ?? 0) + Math.abs(delta);
  return next;
}

// PN-counters merge by per-device maximum (a CRDT: no base needed). Plain numbers merge by summing both
// sides' deltas from the base, which needs the base; without one there is nothing sound to do.
function counter(ctx: FieldMergeContext): Value {
  const { client, server, base } = ctx;
  if (isPNCounter(client) && isPNCounter(server)) {
    const maxMerge = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
      const out: Record<string, number> = { ...a };
      for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
      return out;
    };
    return { p: maxMerge(client.p, server.p), n: maxMerge(client.n, server.n) } satisfies JsonObject;
  }
  if (typeof client === 'number' && typeof server === 'number' && typeof base === 'number') {
    return base + (client - base) + (server - base);
  }
  return undefined;
}

// Nested objects merge key by key, three-way against the base; a key both sides changed differently
// recurses when both are objects and otherwise goes to the last writer.
function deep(base: Value, client: Value, server: Value, lwwWinner: 'client' | 'server'): Value {
  const isObject = (v: Value): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(client) || !isObject(server)) return lwwWinner === 'client' ? client : server;
  const b = isObject(base) ? base : {};
  const out: JsonObject = {};
  for (const key of [...new Set([...Object.keys(client), ...Object.keys(server)])].sort()) {
    const c = client[key];
    const s = server[key];
    const cChanged = !jsonEqual(c, b[key]);
    const sChanged = !jsonEqual(s, b[key]);
    let value: Value;
    if (jsonEqual(c, s) || !cChanged) value = s;
    else if (!sChanged) value = c;
    else value = deep(b[key], c, s, lwwWinner);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
