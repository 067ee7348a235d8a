import type { JsonObject } from '../core/json/types';
import type { Op } from '../core/outbox/types';

/** A row as the local store keeps it: the app's data plus the sync metadata it needs. */
export type LocalRow = JsonObject & {
  id: string;
  /** The server version last seen (0: never synced). */
  _v: number;
  /** Seq of the row's newest outbox op (absent or gone from the outbox: the row has none). */
  _op?: number;
};

/** An op waiting in the outbox. */
export interface OutboxEntry extends Op {
  /** Enqueue order (auto-increment). */
  seq?: number;
  /** `pending` ops may be coalesced and sent; `inflight` ops were handed to a push and are never changed. */
  state: 'pending' | 'inflight';
  /** Times handed to a push. An op sent at least once is never coalesced again: the server may have it. */
  attempts: number;
  /** Not to be sent before this time (ms since epoch): retry backoff. */
  nextAttemptAt: number;
  /** The fencing token of the lock under which it was marked in flight. */
  lockToken?: number;
  lastError?: string;
  /**
   * Set when a batch holding this op timed out: the op is sent alone from then on, so one op whose request
   * always times out (a huge row behind a proxy limit) backs off and dead-letters by itself instead of
   * sinking every batch it is in.
   */
  alone?: boolean;
}

/** An op that failed for good (4xx rejection or too many attempts), kept for the app to retry or discard. */
export interface DeadLetter {
  id?: number;
  op: OutboxEntry;
  reason: string;
  /** The HTTP status or error code that put it here. */
  code: string;
  failedAt: number;
}

/** A conflict the server left for people to resolve (`manual` policy). */
export interface ConflictRecord {
  id?: number;
  table: string;
  rowId: string;
  /** The local op's view of the row (what this device wanted). */
  local: JsonObject | null;
  /** The server's row when the conflict was found. */
  remote: JsonObject | null;
  /** The server's version of `remote`. */
  remoteV: number;
  opId: string;
  createdAt: number;
}

/**
 * A deleted row. It stays after the server confirms the delete: its version is what a later re-creation of
 * the same id is based on (without it the re-creation would look like a write that never saw the delete),
 * and while the delete is unsent it keeps a pull from bringing the row back.
 */
export interface Tombstone {
  table: string;
  id: string;
  /** The server version last seen. */
  _v: number;
  deletedAt: number;
  /** Seq of the row's newest outbox op, as on live rows. */
  _op?: number;
}

/** One entry of the `_meta` key/value table. */
export interface MetaEntry {
  key: string;
  value: unknown;
}
