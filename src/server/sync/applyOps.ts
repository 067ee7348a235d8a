import { changedByOthers, fieldStamp, PUT_STAMP, ROW_STAMP, writesOf, type FieldStamp, type RowStamps } from '../../core/conflict/detect';
import { lastWriter } from '../../core/conflict/lastWriter';
import { putListedFields } from '../../core/outbox/applyOp';
import { resolveConflict } from '../../core/conflict/resolveConflict';
import type { ConflictInput, ConflictPolicies, ConflictPolicy, ConflictSide, ConflictSideName } from '../../core/conflict/types';
import { jsonEqual } from '../../core/json/jsonEqual';
import type { JsonObject, JsonValue } from '../../core/json/types';
import { fieldTime } from '../../core/outbox/types';
import type { PushResult, WireChange, WireOp } from '../../protocol/schemas';
import { oversize } from './rowLimits';
import type { StoredRow } from './types';

/** The policy of tables without one: merge fields, the later write of a field wins where both changed it. */
export const DEFAULT_POLICY: ConflictPolicy = { strategy: 'field-merge' };

/** What applyOps needs besides the ops and rows. */
export interface ApplyContext {
  policies: ConflictPolicies;
  /** Declared tables; ops of other tables are rejected. Undefined: any table. */
  tables?: readonly string[];
  /** This server's name as the writer of merged values. */
  serverId: string;
  deviceId: string;
  role: string | null;
  /** Hands out the next change sequence number. */
  nextV: () => number;
  /** Largest row (its data as JSON), bytes: an op that would make a larger one is rejected. */
  maxRowBytes?: number;
  /** Most fields a row may have or have had (stamps): an op that would pass it is rejected. */
  maxFields?: number;
}

/** The verdict on one op, before it is remembered. */
export type OpOutcome = Pick<PushResult, 'opId' | 'status' | 'reason'>;

/** The row key of a table and id. */
export function rowKey(tbl: string, id: string): string {
  return `${tbl}\u0000${id}`;
}

/** A stored row as it travels: data plus `_v` and `_deleted` (a deleted row's data stays on the server). */
export function toWireChange(row: StoredRow): WireChange {
  return { table: row.tbl, row: { ...(row.deleted ? {} : row.data), id: row.id, _v: row.v, _deleted: row.deleted } as WireChange['row'] };
}

/**
 * Applies a batch of ops, in order, to the rows they touch (`rows`, by rowKey; changed in place). For each
 * op: the changes by other devices since its base version (changedByOthers) decide. None → fast-forward:
 * apply it. Some → a conflict, resolved by the table's policy (manual: answered `conflict`, nothing
 * changes). Pure: no I/O. Returns one outcome per op and the keys of the rows that changed.
 */
export function applyOps(ops: readonly WireOp[], rows: Map<string, StoredRow>, ctx: ApplyContext): { results: OpOutcome[]; changed: Set<string> } {
  const results: OpOutcome[] = [];
  const changed = new Set<string>();
  for (const op of ops) {
    if (ctx.tables && !ctx.tables.includes(op.table)) {
      results.push({
        opId: op.opId,
        status: 'rejected',
        reason: `UNKNOWN_TABLE: table "${op.table}" is not declared on this server (declared: ${ctx.tables.join(', ')})`,
      });
      continue;
    }
    const key = rowKey(op.table, op.rowId);
    const stored = rows.get(key);
    const outcome = stored ? applyToExisting(op, stored, ctx) : applyToMissing(op, ctx);
    const tooLarge = outcome.row && oversize(outcome.row, stored, ctx);
    if (tooLarge) {
      results.push({ opId: op.opId, status: 'rejected', reason: `ROW_TOO_LARGE: ${op.table}/${op.rowId} ${tooLarge}; the row is unchanged` });
      continue;
    }
    if (outcome.row) {
      rows.set(key, outcome.row);
      changed.add(key);
    }
    results.push({ opId: op.opId, status: outcome.status, ...(outcome.reason ? { reason: outcome.reason } : {}) });
  }
  return { results, changed };
}

type Outcome = { status: PushResult['status']; row?: StoredRow; reason?: string };

function applyToMissing(op: WireOp, ctx: ApplyContext): Outcome {
  if (op.kind === 'update')
    return { status: 'rejected', reason: `ROW_NOT_FOUND: ${op.table}/${op.rowId} does not exist on the server; put the whole row to create it` };
  const empty: StoredRow = {
    tbl: op.table,
    id: op.rowId,
    data: { id: op.rowId },
    v: 0,
    stamps: {},
    deleted: true,
    at: 0,
    device: ctx.deviceId,
    role: ctx.role,
  };
  // A delete of a row the server never had still leaves a tombstone: a create of the same id by a device
  // that did not see this delete is then judged against it, not applied as if it never happened.
  return { status: 'applied', row: fastForward(op, empty, ctx) };
}

function applyToExisting(op: WireOp, stored: StoredRow, ctx: ApplyContext): Outcome {
  const unseen = changedByOthers(stored.stamps, op.base?.v ?? 0, ctx.deviceId);
  if (unseen.length === 0) {
    if (op.kind === 'delete' && stored.deleted) return deleteAgain(op, stored, ctx);
    return { status: 'applied', row: fastForward(op, stored, ctx, forwardResult(op, stored)) };
  }
  return resolve(op, stored, unseen, ctx);
}

// The row a fast-forwarded op makes. A put that lists the fields it changes (its device had the row)
// changes those alone: the rest of it is the device's copy, which lacks what another device wrote when a
// pulled row met the put unsent, and must not remove it.
function forwardResult(op: WireOp, stored: StoredRow): JsonObject | undefined {
  if (op.kind !== 'create' || stored.deleted || !op.base?.fields) return opResult(op, stored);
  return { ...putListedFields(stored.data, op.patch, Object.keys(op.base.fields)), id: op.rowId };
}

// A delete of a row already deleted changes nothing — unless it is the later deletion: the row's deletion
// then takes its time (a new version), so a write made before it that arrives after it is judged against
// it and loses under last-write-wins, as the users' order says.
function deleteAgain(op: WireOp, stored: StoredRow, ctx: ApplyContext): Outcome {
  const current = stored.stamps[ROW_STAMP];
  const later = !current || op.at > current[2] || (op.at === current[2] && ctx.deviceId > current[1]);
  if (!later) return { status: 'applied', reason: 'already deleted' };
  const v = ctx.nextV();
  return {
    status: 'applied',
    reason: 'already deleted',
    row: written(stored, undefined, { ...stored.stamps, [ROW_STAMP]: [v, ctx.deviceId, op.at] }, v, op.at, ctx),
  };
}

// The fields an op writes: an update its patch; a put its changes against its base, or every field when
// it never saw the row (it replaces whatever is there).
function writtenFields(op: WireOp, stored: StoredRow): string[] {
  if (op.kind === 'delete') return [];
  if (op.kind === 'update') return Object.keys(op.patch);
  if (op.base?.fields) return Object.keys(op.base.fields);
  // Every field the row has or had (a stamp), and those with a time of their own (written after the put,
  // and maybe gone from it since).
  const stamped = Object.keys(stored.stamps).filter((f) => f !== ROW_STAMP && f !== PUT_STAMP);
  return [...new Set([...Object.keys(op.patch), ...Object.keys(stored.data), ...stamped, ...Object.keys(op.fieldAt ?? {})])].filter((f) => f !== 'id');
}

// The row the op alone makes of the stored one (undefined: deleted). An update of a deleted row brings it
// back with its last data.
function opResult(op: WireOp, stored: StoredRow): JsonObject | undefined {
  if (op.kind === 'delete') return undefined;
  if (op.kind === 'create') return { ...op.patch, id: op.rowId };
  return { ...stored.data, ...op.patch, id: op.rowId };
}

// Applies the op as it is (or, for a whole-row policy's winning edit, the writer's version of the row).
function fastForward(op: WireOp, stored: StoredRow, ctx: ApplyContext, data: JsonObject | undefined = opResult(op, stored)): StoredRow {
  const v = ctx.nextV();
  const stamps: RowStamps = { ...stored.stamps };
  const stamp = (at: number): FieldStamp => (op.writes && op.writes > 1 ? [v, ctx.deviceId, at, op.writes] : [v, ctx.deviceId, at]);
  if (op.kind === 'create' && !op.base?.fields && data) {
    // A whole-row put writes every field: those it has, and the removal of all others (any field, even
    // one only a concurrent write will bring). Its own stamp stands for the fields it does not have.
    for (const field of Object.keys(stamps)) if (field !== ROW_STAMP && !(field in data)) delete stamps[field];
    stamps[PUT_STAMP] = stamp(op.putAt ?? op.at);
  }
  // A field a whole-row put does not have is covered by its put stamp — unless it was removed later than
  // the put (it has a time of its own), which its own stamp must then say.
  for (const field of writtenFields(op, stored)) {
    if (op.kind === 'create' && !op.base?.fields && data && !(field in data) && op.fieldAt?.[field] === undefined) continue;
    stamps[field] = stamp(fieldTime(op, field));
  }
  if ((data === undefined) !== stored.deleted) stamps[ROW_STAMP] = stamp(op.kind === 'create' ? (op.putAt ?? op.at) : op.at);
  return written(stored, data, stamps, v, op.at, ctx);
}

// The row after a write. Its `at`, `device` and `role` stay those of its latest write (by time, then
// device): a write that arrives late with an older time does not become the row's last writer.
function written(stored: StoredRow, data: JsonObject | undefined, stamps: RowStamps, v: number, at: number, ctx: ApplyContext): StoredRow {
  const latest = at > stored.at || (at === stored.at && ctx.deviceId > stored.device);
  return { ...stored, data: data ?? stored.data, v, stamps, deleted: data === undefined, ...(latest ? { at, device: ctx.deviceId, role: ctx.role } : {}) };
}

function resolve(op: WireOp, stored: StoredRow, unseen: readonly string[], ctx: ApplyContext): Outcome {
  const policy = ctx.policies[op.table] ?? DEFAULT_POLICY;
  const mine = opResult(op, stored);
  // The writer's version of the row: what whole-row policies put in place when the client wins.
  const version = op.kind === 'update' && op.row ? { ...op.row, id: op.rowId } : mine;
  const clientWrote = new Set(writtenFields(op, stored));
  const baseRow = baseValues(op);
  // Fields another writer changed since the base: by a stamp of their own, or by a whole-row put.
  const baseV = op.base?.v ?? 0;
  const candidates = new Set([...clientWrote, ...Object.keys(stored.stamps), ...Object.keys(stored.data)]);
  const serverWrote = [...candidates].filter((f) => {
    if (f === ROW_STAMP || f === PUT_STAMP || f === 'id') return false;
    const s = fieldStamp(stored.stamps, f);
    return s !== undefined && s[0] > baseV && s[1] !== ctx.deviceId;
  });
  const serverStamp = (f: string) => fieldStamp(stored.stamps, f)!;
  const client: ConflictSide = {
    row: version ?? {},
    changed: [...clientWrote],
    at: op.at,
    deviceId: ctx.deviceId,
    fieldAt: Object.fromEntries([...clientWrote].map((f) => [f, fieldTime(op, f)])),
    writes: op.writes ?? 1,
    ...(ctx.role ? { role: ctx.role } : {}),
  };
  const server: ConflictSide = {
    // A deleted row's last data: what an edit that wins against the delete merges with.
    row: stored.data,
    changed: serverWrote,
    at: stored.at,
    deviceId: stored.device,
    fieldAt: Object.fromEntries(serverWrote.map((f) => [f, serverStamp(f)[2]])),
    fieldDevice: Object.fromEntries(serverWrote.map((f) => [f, serverStamp(f)[1]])),
    writes: writesOf(stored.stamps, unseen),
    ...(stored.role ? { role: stored.role } : {}),
  };

  // A deletion against an edit: whether the row exists is decided whole. A winning delete deletes; a
  // winning edit brings the row back — with the writer's version under a whole-row policy, or, under a
  // merging one, merged field by field with the row's last data like any concurrent edit. Under a merging
  // policy an edit that loses to a delete still merges into the deleted row's last data (never sent), so
  // an edit that later brings the row back finds each field's latest value.
  let stayDeleted = false;
  if (mine === undefined || stored.deleted) {
    if (mine === undefined && stored.deleted) return deleteAgain(op, stored, ctx);
    if (policy.strategy === 'manual') return { status: 'conflict', reason: 'manual: resolve it in the app' };
    const merging = policy.strategy === 'field-merge' || policy.strategy === 'custom';
    if (wholeRowWinner(policy, { table: op.table, rowId: op.rowId, client, server }) === 'server') {
      if (mine === undefined || !merging) return { status: 'applied', reason: `resolved by ${policy.strategy}: the server's version stays` };
      stayDeleted = true;
    } else if (mine === undefined || !merging) {
      return { status: 'applied', row: fastForward(op, stored, ctx, mine && version), reason: `resolved by ${policy.strategy}` };
    }
  }

  const resolution = resolveConflict(policy, {
    table: op.table,
    rowId: op.rowId,
    ...(baseRow.known.size ? { base: { row: baseRow.row } } : {}),
    client,
    server,
  });
  if (resolution.outcome === 'manual') return { status: 'conflict', reason: 'manual: resolve it in the app' };
  const data = { ...resolution.row, id: op.rowId } as JsonObject;
  const v = ctx.nextV();
  let stamps = resolvedStamps(stored, data, version!, clientWrote, client, v, ctx.serverId, ctx.deviceId);
  // A whole-row put also wrote every field no one has stamped since (it removed them): when it is the
  // latest such put, its stamp stands for them.
  if (op.kind === 'create' && !op.base?.fields) {
    const putAt = op.putAt ?? op.at;
    const current = stored.stamps[PUT_STAMP];
    if (!current || putAt > current[2] || (putAt === current[2] && ctx.deviceId > current[1]))
      stamps = { ...(stamps ?? stored.stamps), [PUT_STAMP]: [v, ctx.deviceId, putAt] };
  }
  if (stayDeleted) {
    if (stamps === null) return { status: 'applied', reason: `resolved by ${policy.strategy}: the delete stands` };
    return {
      status: 'applied',
      row: { ...stored, data, v, stamps },
      reason: `resolved by ${policy.strategy}: the delete stands; the edit is kept in the deleted row`,
    };
  }
  if (stored.deleted) {
    const next = stamps ?? { ...stored.stamps };
    next[ROW_STAMP] = [v, ctx.deviceId, op.kind === 'create' ? (op.putAt ?? op.at) : op.at];
    return { status: 'applied', row: written(stored, data, next, v, op.at, ctx), reason: `resolved by ${policy.strategy}: the edit brings the row back` };
  }
  if (stamps === null) return { status: 'applied', reason: `resolved by ${policy.strategy}: the server's version stays` };
  return { status: 'applied', row: written(stored, data, stamps, v, op.at, ctx), reason: `resolved by ${policy.strategy} (${resolution.winner})` };
}

function baseValues(op: WireOp): { row: JsonObject; known: Set<string> } {
  const row: JsonObject = {};
  const fields = op.base?.fields ?? {};
  for (const [field, value] of Object.entries(fields)) if (value.length === 1) row[field] = value[0] as JsonValue;
  return { row, known: new Set(Object.keys(fields)) };
}

// Edit against delete, decided whole: the same winner the policy would pick for whole rows.
function wholeRowWinner(policy: ConflictPolicy, input: ConflictInput): ConflictSideName {
  switch (policy.strategy) {
    case 'server-wins':
      return 'server';
    case 'client-wins':
      return 'client';
    case 'role-based':
    case 'version-wins': {
      const winner = resolveConflict(policy, input).winner;
      return winner === 'merged' ? lastWriter(input.client, input.server) : winner;
    }
    default:
      return lastWriter(input.client, input.server);
  }
}

// Stamps after a resolution: a field that took the client's value carries the client's write (when it is
// newer than what the field had), a merged one the server's name and the later of both times. Null when
// neither the data nor any stamp changed.
function resolvedStamps(
  stored: StoredRow,
  data: JsonObject,
  version: JsonObject,
  clientWrote: ReadonlySet<string>,
  client: ConflictSide,
  v: number,
  serverId: string,
  device: string,
): RowStamps | null {
  const stamps: RowStamps = { ...stored.stamps };
  let touched = false;
  for (const field of new Set([...Object.keys(data), ...Object.keys(stored.data), ...clientWrote])) {
    if (field === 'id') continue;
    const before = fieldStamp(stored.stamps, field);
    const clientAt = client.fieldAt?.[field] ?? client.at;
    const fromClient = jsonEqual(data[field], version[field]);
    let next: FieldStamp | undefined;
    if (!jsonEqual(data[field], stored.data[field])) next = fromClient ? [v, device, clientAt] : [v, serverId, Math.max(clientAt, before?.[2] ?? 0)];
    else if (fromClient && clientWrote.has(field) && clientAt > (before?.[2] ?? -1)) next = [v, device, clientAt];
    if (next) {
      stamps[field] = next;
      touched = true;
    }
  }
  return touched ? stamps : null;
}
