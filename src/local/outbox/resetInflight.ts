import type { Dexie } from 'dexie';
import { outboxTable } from '../opsOfRows';

/**
 * Puts every in-flight op back to pending, to be sent again: after a crash, or when a new holder takes the
 * sync lock (any op still in flight then belongs to a push that will never finish). Safe because the server
 * remembers applied op ids and answers a re-sent op `duplicate`. Returns how many were reset.
 */
export async function resetInflight(db: Dexie): Promise<number> {
  const outbox = outboxTable(db);
  return db.transaction('rw', outbox, () =>
    outbox
      .where('state')
      .equals('inflight')
      .modify((op) => {
        op.state = 'pending';
        delete op.lockToken;
      }),
  );
}
