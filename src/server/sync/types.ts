import type { VectorClock } from '../../core/clock/vectorClock';
import type { JsonObject } from '../../core/json/types';

/** A row as the server stores it (one per org, table and id). */
export interface StoredRow {
  tbl: string;
  id: string;
  data: JsonObject;
  /** The change sequence number of the row's last change. */
  v: number;
  clock: VectorClock;
  /** Per-field versions: the `v` at which each field last changed. */
  fv: Record<string, number>;
  deleted: boolean;
  /** Client ms, device and role of the last write (for last-write-wins and role-based). */
  at: number;
  device: string;
  role: string | null;
}

/** Who is pushing. */
export interface Caller {
  user: string;
  org: string;
  role: string | null;
}
