import { fromCallback } from 'xstate';
import type { SyncEvent } from '../../machines/syncMachine';
import type { SyncLock } from '../coordination/createSyncLock';

/**
 * The lock the root chart holds for exactly as long as it is in `syncing`: waits for the cross-tab sync
 * lock, announces its fencing token (LOCK.ACQUIRED), and releases it when the chart leaves the state.
 * Taking the lock resets in-flight ops (createOutboxLock): any op still in flight
 * then was sent by a holder that will never hear back (the server dedups the re-send).
 */
export function createSyncLockActor({ lock }: { lock: SyncLock }) {
  return fromCallback<SyncEvent, { tables: readonly string[] }>(({ sendBack }) => {
    const controller = new AbortController();
    let release: (() => Promise<void>) | undefined;
    void (async () => {
      try {
        const handle = await lock.acquire(controller.signal);
        release = () => handle.release();
        if (controller.signal.aborted) return void (await handle.release());
        sendBack({ type: 'LOCK.ACQUIRED', token: handle.token, ...(handle.taken === undefined ? {} : { bound: handle.taken }) });
      } catch (error) {
        if (controller.signal.aborted) return;
        const e = error as { code?: string; message?: string };
        sendBack({
          type: 'LOCK.FAILED',
          error: { code: e.code === 'STALE_LOCK' ? 'STALE_LOCK' : 'UNKNOWN', message: `Could not take the sync lock: ${e.message ?? String(error)}` },
        });
      }
    })();
    return () => {
      controller.abort();
      void release?.().catch(() => undefined);
    };
  });
}
