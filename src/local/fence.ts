import { ChartsyncError } from '../core/errors';
import { getMeta, META_KEYS } from './meta';
import type { LocalDb } from './db';

/**
 * The current fencing token: it grows by one every time any tab takes the sync lock. Must be read inside a
 * transaction that covers `_meta` to be exact.
 */
export async function currentFence(db: LocalDb): Promise<number> {
  return (await getMeta<number>(db, META_KEYS.fence)) ?? 0;
}

/**
 * Throws STALE_LOCK when `token` is not the newest fencing token: the lock it came with has since been
 * taken over (this tab was frozen past its lease), so whatever it was about to push must not go out.
 */
export async function assertFence(db: LocalDb, token: number): Promise<void> {
  const fence = await currentFence(db);
  if (fence !== token) {
    throw new ChartsyncError(
      'STALE_LOCK',
      `The sync lock was taken over (fencing token ${token}, newest ${fence}): this tab must not push; it will sync again when it holds the lock.`,
      { context: { token, fence } },
    );
  }
}
