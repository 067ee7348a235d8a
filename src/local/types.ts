import type { VectorClock } from '../core/clock/vectorClock';
import type { JsonObject } from '../core/json/types';
import type { Op } from '../core/outbox/types';

/** A row as the local store keeps it: the app's data plus the sync metadata it needs. */
export type LocalRow = JsonObject & {
  id: string;
  /** The server version last seen (0: never synced). */
  _v: number;
  /** The row's vector clock, including this device's unsent writes. */
  _clock: VectorClock;
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
  /** The server's version and clock of `remote`. */
  remoteV: number;
  remoteClock: VectorClock;
  opId: string;
  createdAt: number;
}

/** A deleted row, kept until the server confirms the delete so a pull cannot bring it back. */
export interface Tombstone {
  table: string;
  id: string;
  _v: number;
  _clock: VectorClock;
  deletedAt: number;
  /** Seq of the row's newest outbox op, as on live rows. */
  _op?: number;
}

/** One entry of the `_meta` key/value table. */
export interface MetaEntry {
  key: string;
  value: unknown;
}
