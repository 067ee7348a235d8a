import type { JsonObject, JsonValue } from '../../src/core/json/types';

/** A field a write removed (a put without it). */
export const ABSENT = Symbol('absent');

/** One user write, as the fuzzer recorded it the moment it was made. */
export interface Write {
  /** Global order of the writes (ties of time and device are broken by it: one device's writes are sequential). */
  seq: number;
  device: string;
  table: string;
  rowId: string;
  kind: 'put' | 'update' | 'delete';
  /** The write's own time (the op's time for each written field; the same for all of one write). */
  at: number;
  /** What the user changed: the fields it wrote, with their new values (ABSENT: removed). */
  fields: Record<string, JsonValue | typeof ABSENT>;
  /** The whole row on the writer's device right after the write (null: deleted) — its version of the row. */
  rowAfter: JsonObject | null;
  /** For merge tables: what the user meant to do to each field. */
  intent?: { added?: string[]; removed?: string[]; increment?: number; raisedTo?: number };
}

/** The policies the oracle knows, as the fuzzer's tables use them. */
export type OraclePolicy = 'field-merge' | 'last-write-wins' | 'merge-rules';

function later(a: Write, b: Write): boolean {
  if (a.at !== b.at) return a.at > b.at;
  if (a.device !== b.device) return a.device > b.device;
  return a.seq > b.seq;
}

function latest(writes: readonly Write[]): Write | undefined {
  let best: Write | undefined;
  for (const w of writes) if (!best || later(w, best)) best = w;
  return best;
}

/**
 * What the users meant each row to be, from their writes alone, per the policy's documented semantics —
 * never from what the replicas or the server hold:
 * - `field-merge` (default rule lww): a row exists unless its latest write (by write time, then device) is a
 *   delete; each field holds the value of its latest write — a put writes the fields it changed on the
 *   writer's row (every field when the writer had no live row) — and a delete does not erase fields an
 *   edit that wins against it brings back.
 * - `last-write-wins`: the row is the writer's version of the row at the latest write, or gone if that
 *   write is a delete: a concurrent edit of another field is lost.
 * - `merge-rules` (tags: union, count: counter, prio: max, updates only): tags holds every element some
 *   write added and no write removed; count is the initial count plus every increment; prio is the largest
 *   value any write raised it to.
 */
export function intendedRows(policy: OraclePolicy, writes: readonly Write[]): Map<string, JsonObject> {
  const byRow = new Map<string, Write[]>();
  for (const w of writes) byRow.set(w.rowId, [...(byRow.get(w.rowId) ?? []), w]);
  const out = new Map<string, JsonObject>();
  for (const [rowId, rowWrites] of byRow) {
    const last = latest(rowWrites)!;
    if (last.kind === 'delete') continue;
    if (policy === 'last-write-wins') {
      out.set(rowId, { ...last.rowAfter! });
      continue;
    }
    if (policy === 'merge-rules') {
      out.set(rowId, mergeIntent(rowId, rowWrites));
      continue;
    }
    const row: JsonObject = { id: rowId };
    const fields = new Set(rowWrites.flatMap((w) => Object.keys(w.fields)));
    for (const field of fields) {
      const w = latest(rowWrites.filter((x) => field in x.fields))!;
      const value = w.fields[field]!;
      if (value !== ABSENT) row[field] = value;
    }
    out.set(rowId, row);
  }
  return out;
}

function mergeIntent(rowId: string, writes: readonly Write[]): JsonObject {
  const first = [...writes].sort((a, b) => a.seq - b.seq)[0]!;
  const start = first.rowAfter ?? {};
  const tags = new Set((start.tags as string[] | undefined) ?? []);
  let count = (start.count as number | undefined) ?? 0;
  let prio = (start.prio as number | undefined) ?? 0;
  const removed = new Set<string>();
  for (const w of writes) {
    if (w === first) continue;
    for (const tag of w.intent?.added ?? []) tags.add(tag);
    for (const tag of w.intent?.removed ?? []) removed.add(tag);
    count += w.intent?.increment ?? 0;
    prio = Math.max(prio, w.intent?.raisedTo ?? prio);
  }
  for (const tag of removed) tags.delete(tag);
  return { id: rowId, tags: [...tags].sort(), count, prio };
}

/** The row with its tags sorted (set semantics: element order is not part of the intent). */
export function normalizeRow(policy: OraclePolicy, row: JsonObject): JsonObject {
  if (policy !== 'merge-rules' || !Array.isArray(row.tags)) return row;
  return { ...row, tags: [...(row.tags as string[])].sort() };
}
