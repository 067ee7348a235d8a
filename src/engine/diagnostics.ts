import type { ConnectionContext } from '../../machines/connectionMachine';
import type { SyncFailure } from '../../machines/failure';
import { tableChildId, type SyncActorRef } from '../../machines/syncMachine';
import type { TableSyncContext } from '../../machines/tableSyncMachine';
import { topStateOf } from '../../machines/transitions';
import type { LocalStore } from '../local/openLocalStore';
import type { EngineDiagnostics, TransitionRecord } from './types';

/** What diagnostics are read from. */
export interface DiagnosticsSources {
  store: LocalStore;
  actor: SyncActorRef;
  tables: readonly string[];
  transitions: readonly TransitionRecord[];
  errors: ReadonlyArray<SyncFailure & { at: number }>;
  policiesMismatch: boolean;
  lastVerify: EngineDiagnostics['lastVerify'];
}

/** A snapshot of everything the engine knows about itself: chart, connection, tables, queue, metrics, history. */
export async function collectDiagnostics(from: DiagnosticsSources): Promise<EngineDiagnostics> {
  const { store: s, actor: a } = from;
  const snapshot = a.getSnapshot();
  const c = snapshot.context;
  const [ops, deadLetters, conflicts, needsInitial] = await Promise.all([s.outbox.list(), s.deadLetters.list(), s.conflicts.list(), s.meta.needingInitial()]);
  const connection = a.system.get('connection')?.getSnapshot() as { context?: ConnectionContext } | undefined;
  const tables: EngineDiagnostics['tables'] = {};
  for (const table of from.tables) {
    const child = a.system.get(tableChildId(table))?.getSnapshot() as { value: unknown; context: TableSyncContext } | undefined;
    tables[table] = {
      cursor: c.cursors[table] ?? null,
      lastSyncedAt: c.lastSyncByTable[table] ?? null,
      needsInitial: needsInitial.includes(table),
      pull: child ? { state: child.value, processed: child.context.processed, total: child.context.total } : null,
    };
  }
  return {
    status: topStateOf(snapshot.value),
    state: snapshot.value,
    online: c.online,
    isLeader: c.isLeader,
    connection: connection?.context ? { quality: connection.context.quality, latencyMs: connection.context.latencyMs } : null,
    tables,
    queue: {
      pending: ops.filter((o) => o.state === 'pending').length,
      inflight: ops.filter((o) => o.state === 'inflight').length,
      deadLetters: deadLetters.length,
      conflicts: conflicts.length,
    },
    metrics: c.metrics,
    progress: c.progress,
    lastSyncedAt: c.lastSyncedAt,
    consecutiveFailures: c.consecutiveFailures,
    recentTransitions: [...from.transitions],
    lastErrors: [...from.errors],
    policiesMismatch: from.policiesMismatch,
    lastVerify: from.lastVerify,
  };
}

/** JSON for bug reports: diagnostics, pending ops, conflicts and dead letters of this device and tab. */
export async function debugLog(store: LocalStore, tabId: string, diagnostics: EngineDiagnostics): Promise<string> {
  const [pendingOps, conflicts, deadLetters] = await Promise.all([store.outbox.list(), store.conflicts.list(), store.deadLetters.list()]);
  return JSON.stringify({ exportedAt: new Date().toISOString(), deviceId: store.deviceId, tabId, diagnostics, pendingOps, conflicts, deadLetters }, null, 2);
}
