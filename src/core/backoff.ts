/** How a backoff delay is spread: `equal` (half fixed, half random) or `spread` (±25% around the step). */
export type Jitter = 'equal' | 'spread';

/** One backoff schedule: the first delay, the cap, and the jitter. */
export interface BackoffSchedule {
  baseMs: number;
  maxMs: number;
  jitter: Jitter;
}

/**
 * The one backoff formula of chartsync (the chart's reconnects, per-op retries and the live stream's
 * reconnects): `baseMs` doubling per attempt from the first (attempt 1 → baseMs), capped at `maxMs`,
 * jittered so that many clients retrying at once spread out.
 */
export function backoffDelay(attempt: number, schedule: BackoffSchedule, random: () => number = Math.random): number {
  const step = Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.max(0, attempt - 1));
  return schedule.jitter === 'equal' ? step / 2 + random() * (step / 2) : Math.round(step * (0.75 + random() * 0.5));
}
