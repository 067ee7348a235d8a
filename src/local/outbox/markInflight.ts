import { assertFence } from '../fence';
import type { LocalDb } from '../db';

/**
 * Marks ops as handed to a push, under the sync lock's fencing token: refused with STALE_LOCK when the
 * lock has been taken over since, so a frozen tab that wakes up cannot push. Counts the attempt; an op that
 * was sent once is never coalesced again (the server may already have it).
 */
export async function markInflight(db: LocalDb, opIds: readonly string[], lockToken: number): Promise<void> {
  const outbox = db._outbox;
  await db.transaction('rw', [outbox, db._meta], async () => {
    await assertFence(db, lockToken);
    await outbox
      .where('opId')
      .anyOf([...opIds])
      .modify((op) => {
        op.state = 'inflight';
        op.attempts += 1;
        op.lockToken = lockToken;
      });
  });
}
