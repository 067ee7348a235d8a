import { assertFence } from '../fence';
import { retryDelay } from '../retryDelay';
import type { DeadLetter } from '../types';
import type { LocalDb } from '../db';

/** Why a push of some ops failed. */
export interface OpFailure {
  /** True for a final answer (a 4xx rejection): the op goes straight to the dead-letter table. */
  final: boolean;
  reason: string;
  /** HTTP status or error code. */
  code: string;
}

/** Options of failOps. */
export interface FailOptions {
  /** Attempts after which a retryable op is given up and dead-lettered. @default 10 */
  maxAttempts?: number;
  /** First retry delay, ms. @default 1000 */
  retryBaseMs?: number;
  /** Longest retry delay, ms. @default 60000 */
  retryMaxMs?: number;
  now?: number;
  random?: () => number;
}

/**
 * Records a failed push of ops: a retryable failure puts each op back to pending with exponential backoff
 * (1 s, 2 s, 4 s ... 60 s, jittered); a final one, or too many attempts, moves it to `_deadletter` with the
 * reason — where the app can list, retry or discard it — so one poison op never blocks the queue.
 * Runs under the sync lock's fencing token (STALE_LOCK once another tab has taken the lock). Returns the
 * ops dead-lettered.
 */
export async function failOps(db: LocalDb, opIds: readonly string[], failure: OpFailure, lockToken: number, options: FailOptions = {}): Promise<DeadLetter[]> {
  const outbox = db._outbox;
  const deadletter = db._deadletter;
  const now = options.now ?? Date.now();
  const maxAttempts = options.maxAttempts ?? 10;
  return db.transaction('rw', [outbox, deadletter, db._meta], async () => {
    await assertFence(db, lockToken);
    const entries = await outbox
      .where('opId')
      .anyOf([...opIds])
      .toArray();
    const dead: DeadLetter[] = [];
    for (const entry of entries) {
      if (failure.final || entry.attempts >= maxAttempts) {
        const { lockToken: _token, ...op } = entry;
        dead.push({
          op: { ...op, state: 'pending' },
          reason: failure.final ? failure.reason : `gave up after ${entry.attempts} attempts: ${failure.reason}`,
          code: failure.code,
          failedAt: now,
        });
      } else {
        const { lockToken: _token, ...op } = entry;
        await outbox.put({
          ...op,
          state: 'pending',
          nextAttemptAt: now + retryDelay(entry.attempts, options.random, options.retryBaseMs, options.retryMaxMs),
          lastError: failure.reason,
        });
      }
    }
    if (dead.length) {
      await outbox.bulkDelete(dead.map((d) => d.op.seq!));
      await deadletter.bulkAdd(dead);
    }
    return dead;
  });
}
