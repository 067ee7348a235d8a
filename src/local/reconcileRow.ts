import { stripMeta } from '../core/json/rowChecksum';
import type { JsonObject } from '../core/json/types';
import type { WireRow } from '../protocol/schemas';
import type { LocalRow, OutboxEntry, Tombstone } from './types';

/** What to write for one row after a server row arrived: undefined = leave as is, null = remove. */
export interface Reconciled {
  row: LocalRow | null | undefined;
  tomb: Tombstone | null | undefined;
  /** True when local unsent ops were re-applied over the server row. */
  rebased: boolean;
}

/**
 * Where a server row comes from: a `pull` page, or the answer to our own push (`ack`). On an ack the row
 * is the outcome of our op, so it replaces what we show even at the version we already have: a server that
 * resolved a conflict in its own favour keeps its version, and our losing edit must go.
 */
export type ReconcileMode = 'pull' | 'ack';

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
 *   not see when it arrives.
 */
export function reconcileRow(table: string, local: LocalRow | undefined, tomb: Tombstone | undefined, server: WireRow, ops: readonly OutboxEntry[], now: number, mode: ReconcileMode = 'pull'): Reconciled {
  const mine = local ?? tomb;
  if (mine && mine._v > 0 && (mode === 'ack' ? mine._v > server._v : mine._v >= server._v)) return UNCHANGED;
  if (ops.length === 0 || !mine) {
    if (!server._deleted) return { row: { ...dataOf(server), id: server.id, _v: server._v } as LocalRow, tomb: tomb ? null : undefined, rebased: false };
    if (!mine) return UNCHANGED;
    return { row: local ? null : undefined, tomb: { table, id: server.id, _v: server._v, deletedAt: tomb?.deletedAt ?? now }, rebased: false };
  }
  let data: JsonObject | undefined = server._deleted ? undefined : dataOf(server);
  for (const op of ops) {
    if (op.kind === 'create') data = { ...op.patch };
    else if (op.kind === 'delete') data = undefined;
    // An edit of a row the server deleted concurrently: keep our edit locally; the server's policy decides.
    else data = data ? { ...data, ...op.patch } : local ? (stripMeta(local) as JsonObject) : undefined;
  }
  if (data === undefined) return { row: local ? null : undefined, tomb: { table, id: server.id, _v: server._v, deletedAt: tomb?.deletedAt ?? now }, rebased: true };
  return { row: { ...data, id: server.id, _v: server._v } as LocalRow, tomb: tomb ? null : undefined, rebased: true };
}
