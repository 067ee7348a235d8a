import { useSelector } from '@xstate/react';
import { useLiveQuery } from 'dexie-react-hooks';
import { useCallback } from 'react';
import type { SyncFailure } from '../../machines/failure';
import type { SyncContext, SyncProgress } from '../../machines/syncMachine';
import { topStateOf } from '../../machines/transitions';
import type { EngineStatus } from '../engine';
import type { JsonObject } from '../core/json/types';
import type { ConflictRecord, DeadLetter, OutboxEntry } from '../local/types';
import { useSyncEngine } from './SyncProvider';

type RootSnapshot = ReturnType<ReturnType<typeof useSyncEngine>['actor']['getSnapshot']>;

/** Shallow equality of plain objects (one level), for selectors that build small objects. */
export function shallowEqual<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Selects a slice of the root chart's snapshot; the component re-renders only when the slice changes
 * (by `compare`, shallow equality by default), not on every sync tick.
 */
export function useSyncSelector<T>(selector: (snapshot: RootSnapshot) => T, compare: (a: T, b: T) => boolean = shallowEqual): T {
  return useSelector(useSyncEngine().actor, selector, compare);
}

/** The sync status at a glance. */
export interface SyncStatusView {
  status: EngineStatus;
  online: boolean;
  /** Ops waiting in the outbox (live). */
  pending: number;
  lastSyncedAt: number | null;
  progress: SyncProgress | null;
  error: SyncFailure | null;
}

/** `{ status, online, pending, lastSyncedAt, progress, error }`, each re-rendering only when it changes. */
export function useSyncStatus(): SyncStatusView {
  const engine = useSyncEngine();
  const slice = useSyncSelector((s) => ({
    status: topStateOf(s.value),
    online: s.context.online,
    lastSyncedAt: s.context.lastSyncedAt,
    progress: s.context.progress,
    error: topStateOf(s.value) === 'error' || topStateOf(s.value) === 'reconnecting' ? s.context.lastError : null,
  }));
  const pending = useLiveQuery(() => engine.outbox.count(), [engine], 0);
  return { ...slice, pending };
}

/** One table's sync state: cursor, last sync, and its pull while one runs. */
export interface TableSyncView {
  pulling: boolean;
  cursor: string | null;
  lastSyncedAt: number | null;
  processed: number;
  total: number | null;
}

/** The sync state of one table (its child actor's progress while pulling). */
export function useTableSync(table: string): TableSyncView {
  return useSyncSelector((s: RootSnapshot): TableSyncView => {
    const c: SyncContext = s.context;
    const progress = c.tableProgress[table];
    return {
      pulling: c.pullsPending.includes(table),
      cursor: c.cursors[table] ?? null,
      lastSyncedAt: c.lastSyncByTable[table] ?? null,
      processed: progress?.processed ?? 0,
      total: progress?.total ?? null,
    };
  });
}

/** The outbox, live (oldest first). */
export function useOutbox(): OutboxEntry[] {
  const engine = useSyncEngine();
  return useLiveQuery(() => engine.outbox.list(), [engine], []);
}

/** Dead-lettered ops, live, with retry and discard. */
export function useDeadLetters(): {
  deadLetters: DeadLetter[];
  /** Queues the op again and asks for a sync. */
  retry(id: number): Promise<void>;
  /** Drops the op. */
  discard(id: number): Promise<void>;
} {
  const engine = useSyncEngine();
  const deadLetters = useLiveQuery(() => engine.deadLetters.list(), [engine], []);
  const retry = useCallback((id: number) => engine.deadLetters.retry(id), [engine]);
  const discard = useCallback((id: number) => engine.deadLetters.discard(id), [engine]);
  return { deadLetters, retry, discard };
}

/** Unresolved conflicts, live, with resolve(id, 'local' | 'remote' | mergedRow). */
export function useConflicts(): {
  conflicts: ConflictRecord[];
  /** Resolves one: keep this device's version, the server's, or a merged row. */
  resolve(id: number, choice: 'local' | 'remote' | JsonObject): Promise<void>;
} {
  const engine = useSyncEngine();
  const conflicts = useLiveQuery(() => engine.conflicts.list(), [engine], []);
  const resolve = useCallback((id: number, choice: 'local' | 'remote' | JsonObject) => engine.conflicts.resolve(id, choice), [engine]);
  return { conflicts, resolve };
}
