import { compareClocks, type VectorClock } from '../core/clock/vectorClock';
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

const UNCHANGED: Reconciled = { row: undefined, tomb: undefined, rebased: false };

function dataOf(row: WireRow): JsonObject {
  return stripMeta(row) as JsonObject;
}

/**
 * Merges a server row into the local state of that row, given the row's remaining outbox ops:
 * - no ops: the server row replaces the local one (a tombstone deletes it);
 * - the server has seen every local write (its clock dominates ours): take the server row;
 * - ours is newer (server clock dominated): keep local data, note the newer version;
 * - concurrent: rebase — re-apply the local ops over the server row, keeping our clock so the server
 *   still sees the ops as concurrent and resolves them by policy.
 * A server version at or below the one we already have changes nothing (pages may be applied twice).
 */
export function reconcileRow(local: LocalRow | undefined, tomb: Tombstone | undefined, server: WireRow, ops: readonly OutboxEntry[], now: number): Reconciled {
  const mine = local ?? tomb;
  if (mine && mine._v >= server._v && mine._v > 0) return UNCHANGED;
  const take = (): Reconciled =>
    server._deleted
      ? { row: local ? null : undefined, tomb: tomb ? null : undefined, rebased: false }
      : { row: { ...dataOf(server), id: server.id, _v: server._v, _clock: server._clock } as LocalRow, tomb: tomb ? null : undefined, rebased: false };
  if (ops.length === 0 || !mine) return take();
  switch (compareClocks(server._clock, mine._clock)) {
    case 'after':
    case 'equal':
      return take();
    case 'before':
      return local ? { row: { ...local, _v: Math.max(local._v, server._v) }, tomb: undefined, rebased: false } : { row: undefined, tomb: { ...tomb!, _v: Math.max(tomb!._v, server._v) }, rebased: false };
    case 'concurrent':
      return rebase(local, server, ops, mine._clock, now);
  }
}

function rebase(local: LocalRow | undefined, server: WireRow, ops: readonly OutboxEntry[], clock: VectorClock, now: number): Reconciled {
  let data: JsonObject | undefined = server._deleted ? undefined : dataOf(server);
  for (const op of ops) {
    if (op.kind === 'create') data = { ...op.patch };
    else if (op.kind === 'delete') data = undefined;
    // An edit of a row the server deleted concurrently: keep our edit locally; the server's policy decides.
    else data = data ? { ...data, ...op.patch } : local ? (stripMeta(local) as JsonObject) : undefined;
  }
  if (data === undefined) return { row: local ? null : undefined, tomb: { table: ops[0]!.table, id: server.id, _v: server._v, _clock: clock, deletedAt: now }, rebased: true };
  return { row: { ...data, id: server.id, _v: server._v, _clock: clock } as LocalRow, tomb: null, rebased: true };
}
