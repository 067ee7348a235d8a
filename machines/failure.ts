import type { ChartsyncErrorCode } from '../src/core/errors';

/**
 * A failure as the charts keep it: plain JSON, so it survives snapshot persistence. Invoked actors reject
 * with ChartsyncErrors; `toFailure` reads their code, message and HTTP facts.
 */
export interface SyncFailure {
  code: ChartsyncErrorCode | 'UNKNOWN';
  message: string;
  /** HTTP status, when the failure came from the server. */
  status?: number;
  /** The server's Retry-After, in ms. */
  retryAfterMs?: number;
}

/** Why the engine is in `error`. */
export type ErrorReason = 'auth' | 'rehydrate' | 'local' | 'unknown';

// Failures a later attempt may cure: they send the chart to `reconnecting` with backoff. A stale lock
// (another tab took the sync lock over) is cured by taking the lock again on the next cycle.
const RETRYABLE: ReadonlyArray<SyncFailure['code']> = ['NETWORK', 'TIMEOUT', 'RATE_LIMITED', 'SERVER', 'STALE_LOCK'];

/** Normalizes whatever an actor rejected with into a SyncFailure. */
export function toFailure(error: unknown): SyncFailure {
  if (typeof error === 'object' && error !== null) {
    // A ChartsyncError keeps HTTP facts in `context`; a SyncFailure (already plain) at the top level.
    const e = error as { code?: unknown; message?: unknown; status?: unknown; retryAfterMs?: unknown; context?: { status?: unknown; retryAfterMs?: unknown } };
    const failure: SyncFailure = {
      code: typeof e.code === 'string' ? (e.code as SyncFailure['code']) : 'UNKNOWN',
      message: typeof e.message === 'string' ? e.message : String(error),
    };
    const status = e.context?.status ?? e.status;
    const retryAfterMs = e.context?.retryAfterMs ?? e.retryAfterMs;
    if (typeof status === 'number') failure.status = status;
    if (typeof retryAfterMs === 'number') failure.retryAfterMs = retryAfterMs;
    return failure;
  }
  return { code: 'UNKNOWN', message: String(error) };
}

/** True when the failure is worth retrying with backoff (network errors, timeouts, 408/429/5xx). */
export function isRetryableFailure(failure: SyncFailure): boolean {
  return RETRYABLE.includes(failure.code);
}

/** True when the server's data was replaced and everything must be downloaded again (RESET_REQUIRED). */
export function isResetFailure(failure: SyncFailure): boolean {
  return failure.code === 'RESET_REQUIRED';
}

/** True when the server refused our credentials (401/403). */
export function isAuthFailure(failure: SyncFailure): boolean {
  return failure.code === 'AUTH';
}
