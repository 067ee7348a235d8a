import type { RowStamps } from '../../core/conflict/detect';
import type { JsonObject } from '../../core/json/types';

/** A row as the server stores it (one per org, table and id). */
export interface StoredRow {
  tbl: string;
  id: string;
  /** The row's data; a deleted row keeps its last data (never sent), so an edit that wins against the delete brings it back whole. */
  data: JsonObject;
  /** The change sequence number of the row's last change. */
  v: number;
  /** Who changed each field (and the row's existence) last, at which version and write time. */
  stamps: RowStamps;
  deleted: boolean;
  /** Client ms (the latest of all writes), device and role of the last write (row-level last-write-wins, role-based). */
  at: number;
  device: string;
  role: string | null;
  /** When the caller's token expires (ms since epoch): live streams close then. */
  expiresAt?: number;
}

/** Who is pushing. */
export interface Caller {
  user: string;
  org: string;
  role: string | null;
  /** When the caller's token expires (ms since epoch): live streams close then. */
  expiresAt?: number;
}
