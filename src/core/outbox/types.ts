import type { VectorClock } from '../clock/vectorClock';
import type { JsonObject } from '../json/types';

/**
 * What an op does to its row: `create` puts the whole row (a new row, or a replacement of an existing one
 * when the op has a `base`), `update` merges its patch into the row, `delete` leaves a tombstone.
 */
export type OpKind = 'create' | 'update' | 'delete';

/** The server version and clock of a row as the client last saw it before this op. */
export interface OpBase {
  /** The row's `_v` last seen from the server (0 = never seen). */
  v: number;
  /** The row's clock before the write. */
  clock: VectorClock;
}

/** A pending change of one row, as the outbox keeps it and the push sends it. */
export interface Op {
  opId: string;
  table: string;
  rowId: string;
  kind: OpKind;
  /** The changed fields (`update`) or the whole row data (`create`); absent for `delete`. */
  patch?: JsonObject;
  /** What the client last saw from the server; absent when the server has never had this row. */
  base?: OpBase;
  /** The row's vector clock after this op. */
  clock: VectorClock;
  /** Client wall-clock ms of the write, used by last-write-wins only. */
  at: number;
  /** 1 (most urgent) .. 5. */
  priority: number;
  /** Local enqueue order, ms since epoch. */
  createdAt: number;
}
