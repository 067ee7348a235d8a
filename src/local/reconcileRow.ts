import { stripMeta } from '../core/json/rowChecksum';
import { jsonEqual } from '../core/json/jsonEqual';
import type { JsonObject } from '../core/json/types';
import type { BaseValue } from '../core/outbox/types';
import { mergeField } from '../core/conflict/fieldRules';
import { applyQueuedOp } from '../core/outbox/applyOp';
import type { ConflictPolicy } from '../core/conflict/types';
import type { WireRow } from '../protocol/schemas';
import type { LocalRow, OutboxEntry, Tombstone } from './types';

/** What to write for one row after a server row arrived: undefined = leave as is, null = remove. */
export interface Reconciled {
  row: LocalRow | null | undefined;
  tomb: Tombstone | null | undefined;
  /** True when local unsent ops were re-applied over the server row. */
  rebased: boolean;
  /** Unsent ops whose base values were brought up to the server row they now apply to. */
  ops?: OutboxEntry[];
}

/**
 * Where a server row comes from: a `pull` page, or the answer to our own push (`ack`). On an ack the row
 * is the outcome of our op, so it replaces what we show even at the version we already have: a server that
 * resolved a conflict in its own favour keeps its version, and our losing edit must go.
 */
export type ReconcileMode = 'pull' | 'ack';

/** How reconcileRow works. */
export interface ReconcileOptions {
  now: number;
  mode?: ReconcileMode;
  /** The table's conflict policy as the app declared it to the engine: merge rules apply when rebasing. */
  policy?: ConflictPolicy;
}

const UNCHANGED: Reconciled = { row: undefined, tomb: undefined, rebased: false };

function dataOf(row: WireRow): JsonObject {
  return stripMeta(row) as JsonObject;
}

/**
 * Merges a server row into the local state of that row, given the row's remaining outbox ops:
 * - an older version than ours changes nothing (pages may be applied twice), nor does the same version
 *   on a pull;
 * - no ops left: the server row replaces the local one (a tombstone deletes it, leaving a local tombstone
 *   with its version, which a later re-creation of the id is based on);
 * - ops left: rebase — re-apply them over the server row; the server judges each op against what it did
 *   not see when it arrives. Each op never sent has its base values brought to the values it now applies to (its base
 *   version stays: the changes it did not see when it was written still count as unseen), and a field
 *   with a merge rule (`counter`, `union`, `max`...) in the declared `field-merge` policy takes the merge of
 *   both sides, in the row and in the op: a counter shows both increments, and the server, merging again
 *   against the new base, counts each once.
 */
export function reconcileRow(
  table: string,
  local: LocalRow | undefined,
  tomb: Tombstone | undefined,
  server: WireRow,
  ops: readonly OutboxEntry[],
  options: ReconcileOptions,
): Reconciled {
  const { now, mode = 'pull' } = options;
  const mine = local ?? tomb;
  if (mine && mine._v > 0 && (mode === 'ack' ? mine._v > server._v : mine._v >= server._v)) return UNCHANGED;
  if (ops.length === 0 || !mine) {
    if (!server._deleted) return { row: { ...dataOf(server), id: server.id, _v: server._v } as LocalRow, tomb: tomb ? null : undefined, rebased: false };
    if (!mine) return UNCHANGED;
    return { row: local ? null : undefined, tomb: { table, id: server.id, _v: server._v, deletedAt: tomb?.deletedAt ?? now }, rebased: false };
  }
  let data: JsonObject | undefined = server._deleted ? undefined : dataOf(server);
  const refreshed: OutboxEntry[] = [];
  for (const op of ops) {
    // Only an op never sent: one that was sent may already be in the server row (its answer lost), and
    // merging it in again would count it twice; it keeps its base and is judged on arrival.
    const rebasedOp = op.state === 'pending' && op.attempts === 0 ? rebaseOp(op, data, options.policy) : undefined;
    if (rebasedOp) refreshed.push(rebasedOp);
    const applied = rebasedOp ?? op;
    if (applied.kind === 'create') data = applyQueuedOp(data, applied);
    else if (op.kind === 'delete') data = undefined;
    // An edit of a row the server deleted concurrently: keep our edit locally; the server's policy decides.
    else data = data ? { ...data, ...applied.patch } : local ? (stripMeta(local) as JsonObject) : undefined;
  }
  const changedOps = refreshed.length ? { ops: refreshed } : {};
  if (data === undefined)
    return { row: local ? null : undefined, tomb: { table, id: server.id, _v: server._v, deletedAt: tomb?.deletedAt ?? now }, rebased: true, ...changedOps };
  return { row: { ...data, id: server.id, _v: server._v } as LocalRow, tomb: tomb ? null : undefined, rebased: true, ...changedOps };
}

// The op re-based onto `data` (the row it now applies to), or undefined when nothing changes: its base
// values become those of `data`, and fields with a merge rule take the merge of the op's value and data's.
function rebaseOp(op: OutboxEntry, data: JsonObject | undefined, policy: ConflictPolicy | undefined): OutboxEntry | undefined {
  const fields = op.base?.fields;
  if (!fields || op.kind === 'delete') return undefined;
  const base: Record<string, BaseValue> = {};
  const patch: JsonObject = { ...op.patch };
  let changed = false;
  for (const [field, before] of Object.entries(fields)) {
    const now: BaseValue = data && field in data ? [data[field]!] : [];
    base[field] = now;
    if (sameBase(now, before)) continue;
    changed = true;
    const rule = policy?.strategy === 'field-merge' ? (policy.fields?.[field] ?? policy.default) : undefined;
    if (rule === undefined || rule === 'lww' || typeof rule === 'function' || !(field in patch) || now.length === 0) continue;
    const input = { table: op.table, rowId: op.rowId, client: { row: patch, at: op.at, deviceId: '' }, server: { row: data!, at: 0, deviceId: '' } };
    const merged = mergeField(rule, { field, base: before[0], client: patch[field], server: now[0], lwwWinner: 'client', input });
    if (merged === undefined) delete patch[field];
    else patch[field] = merged;
  }
  if (!changed) return undefined;
  const row = op.row ? { ...op.row, ...patch } : undefined;
  return { ...op, patch, ...(row ? { row } : {}), base: { ...op.base!, fields: base } };
}

function sameBase(a: BaseValue, b: BaseValue): boolean {
  return a.length === b.length && (a.length === 0 || jsonEqual(a[0], b[0]));
}
