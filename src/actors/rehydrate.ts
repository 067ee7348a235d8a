import { fromPromise } from 'xstate';
import type { RehydrateOutput, SyncContext } from '../../machines/syncMachine';
import type { SyncLock } from '../coordination/createSyncLock';
import type { LocalStore } from '../local/openLocalStore';

/** The engine state kept across runs in `_meta`: counters and times, not the live status. */
export type PersistedEngineState = Partial<Pick<SyncContext, 'metrics' | 'lastSyncByTable' | 'lastSyncedAt' | 'consecutiveFailures'>> & { savedAt?: number };

/** What the rehydrate actor needs. */
export interface RehydrateDeps {
  store: LocalStore;
  /** The sync lock: rehydration resets in-flight ops only when no live tab holds it. */
  lock: SyncLock;
}

/**
 * Crash recovery, run by the root chart in `rehydrating`. If the sync lock is free (its holder, if any, is
 * dead: its lease expired or its Web Lock is gone — taking the lock drops it), every op left `inflight` by a
 * push that never finished goes back to `pending`: the server dedups by op id, so sending it again is
 * safe. A live leader in another tab keeps its in-flight ops. Then it restores the persisted counters and
 * reports the cursors and which tables still need a first full download. Idempotent: running it twice
 * (a restored snapshot re-runs it) changes nothing more.
 */
export function createRehydrateActor({ store, lock }: RehydrateDeps) {
  return fromPromise<RehydrateOutput, { tables: readonly string[] }>(async () => {
    // Taking the lock resets the in-flight ops (createOutboxLock does it in the lease's transaction).
    const handle = await lock.tryAcquire();
    await handle?.release();
    const [needsInitial, cursors, saved] = await Promise.all([
      store.meta.needingInitial(),
      store.meta.cursors(),
      store.meta.loadSnapshot<PersistedEngineState>(),
    ]);
    const { savedAt: _savedAt, ...restored } = saved ?? {};
    return { needsInitial, cursors, restored };
  });
}
