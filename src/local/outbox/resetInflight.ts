import { assertFence } from '../fence';
import type { LocalDb } from '../db';

/** Options of resetInflight. */
export interface ResetInflightOptions {
  /** Only these ops (default: every op in flight). */
  opIds?: readonly string[];
  /** Send these ops alone from now on (a batch holding them timed out). */
  alone?: boolean;
  /** These ops were claimed but never sent (a batch claimed ahead, released): their attempt is taken back, so they stay unsent (coalescible). */
  unsent?: boolean;
}

/**
 * Puts in-flight ops back to pending, to be sent again: after a crash, when a new holder takes the sync
 * lock (any op still in flight then belongs to a push that will never finish), or when a push failed for
 * reasons that are not the ops' fault. Safe because the server remembers every op's outcome and answers a
 * re-sent op with it. Runs under the sync lock's fencing token: a tab whose lock was taken over cannot
 * reset ops the new holder has in flight. Returns how many were reset.
 */
export async function resetInflight(db: LocalDb, lockToken: number, options: ResetInflightOptions = {}): Promise<number> {
  const outbox = db._outbox;
  const only = options.opIds ? new Set(options.opIds) : undefined;
  return db.transaction('rw', [outbox, db._meta], async () => {
    await assertFence(db, lockToken);
    return outbox
      .where('state')
      .equals('inflight')
      .filter((op) => only === undefined || only.has(op.opId))
      .modify((op) => {
        op.state = 'pending';
        delete op.lockToken;
        if (options.alone) op.alone = true;
        if (options.unsent) op.attempts -= 1;
      });
  });
}
