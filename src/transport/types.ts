import type { BucketResponse, ChecksumsResponse, PullResponse, PushRequest, PushResponse, LiveEvent, SyncStatusResponse } from '../protocol/schemas';

/** What one request looked like, for the connection chart (latency, reachability). */
export type RequestOutcome = { ok: true; latencyMs: number } | { ok: false; network: boolean };

/** The client side of the wire protocol. Every method rejects with a ChartsyncError. */
export interface Transport {
  push(request: PushRequest, signal?: AbortSignal): Promise<{ response: PushResponse; bytes: number }>;
  pull(query: { cursor: string | null; tables: readonly string[]; limit: number }, signal?: AbortSignal): Promise<{ response: PullResponse; bytes: number }>;
  status(signal?: AbortSignal): Promise<SyncStatusResponse>;
  /** The server's bucket hashes of a table's live rows. */
  checksums(table: string, buckets: number, signal?: AbortSignal): Promise<ChecksumsResponse>;
  /** The live rows of one bucket of a table. */
  bucket(table: string, buckets: number, bucket: number, signal?: AbortSignal): Promise<BucketResponse>;
  /**
   * One connection of the live stream: calls `onOpen` once connected and `onEvent` for each event;
   * resolves when the server ends the stream (its token expired), rejects with a ChartsyncError when it
   * fails or is refused. Reconnecting is the chart's job. Ends quietly when `signal` aborts.
   */
  stream(handlers: { onOpen(): void; onEvent(event: LiveEvent): void }, signal: AbortSignal): Promise<void>;
}

/** Where the token comes from: a string, or a function asked before each request (and after a 401). */
export type TokenSource = string | (() => string | Promise<string>);
