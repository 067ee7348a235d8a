import { backoffDelay } from '../core/backoff';

/** First retry delay of a failed op, ms. */
export const RETRY_BASE_MS = 1000;
/** Longest retry delay of a failed op, ms. */
export const RETRY_MAX_MS = 60_000;

/**
 * Delay before an op's next attempt after `attempts` failures: 1 s, 2 s, 4 s, ... capped at 60 s (or the
 * given base and cap), with up to 25% jitter either way so the retries of many ops and devices spread out.
 */
export function retryDelay(attempts: number, random: () => number = Math.random, baseMs = RETRY_BASE_MS, maxMs = RETRY_MAX_MS): number {
  return backoffDelay(attempts, { baseMs, maxMs, jitter: 'spread' }, random);
}
