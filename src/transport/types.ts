import type { PullResponse, PushRequest, PushResponse, SyncEvent, SyncStatusResponse } from '../protocol/schemas';

/** What one request looked like, for the connection chart (latency, reachability). */
export type RequestOutcome = { ok: true; latencyMs: number } | { ok: false; network: boolean };

/** The client side of the wire protocol. Every method rejects with a ChartsyncError. */
export interface Transport {
  push(request: PushRequest, signal?: AbortSignal): Promise<{ response: PushResponse; bytes: number }>;
  pull(query: { cursor: string | null; tables: readonly string[]; limit: number }, signal?: AbortSignal): Promise<{ response: PullResponse; bytes: number }>;
  status(signal?: AbortSignal): Promise<SyncStatusResponse>;
  /** Follows the live stream (reconnecting with backoff) until the returned function is called. */
  subscribe(onEvent: (event: SyncEvent) => void): () => void;
}

/** Where the token comes from: a string, or a function asked before each request (and after a 401). */
export type TokenSource = string | (() => string | Promise<string>);
