import type { SyncActorRef, SyncContext } from '../../machines/syncMachine';
import { topStateOf } from '../../machines/transitions';
import type { LocalStore } from '../local/openLocalStore';
import type { PersistedEngineState } from './rehydrate';
import { watchEnvironment } from './watchEnvironment';

/** Options of persistEngineState. */
export interface PersistEngineStateOptions {
  actor: SyncActorRef;
  store: LocalStore;
  /** Wait after a status change before saving, ms. @default 500 */
  debounceMs?: number;
  /** Where `pagehide` and `visibilitychange` are heard. @default globalThis when it has addEventListener */
  target?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null;
  /** Reads document.visibilityState. @default () => globalThis.document?.visibilityState */
  visibility?: () => string | undefined;
  now?: () => number;
}

function stateOf(context: SyncContext, savedAt: number): PersistedEngineState {
  return {
    metrics: context.metrics,
    lastSyncByTable: context.lastSyncByTable,
    lastSyncedAt: context.lastSyncedAt,
    consecutiveFailures: context.consecutiveFailures,
    savedAt,
  };
}

/**
 * Saves the engine's counters and sync times to `_meta` on every status change (debounced) and at once when
 * the page is hidden or unloaded (`visibilitychange` → hidden, `pagehide`), so a restart — or a crash after
 * the page was hidden — resumes with them. Returns a function that stops it (saving once more).
 */
export function persistEngineState(options: PersistEngineStateOptions): () => Promise<void> {
  const { actor, store } = options;
  const debounceMs = options.debounceMs ?? 500;
  const now = options.now ?? Date.now;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastStatus = topStateOf(actor.getSnapshot().value);

  const save = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    return store.meta.saveSnapshot(stateOf(actor.getSnapshot().context, now())).catch(() => undefined);
  };
  const subscription = actor.subscribe((snapshot) => {
    const status = topStateOf(snapshot.value);
    if (status === lastStatus) return;
    lastStatus = status;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void save(), debounceMs);
  });
  const unwatch = watchEnvironment(
    { hidden: () => void save() },
    { ...(options.target !== undefined ? { target: options.target } : {}), ...(options.visibility ? { visibility: options.visibility } : {}) },
  );
  return async () => {
    subscription.unsubscribe();
    unwatch();
    await save();
  };
}
