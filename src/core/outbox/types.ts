import type { JsonObject, JsonValue } from '../json/types';

/**
 * What an op does to its row: `create` puts the whole row (a new row, or a replacement of an existing one
 * when the op has a `base`), `update` merges its patch into the row, `delete` leaves a tombstone.
 */
export type OpKind = 'create' | 'update' | 'delete';

/** A field's value before a write: `[]` when the field was absent, `[value]` otherwise. */
export type BaseValue = [] | [JsonValue];

/** What the client knew of the row when it wrote this op. */
export interface OpBase {
  /** The row's `_v` last seen from the server (0 = never seen). */
  v: number;
  /**
   * For every field this op changes, its value before the op's first write of it — the common ancestor a
   * three-way merge needs. Absent when unknown (a row re-created over a tombstone): every field then counts
   * as changed.
   */
  fields?: Record<string, BaseValue>;
}

/** A pending change of one row, as the outbox keeps it and the push sends it. */
export interface Op {
  opId: string;
  table: string;
  rowId: string;
  kind: OpKind;
  /** The changed fields (`update`) or the whole row data (`create`); absent for `delete`. */
  patch?: JsonObject;
  /** `update` only: the whole row after the op as its writer had it (the writer's version, for whole-row policies). */
  row?: JsonObject;
  /** What the client last saw from the server; absent when it has never seen this row. */
  base?: OpBase;
  /** Client wall-clock ms of the op's newest write. */
  at: number;
  /** Write times of fields written before `at` (each field keeps its own time through coalescing). */
  fieldAt?: Record<string, number>;
  /** `create` only: when the whole row was put, if before `at` (fields not in `fieldAt` date from then). */
  putAt?: number;
  /** Local writes folded into this op (1 when absent), for `version-wins`. */
  writes?: number;
  /** 1 (most urgent) .. 5. */
  priority: number;
  /** Local enqueue order, ms since epoch. */
  createdAt: number;
}

/** When `op` wrote `field`: its own time through coalescing, else the put's time, else the op's. */
export function fieldTime(op: Pick<Op, 'at' | 'fieldAt' | 'putAt'>, field: string): number {
  return op.fieldAt?.[field] ?? op.putAt ?? op.at;
}
