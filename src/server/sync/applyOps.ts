import { classifyPush, fieldsChangedSince } from '../../core/conflict/detect';
import { lastWriter } from '../../core/conflict/lastWriter';
import { resolveConflict } from '../../core/conflict/resolveConflict';
import { resolvedClock } from '../../core/conflict/resolvedClock';
import type { ConflictPolicies, ConflictPolicy, ConflictSide } from '../../core/conflict/types';
import { mergeClocks } from '../../core/clock/vectorClock';
import { jsonEqual } from '../../core/json/jsonEqual';
import type { JsonObject } from '../../core/json/types';
import type { PushResult, WireOp, WireRow } from '../../protocol/schemas';
import type { StoredRow } from './types';

/** The policy of tables without one: merge fields, last writer wins where both changed a field. */
export const DEFAULT_POLICY: ConflictPolicy = { strategy: 'field-merge' };

/** What applyOps needs besides the ops and rows. */
export interface ApplyContext {
  policies: ConflictPolicies;
  /** Declared tables; ops of other tables are rejected. Undefined: any table. */
  tables?: readonly string[];
  serverId: string;
  deviceId: string;
  role: string | null;
  /** Hands out the next change sequence number. */
  nextV: () => number;
}

/** The row key of a table and id. */
export function rowKey(tbl: string, id: string): string {
  return `${tbl}\u0000${id}`;
}

/** A stored row as it travels: data plus `_v`, `_clock`, `_deleted`. */
export function toWireRow(row: StoredRow): WireRow {
  return { ...(row.deleted ? {} : row.data), id: row.id, _v: row.v, _clock: row.clock, _deleted: row.deleted } as WireRow;
}

/**
 * Applies a batch of ops, in order, to the rows they touch (`rows`, by rowKey; changed in place) — the
 * algorithm of DESIGN.md "Detection, precisely": an op whose clock dominates the stored one fast-forwards;
 * one the stored clock dominates is stale (answered with the current row, nothing changes); concurrent ones
 * are resolved by the table's policy (manual: answered `conflict`, nothing changes). Pure: no I/O.
 * Returns one result per op and the keys of the rows that changed.
 */
export function applyOps(ops: readonly WireOp[], rows: Map<string, StoredRow>, ctx: ApplyContext): { results: PushResult[]; changed: Set<string> } {
  const results: PushResult[] = [];
  const changed = new Set<string>();
  for (const op of ops) {
    const key = rowKey(op.table, op.rowId);
    if (ctx.tables && !ctx.tables.includes(op.table)) {
      results.push({ opId: op.opId, status: 'rejected', reason: `UNKNOWN_TABLE: table "${op.table}" is not declared on this server (declared: ${ctx.tables.join(', ')})` });
      continue;
    }
    const stored = rows.get(key);
    const outcome = stored ? applyToExisting(op, stored, ctx) : applyToMissing(op, ctx);
    if (outcome.row && outcome.row !== stored) {
      rows.set(key, outcome.row);
      changed.add(key);
    }
    const current = rows.get(key);
    results.push({ opId: op.opId, status: outcome.status, ...(current ? { row: toWireRow(current) } : {}), ...(outcome.reason ? { reason: outcome.reason } : {}) });
  }
  return { results, changed };
}

type Outcome = { status: PushResult['status']; row?: StoredRow; reason?: string };

function applyToMissing(op: WireOp, ctx: ApplyContext): Outcome {
  if (op.kind === 'update') return { status: 'rejected', reason: `ROW_NOT_FOUND: ${op.table}/${op.rowId} does not exist on the server; put the whole row to create it` };
  if (op.kind === 'delete') return { status: 'applied' };
  const v = ctx.nextV();
  const data = { ...op.patch, id: op.rowId } as JsonObject;
  return { status: 'applied', row: { tbl: op.table, id: op.rowId, data, v, clock: op.clock, fv: fieldVersions({}, {}, data, v), deleted: false, at: op.at, device: ctx.deviceId, role: ctx.role } };
}

function applyToExisting(op: WireOp, stored: StoredRow, ctx: ApplyContext): Outcome {
  switch (classifyPush(op.clock, stored.clock)) {
    case 'stale':
      return { status: 'applied', reason: 'stale: the server already has a newer version' };
    case 'fast-forward':
      return { status: 'applied', row: write(stored, opResult(op, stored), mergeClocks(stored.clock, op.clock), op.at, ctx) };
    case 'conflict':
      return resolve(op, stored, ctx);
  }
}

// The row data the op alone would produce (undefined: deleted).
function opResult(op: WireOp, stored: StoredRow): JsonObject | undefined {
  if (op.kind === 'delete') return undefined;
  if (op.kind === 'create') return { ...op.patch, id: op.rowId } as JsonObject;
  return { ...(stored.deleted ? { id: op.rowId } : stored.data), ...op.patch } as JsonObject;
}

function write(stored: StoredRow, data: JsonObject | undefined, clock: StoredRow['clock'], at: number, ctx: ApplyContext): StoredRow {
  const v = ctx.nextV();
  const next = data ?? { id: stored.id };
  return { ...stored, data: next, v, clock, fv: fieldVersions(stored.fv, stored.deleted ? {} : stored.data, data ?? {}, v), deleted: data === undefined, at: Math.max(at, stored.at), device: ctx.deviceId, role: ctx.role };
}

function fieldVersions(fv: Record<string, number>, before: JsonObject, after: JsonObject, v: number): Record<string, number> {
  const out = { ...fv };
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) if (!jsonEqual(before[field], after[field])) out[field] = v;
  return out;
}

function resolve(op: WireOp, stored: StoredRow, ctx: ApplyContext): Outcome {
  const policy = ctx.policies[op.table] ?? DEFAULT_POLICY;
  const mine = opResult(op, stored);
  const client: ConflictSide = { row: mine ?? {}, clock: op.clock, at: op.at, deviceId: ctx.deviceId, ...(ctx.role ? { role: ctx.role } : {}) };
  const server: ConflictSide = { row: stored.deleted ? {} : stored.data, clock: stored.clock, at: stored.at, deviceId: stored.device, ...(stored.role ? { role: stored.role } : {}) };
  const clock = resolvedClock(stored.clock, op.clock, ctx.serverId);

  // A deletion against an edit: no fields to merge, so the row is decided whole.
  if (mine === undefined || stored.deleted) {
    if (policy.strategy === 'manual') return { status: 'conflict', reason: 'manual: resolve it in the app' };
    const clientWins = policy.strategy === 'client-wins' || (policy.strategy !== 'server-wins' && lastWriter(client, server) === 'client');
    if (!clientWins) return { status: 'applied', reason: `resolved by ${policy.strategy}: the server's version stays` };
    return { status: 'applied', row: write(stored, mine, clock, op.at, ctx), reason: `resolved by ${policy.strategy}` };
  }

  const changedClient = op.kind === 'update' ? Object.keys(op.patch) : [...new Set([...Object.keys(mine), ...Object.keys(stored.data)])];
  const resolution = resolveConflict(policy, {
    table: op.table,
    rowId: op.rowId,
    base: { clock: op.base?.clock ?? {} },
    client: { ...client, changed: changedClient },
    server: { ...server, changed: fieldsChangedSince(stored.fv, op.base?.v ?? 0) },
  });
  if (resolution.outcome === 'manual') return { status: 'conflict', reason: 'manual: resolve it in the app' };
  const data = { ...resolution.row, id: op.rowId } as JsonObject;
  if (jsonEqual(data, stored.data)) return { status: 'applied', reason: `resolved by ${policy.strategy}: the server's version stays` };
  return { status: 'applied', row: write(stored, data, clock, op.at, ctx), reason: `resolved by ${policy.strategy} (${resolution.winner})` };
}
