import { and, assign, emit, enqueueActions, fromCallback, fromPromise, not, raise, sendTo, setup, type ActorRefFrom } from 'xstate';
import { backoffDelay as scheduledDelay } from '../src/core/backoff';
import { connectionMachine, type ConnectionParentEvent } from './connectionMachine';
import { sumProgress } from './progress';
import { isAuthFailure, isResetFailure, isRetryableFailure, toFailure, type ErrorReason, type SyncFailure } from './failure';
import { initialSyncMachine, type InitialSyncOutput, type InitialSyncParentEvent } from './initialSyncMachine';
import { tableSyncMachine, type TablePage, type TableSyncParentEvent } from './tableSyncMachine';

/** What made a sync happen. */
export type SyncTrigger = 'start' | 'manual' | 'online' | 'focus' | 'interval' | 'write' | 'poke' | 'follower';

/** Tuning of the root chart. */
export interface SyncConfig {
  /** First backoff delay, ms. @default 1000 */
  backoffBaseMs: number;
  /** Largest backoff delay, ms. @default 60000 */
  backoffMaxMs: number;
  /** Consecutive failures that open the circuit breaker. @default 5 */
  circuitThreshold: number;
  /** Wait before probing while the circuit is open, ms. @default 300000 */
  circuitCooldownMs: number;
  /** An idle leader syncs after this long without a cycle, ms; 0 turns it off. @default 30000 */
  intervalMs: number;
  /** A leader syncs this long after the last of a burst of local writes, ms. @default 2000 */
  debounceMs: number;
  /** A cycle verifies the local data against the server's checksums when this long has passed since the last verification, ms; 0 turns it off (after a reset it still runs). @default one day */
  verifyIntervalMs: number;
}

/** The defaults of SyncConfig. */
export const DEFAULT_SYNC_CONFIG: SyncConfig = {
  verifyIntervalMs: 86_400_000,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
  circuitThreshold: 5,
  circuitCooldownMs: 300_000,
  intervalMs: 30_000,
  debounceMs: 2000,
};

/** Reconnect schedules of the live stream: after a network failure, and after a refused token. */
export const LIVE_BACKOFF = { baseMs: 1000, maxMs: 30_000, jitter: 'equal' } as const;
export const LIVE_AUTH_BACKOFF = { baseMs: 30_000, maxMs: 300_000, jitter: 'equal' } as const;

/** Counters the engine reports in diagnostics. */
export interface SyncMetrics {
  cycles: number;
  opsPushed: number;
  rowsPulled: number;
  bytesPushed: number;
  bytesPulled: number;
  /** Duration of the last push batch / last table pull, ms. */
  lastPushMs: number | null;
  failures: number;
}

/** Progress of the running phase (processed of total, total when known). */
export interface SyncProgress {
  phase: 'push' | 'initial' | 'pull';
  processed: number;
  total: number | null;
}

/** Input of the root chart. */
export interface SyncInput {
  tables: readonly string[];
  online?: boolean;
  isLeader?: boolean;
  /** Whether the live stream runs while online and the leader. @default true */
  live?: boolean;
  config?: Partial<SyncConfig>;
}

/** Context of the root chart: plain JSON, persisted as the engine's snapshot. */
export interface SyncContext {
  tables: readonly string[];
  online: boolean;
  isLeader: boolean;
  /** A sync was asked for while it could not run (or during a cycle): run one (more) when possible. */
  syncRequested: boolean;
  /** The changes of the last poke that carried them, until a pull uses them (see PokedChanges). */
  poked: PokedChanges | null;
  /** Tables that never completed a full download. */
  needsInitial: readonly string[];
  /** Per-table cursors, as last applied. */
  cursors: Record<string, string | null>;
  /** The fencing token of the sync lock while it is held; null otherwise. */
  lockToken: number | null;
  /** Tables whose pull child has not reported yet in this cycle. */
  pullsPending: readonly string[];
  /** Pending ops left after the last push batch (of those the cycle pushes). */
  pushRemaining: number;
  /** The newest outbox key the running cycle pushes (from the lock that began it, else its first batch; null until then): later writes wait for the next cycle, after a pull. */
  pushBound: number | null;
  /** The last outbox key the cycle's previous batch claimed while its queue was in queue order (the next batch reads on from it); null: the next batch reads the whole queue. */
  pushAfter: number | null;
  /** Number of the cycle running or last started (counts every start, retries included). */
  cycle: number;
  /** Number of the last cycle that completed: a `sync()` asked for during cycle n waits for one > n. */
  completedCycle: number;
  /** Per-table pull progress of the running cycle. */
  tableProgress: Record<string, { processed: number; total: number | null }>;
  consecutiveFailures: number;
  lastError: SyncFailure | null;
  errorReason: ErrorReason | null;
  lastSyncedAt: number | null;
  lastSyncByTable: Record<string, number>;
  progress: SyncProgress | null;
  metrics: SyncMetrics;
  config: SyncConfig;
  /** When the earliest op waiting out its retry backoff becomes sendable (from the last push batch), or null. */
  nextRetryAt: number | null;
  /** Whether the live stream runs while online and the leader. */
  liveEnabled: boolean;
  /** Live stream connection attempts that failed in a row (its reconnect backoff). */
  liveAttempt: number;
  /** The last live stream failure was a refused token (reconnect much later). */
  liveAuthFailed: boolean;
  /** When the local data was last verified against the server's checksums (ms; the start counts as one). */
  lastVerifiedAt: number;
  /** A verification is due at the end of the next cycle regardless of time (after a reset). */
  verifyRequested: boolean;
}

/**
 * A commit's changes as a poke carried them: every change after cursor `from` up to cursor `to`, by table
 * (rows opaque to the chart). A table whose cursor is exactly `from` applies them as its page instead of
 * pulling; any other table pulls.
 */
export interface PokedChanges {
  from: string;
  to: string;
  rows: Readonly<Record<string, ReadonlyArray<unknown>>>;
}

/** What the rehydrate actor restores after a start or a crash. */
export interface RehydrateOutput {
  needsInitial: readonly string[];
  cursors: Record<string, string | null>;
  /** Persisted counters from the last run, if any. */
  restored?: Partial<Pick<SyncContext, 'metrics' | 'lastSyncByTable' | 'lastSyncedAt' | 'consecutiveFailures'>>;
}

/** What one push batch is given. */
export interface PushBatchInput {
  lockToken: number;
  /** The cycle's bound (see SyncContext.pushBound); null: the batch fixes it. */
  bound: number | null;
  /** See SyncContext.pushAfter. */
  after?: number | null;
}

/** What one push batch reports. */
export interface PushBatchOutput {
  pushed: number;
  bytes: number;
  durationMs: number;
  /** Pending ops of this cycle still waiting (0: drained up to the bound). */
  remaining: number;
  /** The cycle's bound, as the first batch fixed it. */
  bound?: number;
  /** Where the cycle's next batch reads on from (see SyncContext.pushAfter); absent: the whole queue. */
  after?: number | null;
  /** When the earliest op in retry backoff becomes sendable (ms since epoch, possibly past), or null. */
  nextRetryAt?: number | null;
  /** The tables' cursors after the batch (a push answer that covers every change since a cursor moves it). */
  cursors?: Readonly<Record<string, string | null>>;
}

/** The page a poke's changes give a table whose cursor is exactly where they start (null: it pulls). */
function pokedPage(context: SyncContext, table: string): TablePage | null {
  const poked = context.poked;
  if (!poked || context.cursors[table] !== poked.from) return null;
  return { rows: poked.rows[table] ?? [], cursor: poked.to, hasMore: false, bytes: 0 };
}

/** The chart's cursors with those a push batch reported (absent and null ones leave the chart's as they are). */
function mergeCursors(current: Record<string, string | null>, reported: Readonly<Record<string, string | null>> | undefined): Record<string, string | null> {
  if (!reported) return current;
  const moved = Object.entries(reported).filter(([table, cursor]) => cursor !== null && cursor !== current[table]);
  return moved.length ? { ...current, ...Object.fromEntries(moved) } : current;
}

/** Events the root chart accepts. */
export type SyncEvent =
  | { type: 'SYNC'; reason?: SyncTrigger }
  | { type: 'ONLINE' }
  | { type: 'OFFLINE' }
  | { type: 'LEADER'; isLeader: boolean }
  | { type: 'SET_TOKEN' }
  | { type: 'RETRY' }
  | { type: 'RESET' }
  | { type: 'FAIL'; error: SyncFailure }
  /** `bound`: the newest outbox key when the lock was taken (the cycle's push bound), when the lock read it. */
  | { type: 'LOCK.ACQUIRED'; token: number; bound?: number }
  | { type: 'LOCK.FAILED'; error: SyncFailure }
  /** A local write was committed (the engine's store reports it). */
  | { type: 'WRITE' }
  /** The environment (window) says the network is up / down. */
  | { type: 'ENV.ONLINE' }
  | { type: 'ENV.OFFLINE' }
  /** From the live stream actor: connected; a poke arrived; the stream ended (its token expired); it failed. */
  | { type: 'LIVE.OPENED' }
  | { type: 'LIVE.POKE'; changes?: PokedChanges }
  | { type: 'LIVE.CLOSED' }
  | { type: 'LIVE.FAILED'; error: SyncFailure }
  | ConnectionParentEvent
  | TableSyncParentEvent
  | InitialSyncParentEvent;

/** Events the root chart emits to engine listeners. */
export type SyncEmitted = { type: 'synced'; at: number | null; cycles: number } | { type: 'failed'; error: SyncFailure; reason: ErrorReason | 'retrying' };

/** The id (and system id) of the pull child of `table`. */
export function tableChildId(table: string): string {
  return `table:${table}`;
}

const notProvided = (name: string) => () => {
  throw new Error(`syncMachine: provide the ${name} actor with machine.provide()`);
};

/** The backoff before the next probe: exponential with jitter, the server's Retry-After, or the circuit cooldown. */
export function backoffDelay(context: Pick<SyncContext, 'consecutiveFailures' | 'lastError' | 'config'>, random: () => number = Math.random): number {
  const { backoffBaseMs, backoffMaxMs, circuitThreshold, circuitCooldownMs } = context.config;
  if (context.consecutiveFailures >= circuitThreshold) return circuitCooldownMs;
  // "Equal jitter": half fixed, half random, so retries of many clients spread out but never hammer.
  const jittered = scheduledDelay(context.consecutiveFailures, { baseMs: backoffBaseMs, maxMs: backoffMaxMs, jitter: 'equal' }, random);
  return Math.max(jittered, context.lastError?.retryAfterMs ?? 0);
}

// Delays XState cannot leave unscheduled: a timer that must not fire waits "forever" (and its guard says no).
const NEVER = 2 ** 31 - 1;

// Every failure, whatever actor reported it, goes through one classification: the server's data was
// replaced → download everything again (a state of the cycle), retryable → reconnecting, auth →
// error(auth), anything else → error(unknown).
const retryOrFail = [
  { guard: 'failureIsRetryable', target: '#sync.lifecycle.reconnecting', actions: 'recordRetryableFailure' },
  { guard: 'failureIsAuth', target: '#sync.lifecycle.error', actions: 'recordAuthFailure' },
  { target: '#sync.lifecycle.error', actions: 'recordUnknownFailure' },
] as const;
// What the server answers (pushes, pulls) may also say its data was replaced; the lock and the reset never do.
const failureTransitions = [{ guard: 'failureIsReset', target: '#sync.lifecycle.syncing.resetting' }, ...retryOrFail] as const;
// A sync asked for in a tab that is not the leader is passed on to the leader (unless it came from there).
const syncRequest = [{ guard: 'askLeaderFor', actions: ['requestSync', 'askLeader'] }, { actions: 'requestSync' }] as const;

/**
 * Two regions. `lifecycle`: rehydrating → idle / syncing / offline / reconnecting / error, with the moves
 * allowed by `transitions.ts` only. `live`: the server's event stream, open exactly while the tab is online
 * and the leader, reconnecting with backoff; its pokes are SYNC events. Every timer is a delay of this chart:
 * the idle interval, the write debounce, the wake-up when an op's retry backoff ends, the reconnect backoffs.
 * In the lifecycle: Inside `syncing`: locking → pushing (batches until the outbox is drained) →
 * initial download (if a table never completed one) → pulling (one child per table) → done. A SYNC during
 * a cycle is remembered and runs exactly one more cycle; no network work happens offline or in a tab that
 * is not the leader. Every side effect is an invoked actor named here and supplied by the engine.
 */
export const syncMachine = setup({
  types: {
    context: {} as SyncContext,
    events: {} as SyncEvent,
    input: {} as SyncInput,
    emitted: {} as SyncEmitted,
  },
  actors: {
    rehydrate: fromPromise<RehydrateOutput, { tables: readonly string[] }>(notProvided('rehydrate')),
    syncLock: fromCallback<SyncEvent, { tables: readonly string[] }>(notProvided('syncLock')),
    pushBatch: fromPromise<PushBatchOutput, PushBatchInput>(notProvided('pushBatch')),
    reset: fromPromise<unknown, { tables: readonly string[] }>(notProvided('reset')),
    probe: fromPromise<{ latencyMs: number }, void>(notProvided('probe')),
    /** Asks the token source again after a 401; `changed`: it gave a token other than the refused one. */
    refreshToken: fromPromise<{ changed: boolean }, void>(async () => ({ changed: false })),
    /** One connection of the live stream: reports LIVE.OPENED / LIVE.POKE / LIVE.CLOSED / LIVE.FAILED. */
    liveStream: fromCallback<SyncEvent>(() => undefined),
    /** Self-healing: compares bucket hashes with the server's and repairs the buckets that differ. */
    verify: fromPromise<unknown, { tables: readonly string[] }>(async () => undefined),
    /** The window's online, offline, focus and visibility events, as ENV.ONLINE / ENV.OFFLINE / SYNC. */
    environment: fromCallback<SyncEvent>(() => undefined),
    tableSync: tableSyncMachine,
    initialSync: initialSyncMachine,
    connection: connectionMachine,
  },
  delays: {
    backoff: ({ context }) => backoffDelay(context),
    syncInterval: ({ context }) => (context.config.intervalMs > 0 ? context.config.intervalMs : NEVER),
    debounce: ({ context }) => context.config.debounceMs,
    // A few ms past the due time, so the op is sendable when the cycle claims it.
    retryDue: ({ context }) => (context.nextRetryAt === null ? NEVER : Math.min(NEVER, Math.max(0, context.nextRetryAt - Date.now()) + 5)),
    liveBackoff: ({ context }) => scheduledDelay(context.liveAttempt, context.liveAuthFailed ? LIVE_AUTH_BACKOFF : LIVE_BACKOFF),
  },
  guards: {
    canSync: ({ context }) => context.online && context.isLeader,
    canSyncNow: ({ context }) => context.online && context.isLeader && context.syncRequested,
    isOffline: ({ context }) => !context.online,
    notLeader: ({ context }) => !context.isLeader,
    becameFollower: ({ event }) => event.type === 'LEADER' && !event.isLeader,
    becameLeaderOnline: ({ context, event }) => event.type === 'LEADER' && event.isLeader && context.online,
    moreToPush: ({ context }) => context.pushRemaining > 0,
    needsInitial: ({ context }) => context.needsInitial.length > 0,
    initialSucceeded: ({ event }) => !(event as unknown as { output: InitialSyncOutput }).output.failed,
    allTablesPulled: ({ context }) => context.pullsPending.length === 0,
    verifyDue: ({ context }) =>
      context.verifyRequested || (context.config.verifyIntervalMs > 0 && Date.now() - context.lastVerifiedAt >= context.config.verifyIntervalMs),
    failureIsRetryable: ({ event }) => isRetryableFailure(failureOf(event)),
    failureIsReset: ({ event }) => isResetFailure(failureOf(event)),
    failureIsAuth: ({ event }) => isAuthFailure(failureOf(event)),
    errorIsAuth: ({ context }) => context.errorReason === 'auth',
    debounceOff: ({ context }) => context.config.debounceMs <= 0,
    intervalDue: ({ context }) => context.config.intervalMs > 0 && context.online && context.isLeader,
    retryDue: ({ context }) => context.nextRetryAt !== null && context.online && context.isLeader,
    askLeaderFor: ({ context, event }) => !context.isLeader && !(event.type === 'SYNC' && event.reason === 'follower'),
    tokenChanged: ({ event }) => (event as unknown as { output: { changed: boolean } }).output.changed,
    liveWanted: ({ context }) => context.liveEnabled && context.online && context.isLeader,
    liveRefused: ({ event }) => event.type === 'LIVE.FAILED' && isAuthFailure(event.error),
  },
  actions: {
    recordRetryableFailure: assign(({ context, event }) => ({
      lastError: failureOf(event),
      consecutiveFailures: context.consecutiveFailures + 1,
      metrics: { ...context.metrics, failures: context.metrics.failures + 1 },
    })),
    recordAuthFailure: assign(({ context, event }) => ({
      lastError: failureOf(event),
      errorReason: 'auth' as const,
      metrics: { ...context.metrics, failures: context.metrics.failures + 1 },
    })),
    recordUnknownFailure: assign(({ context, event }) => ({
      lastError: failureOf(event),
      errorReason: 'unknown' as const,
      metrics: { ...context.metrics, failures: context.metrics.failures + 1 },
    })),
    requestSync: assign({ syncRequested: true }),
    /** Passes a sync request on to the leader tab (provided by the engine: its leader election). */
    askLeader: () => undefined,
    forwardToConnection: sendTo('connection', ({ event }) => event),
    // One pull child per table, registered in the system as `table:<name>` (for inspectors and hooks).
    spawnTableChildren: enqueueActions(({ context, enqueue }) => {
      for (const table of context.tables) {
        enqueue.spawnChild('tableSync', {
          id: tableChildId(table),
          systemId: tableChildId(table),
          input: { table, cursor: context.cursors[table] ?? null, initial: false, page: pokedPage(context, table) },
        });
      }
    }),
    stopTableChildren: enqueueActions(({ context, enqueue }) => {
      for (const table of context.tables) enqueue.stopChild(tableChildId(table));
    }),
    clearError: assign({ lastError: null, errorReason: null, consecutiveFailures: 0 }),
    emitFailed: emit(
      ({ context }): SyncEmitted => ({
        type: 'failed',
        error: context.lastError ?? { code: 'UNKNOWN', message: 'unknown failure' },
        reason: context.errorReason ?? 'retrying',
      }),
    ),
  },
}).createMachine({
  id: 'sync',
  context: ({ input }) => ({
    tables: input.tables,
    online: input.online ?? true,
    isLeader: input.isLeader ?? true,
    syncRequested: false,
    poked: null,
    needsInitial: [],
    cursors: {},
    lockToken: null,
    pullsPending: [],
    pushRemaining: 0,
    pushBound: null,
    pushAfter: null,
    cycle: 0,
    completedCycle: 0,
    tableProgress: {},
    consecutiveFailures: 0,
    lastError: null,
    errorReason: null,
    lastSyncedAt: null,
    lastSyncByTable: {},
    progress: null,
    metrics: { cycles: 0, opsPushed: 0, rowsPulled: 0, bytesPushed: 0, bytesPulled: 0, lastPushMs: null, failures: 0 },
    config: { ...DEFAULT_SYNC_CONFIG, ...input.config },
    nextRetryAt: null,
    liveEnabled: input.live ?? true,
    liveAttempt: 0,
    liveAuthFailed: false,
    lastVerifiedAt: Date.now(),
    verifyRequested: false,
  }),
  type: 'parallel',
  invoke: [
    {
      id: 'connection',
      systemId: 'connection',
      src: 'connection',
      input: ({ context }) => ({ online: context.online }),
      onError: { actions: assign({ lastError: ({ event }) => toFailure(event.error) }) },
    },
    // Listening to the window cannot fail in a way the engine could act on: a failure is only recorded.
    { id: 'environment', src: 'environment', onError: { actions: assign({ lastError: ({ event }) => toFailure(event.error) }) } },
  ],
  on: {
    // Facts are recorded in every state; the states below decide what they mean.
    ONLINE: { actions: assign({ online: true }) },
    OFFLINE: { actions: assign({ online: false }) },
    LEADER: { actions: assign({ isLeader: ({ event }) => event.isLeader }) },
    SYNC: syncRequest,
    WRITE: syncRequest,
    'ENV.ONLINE': { actions: 'forwardToConnection' },
    'ENV.OFFLINE': { actions: 'forwardToConnection' },
  },
  states: {
    lifecycle: {
      initial: 'rehydrating',
      states: {
        rehydrating: {
          initial: 'restoring',
          states: {
            restoring: {
              invoke: {
                id: 'rehydrate',
                src: 'rehydrate',
                input: ({ context }) => ({ tables: context.tables }),
                onDone: {
                  target: 'restored',
                  actions: assign(({ context, event }) => ({
                    ...event.output.restored,
                    needsInitial: event.output.needsInitial,
                    cursors: event.output.cursors,
                    metrics: { ...context.metrics, ...event.output.restored?.metrics },
                  })),
                },
                onError: {
                  target: '#sync.lifecycle.error',
                  actions: assign({ lastError: ({ event }) => toFailure(event.error), errorReason: 'rehydrate' as const }),
                },
              },
            },
            // Where a restored engine starts depends on what the environment said meanwhile.
            restored: {
              always: [{ guard: 'isOffline', target: '#sync.lifecycle.offline' }, { target: '#sync.lifecycle.idle' }],
            },
          },
        },
        idle: {
          entry: assign({ progress: null }),
          always: { guard: 'canSyncNow', target: 'syncing' },
          on: {
            SYNC: [{ guard: 'canSync', target: 'syncing' }, ...syncRequest],
            // A burst of writes syncs once, `debounceMs` after its last write (at once without a debounce).
            WRITE: [
              { guard: 'debounceOff', actions: raise({ type: 'SYNC', reason: 'write' }) },
              { target: '.debouncing', reenter: true },
            ],
            OFFLINE: { target: 'offline', actions: assign({ online: false }) },
            LEADER: [
              { guard: 'becameLeaderOnline', target: 'syncing', actions: assign({ isLeader: true }) },
              { actions: assign({ isLeader: ({ event }) => event.isLeader }) },
            ],
            FAIL: { target: 'error', actions: assign({ lastError: ({ event }) => event.error, errorReason: 'local' as const }) },
          },
          after: {
            // An idle leader syncs every `intervalMs`, and when the earliest op in retry backoff becomes due.
            syncInterval: { guard: 'intervalDue', target: 'syncing' },
            retryDue: { guard: 'retryDue', target: 'syncing' },
          },
          initial: 'resting',
          states: {
            resting: {},
            debouncing: {
              after: { debounce: { target: 'resting', actions: raise({ type: 'SYNC', reason: 'write' }) } },
            },
          },
        },
        syncing: {
          entry: assign({ syncRequested: false, pushBound: null, pushAfter: null, cycle: ({ context }) => context.cycle + 1 }),
          exit: assign({ lockToken: null, progress: null }),
          // The lock lives exactly as long as this state: leaving `syncing` for any reason releases it.
          invoke: {
            id: 'syncLock',
            src: 'syncLock',
            input: ({ context }) => ({ tables: context.tables }),
            onError: retryOrFail,
          },
          on: {
            SYNC: { actions: 'requestSync' },
            OFFLINE: { target: 'reconnecting', actions: assign({ online: false }) },
            LEADER: { guard: 'becameFollower', target: 'idle', actions: assign({ isLeader: false }) },
            FAIL: { target: 'error', actions: assign({ lastError: ({ event }) => event.error, errorReason: 'local' as const }) },
            'LOCK.FAILED': retryOrFail,
          },
          initial: 'locking',
          states: {
            locking: {
              on: {
                'LOCK.ACQUIRED': {
                  target: 'pushing',
                  actions: assign({ lockToken: ({ event }) => event.token, pushBound: ({ context, event }) => event.bound ?? context.pushBound }),
                },
              },
            },
            pushing: {
              entry: assign({
                progress: ({ context }) => ({
                  phase: 'push' as const,
                  processed: context.progress?.phase === 'push' ? context.progress.processed : 0,
                  total: null,
                }),
              }),
              on: {
                // The lock is re-announced when a restored lock actor re-acquires it.
                'LOCK.ACQUIRED': { actions: assign({ lockToken: ({ event }) => event.token }) },
              },
              invoke: {
                id: 'pushBatch',
                src: 'pushBatch',
                input: ({ context }) => ({ lockToken: context.lockToken!, bound: context.pushBound, after: context.pushAfter }),
                onDone: {
                  target: 'pushed',
                  actions: assign(({ context, event }) => ({
                    pushBound: event.output.bound ?? context.pushBound,
                    pushAfter: event.output.after ?? null,
                    progress: { phase: 'push' as const, processed: (context.progress?.processed ?? 0) + event.output.pushed, total: null },
                    metrics: {
                      ...context.metrics,
                      opsPushed: context.metrics.opsPushed + event.output.pushed,
                      bytesPushed: context.metrics.bytesPushed + event.output.bytes,
                      lastPushMs: event.output.durationMs,
                    },
                    pushRemaining: event.output.remaining,
                    nextRetryAt: event.output.nextRetryAt ?? null,
                    cursors: mergeCursors(context.cursors, event.output.cursors),
                  })),
                },
                onError: failureTransitions,
              },
            },
            pushed: {
              always: [{ guard: 'moreToPush', target: 'pushing' }, { guard: 'needsInitial', target: 'initial' }, { target: 'pulling' }],
            },
            initial: {
              entry: assign({ progress: { phase: 'initial', processed: 0, total: null } }),
              invoke: {
                id: 'initialSync',
                src: 'initialSync',
                // Resumes each table from the cursor of its last applied page (a kill or a 401 on page 3 of 10
                // does not start the download over).
                input: ({ context }) => ({ tables: context.needsInitial, cursors: context.cursors }),
                onDone: {
                  guard: 'initialSucceeded',
                  target: 'pulling',
                  actions: assign(({ context, event }) => ({
                    needsInitial: [],
                    cursors: { ...context.cursors, ...event.output.cursors },
                    metrics: {
                      ...context.metrics,
                      rowsPulled: context.metrics.rowsPulled + event.output.processed,
                      bytesPulled: context.metrics.bytesPulled + event.output.bytes,
                    },
                  })),
                },
                onError: failureTransitions,
              },
              on: {
                'INITIAL.PROGRESS': {
                  actions: assign({ progress: ({ event }) => ({ phase: 'initial' as const, processed: event.processed, total: event.total }) }),
                },
                'INITIAL.FAILED': failureTransitions,
              },
            },
            pulling: {
              // Done when every table child has reported (at once when there are no tables).
              always: [
                { guard: and(['allTablesPulled', 'verifyDue']), target: 'verifying' },
                { guard: 'allTablesPulled', target: 'cycleDone' },
              ],
              entry: [
                assign({ pullsPending: ({ context }) => context.tables, tableProgress: {}, progress: { phase: 'pull', processed: 0, total: null } }),
                'spawnTableChildren',
                // A poke's changes are used by the pull that follows it, or not at all.
                assign({ poked: null }),
              ],
              exit: ['stopTableChildren', assign({ pullsPending: [] })],
              on: {
                'TABLE.PROGRESS': {
                  actions: assign(({ context, event }) => {
                    const tableProgress = { ...context.tableProgress, [event.table]: { processed: event.processed, total: event.total } };
                    return { tableProgress, progress: { phase: 'pull' as const, ...sumProgress(tableProgress) } };
                  }),
                },
                'TABLE.DONE': {
                  actions: assign(({ context, event }) => ({
                    pullsPending: context.pullsPending.filter((t) => t !== event.table),
                    cursors: { ...context.cursors, [event.table]: event.cursor },
                    lastSyncByTable: event.at === null ? context.lastSyncByTable : { ...context.lastSyncByTable, [event.table]: event.at },
                    lastSyncedAt: event.at ?? context.lastSyncedAt,
                    metrics: {
                      ...context.metrics,
                      rowsPulled: context.metrics.rowsPulled + event.processed,
                      bytesPulled: context.metrics.bytesPulled + event.bytes,
                    },
                  })),
                },
                'TABLE.FAILED': failureTransitions,
              },
            },
            // The server's data was replaced (RESET_REQUIRED): forget cursors and rows without unsent ops, keep
            // those ops, download everything again, then push them — without a reload, lock still held.
            resetting: {
              entry: assign({ progress: { phase: 'initial', processed: 0, total: null } }),
              invoke: {
                id: 'reset',
                src: 'reset',
                input: ({ context }) => ({ tables: context.tables }),
                onDone: {
                  target: 'initial',
                  actions: assign(({ context }) => ({
                    needsInitial: context.tables,
                    cursors: {},
                    syncRequested: true,
                    pushRemaining: 0,
                    verifyRequested: true,
                  })),
                },
                onError: retryOrFail,
              },
            },
            // Self-healing, once a day (and after a reset): bucket hashes against the server's, differing
            // buckets re-pulled and repaired — under the lock, after the pull, with nothing of this cycle unsent.
            verifying: {
              invoke: {
                id: 'verify',
                src: 'verify',
                input: ({ context }) => ({ tables: context.tables }),
                onDone: { target: 'cycleDone', actions: assign({ lastVerifiedAt: () => Date.now(), verifyRequested: false }) },
                onError: failureTransitions,
              },
            },
            cycleDone: {
              entry: [
                assign(({ context }) => ({
                  consecutiveFailures: 0,
                  lastError: null,
                  completedCycle: context.cycle,
                  metrics: { ...context.metrics, cycles: context.metrics.cycles + 1 },
                })),
                emit(({ context }): SyncEmitted => ({ type: 'synced', at: context.lastSyncedAt, cycles: context.metrics.cycles })),
              ],
              always: [
                // Triggers that arrived during the cycle coalesce into exactly one more cycle, lock still held.
                {
                  guard: 'canSyncNow',
                  target: 'pushing',
                  actions: assign(({ context }) => ({ syncRequested: false, pushBound: null, pushAfter: null, cycle: context.cycle + 1 })),
                },
                { target: '#sync.lifecycle.idle' },
              ],
            },
          },
        },
        reconnecting: {
          entry: 'emitFailed',
          always: [
            { guard: 'isOffline', target: 'offline' },
            { guard: 'notLeader', target: 'idle' },
          ],
          on: {
            OFFLINE: { target: 'offline', actions: assign({ online: false }) },
            LEADER: { guard: 'becameFollower', target: 'idle', actions: assign({ isLeader: false }) },
            FAIL: { target: 'error', actions: assign({ lastError: ({ event }) => event.error, errorReason: 'local' as const }) },
          },
          initial: 'waiting',
          states: {
            waiting: {
              after: { backoff: 'probing' },
              on: { SYNC: { target: 'probing', actions: 'requestSync' } },
            },
            probing: {
              invoke: {
                id: 'probe',
                src: 'probe',
                onDone: { target: '#sync.lifecycle.syncing' },
                onError: [
                  { guard: 'failureIsAuth', target: '#sync.lifecycle.error', actions: 'recordAuthFailure' },
                  { target: 'waiting', actions: 'recordRetryableFailure' },
                ],
              },
            },
          },
        },
        offline: {
          entry: assign({ progress: null }),
          on: {
            ONLINE: [
              { guard: 'notLeader', target: 'idle', actions: assign({ online: true }) },
              { target: 'reconnecting', actions: assign({ online: true, consecutiveFailures: 0 }) },
            ],
          },
        },
        error: {
          entry: 'emitFailed',
          on: {
            RETRY: [
              { guard: 'isOffline', target: 'offline', actions: 'clearError' },
              { target: 'reconnecting', actions: 'clearError' },
            ],
            RESET: { target: 'idle', actions: 'clearError' },
            SET_TOKEN: { guard: 'errorIsAuth', target: 'reconnecting', actions: 'clearError' },
            OFFLINE: { target: 'offline', actions: assign({ online: false }) },
          },
          initial: 'deciding',
          states: {
            deciding: {
              always: [{ guard: 'errorIsAuth', target: 'refreshingToken' }, { target: 'stuck' }],
            },
            // After a 401 the token source is asked once more: a different token leaves the error by itself.
            refreshingToken: {
              invoke: {
                id: 'refreshToken',
                src: 'refreshToken',
                onDone: [{ guard: 'tokenChanged', target: '#sync.lifecycle.reconnecting', actions: 'clearError' }, { target: 'stuck' }],
                onError: { target: 'stuck' },
              },
            },
            // Waits for the app: RETRY, RESET, or a new token (SET_TOKEN).
            stuck: {},
          },
        },
      },
    },
    live: {
      initial: 'off',
      states: {
        off: {
          always: { guard: 'liveWanted', target: 'open' },
        },
        open: {
          always: { guard: not('liveWanted'), target: 'off' },
          invoke: {
            id: 'liveStream',
            src: 'liveStream',
            onError: { target: 'waiting', actions: assign(({ context }) => ({ liveAttempt: context.liveAttempt + 1, liveAuthFailed: false })) },
          },
          on: {
            'LIVE.OPENED': { actions: assign({ liveAttempt: 0, liveAuthFailed: false }) },
            'LIVE.POKE': {
              actions: [assign({ poked: ({ context, event }) => event.changes ?? context.poked }), raise({ type: 'SYNC', reason: 'poke' })],
            },
            // The server ends a stream when its token expires: connect again (with a fresh token) soon.
            'LIVE.CLOSED': { target: 'waiting', actions: assign({ liveAttempt: 1, liveAuthFailed: false }) },
            'LIVE.FAILED': {
              target: 'waiting',
              actions: assign(({ context, event }) => ({
                liveAttempt: context.liveAttempt + 1,
                liveAuthFailed: event.type === 'LIVE.FAILED' && isAuthFailure(event.error),
              })),
            },
          },
        },
        waiting: {
          always: { guard: not('liveWanted'), target: 'off' },
          after: { liveBackoff: 'open' },
        },
      },
    },
  },
});

function failureOf(event: { type: string; error?: unknown }): SyncFailure {
  return toFailure(event.error);
}

/** A running root sync actor. */
export type SyncActorRef = ActorRefFrom<typeof syncMachine>;
