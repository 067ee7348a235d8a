import type { SyncEngine, TableTypes, UntypedTables } from '../engine';
import { isStarted, useSyncEngine } from './SyncProvider';

// One promise per engine, so every suspended render waits on the same one (Suspense needs it stable).
const firstDownloads = new WeakMap<object, Promise<void>>();

/**
 * Suspends (throws to the nearest `<Suspense>`) until the engine has started and its first download is
 * done — or it cannot be done now (offline, or an error the app shows): the rows on the device are then
 * all there is. Returns the engine. Use it instead of SyncProvider's `fallback` with Suspense boundaries.
 */
export function useSuspenseSync<Tables extends TableTypes = UntypedTables>(): SyncEngine<Tables> {
  const engine = useSyncEngine<Tables>();
  if (isStarted(engine) && firstDownloadSettled(engine)) return engine;
  let pending = firstDownloads.get(engine);
  if (!pending) {
    pending = waitForFirstDownload(engine);
    firstDownloads.set(engine, pending);
  }
  throw pending;
}

function firstDownloadSettled(engine: SyncEngine<TableTypes>): boolean {
  const status = engine.status;
  if (status === 'offline' || status === 'error') return true;
  const { needsInitial } = engine.actor.getSnapshot().context;
  return needsInitial.length === 0 && status !== 'rehydrating';
}

async function waitForFirstDownload(engine: SyncEngine<TableTypes>): Promise<void> {
  // A failed start is not thrown here: SyncProvider (which starts the engine) reports it.
  await engine.start().catch(() => undefined);
  if (!isStarted(engine)) return;
  await new Promise<void>((resolve) => {
    if (firstDownloadSettled(engine)) return resolve();
    const subscription = engine.actor.subscribe(() => {
      if (!firstDownloadSettled(engine)) return;
      subscription.unsubscribe();
      resolve();
    });
  });
}
