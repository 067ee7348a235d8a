import type { Dexie } from 'dexie';
import { createActor, fromPromise, type InspectionEvent, type Observer } from 'xstate';
import type { ConnectionContext } from '../machines/connectionMachine';
import type { SyncFailure } from '../machines/failure';
import { syncMachine, tableChildId, type SyncActorRef, type SyncConfig, type SyncContext } from '../machines/syncMachine';
import { topStateOf, type SyncStatus } from '../machines/transitions';
import { tableSyncMachine, type TableSyncContext } from '../machines/tableSyncMachine';
import { initialSyncMachine } from '../machines/initialSyncMachine';
import { persistEngineState } from './actors/persistEngineState';
import { createProbeActor } from './actors/createProbeActor';
import { createPullActors } from './actors/createPullActors';
import { createPushBatchActor } from './actors/createPushBatchActor';
import { createRehydrateActor } from './actors/rehydrate';
import { createSyncLockActor } from './actors/createSyncLockActor';
import { createLeaderElection, type ChannelLike, type LeaderElection } from './coordination/createLeaderElection';
import { createSyncLock } from './coordination/createSyncLock';
import type { LockManagerLike } from './coordination/lockManager';
import { policiesHash } from './core/conflict/policiesHash';
import type { ConflictPolicies } from './core/conflict/types';
import { ChartsyncError } from './core/errors';
import { newId } from './core/ids/newId';
import type { JsonObject } from './core/json/types';
import type { PriorityRules } from './core/priority/priorityOf';
import { createEmitter } from './engine/createEmitter';
import { watchEnvironment } from './engine/watchEnvironment';
import { createLocalDatabase, openLocalStore, type LocalStore } from './local/openLocalStore';
import type { TableSchemas } from './local/schema';
import type { ConflictRecord, DeadLetter, OutboxEntry } from './local/types';
import type { WriteResult } from './local/writeRows';
import { createKyTransport } from './transport/createKyTransport';
import type { TokenSource } from './transport/types';

/** Options of createSyncEngine. */
export interface SyncEngineOptions {
  /** IndexedDB database name. */
  name: string;
  /** The sync server's base URL. */
  url: string;
  /** The synced tables: name → Dexie index string whose primary key is `id`. */
  tables: TableSchemas;
  /** Bearer token, or a function asked before each request and again after a 401. */
  token: TokenSource;
  /** The conflict policies the server applies, declared again here: their merge rules apply when a pull rebases unsent writes, and a mismatch is reported. */
  conflicts?: ConflictPolicies;
  /** Per-table priority overrides (field → 1..5). */
  priorities?: Readonly<Record<string, PriorityRules>>;
  /** Periodic sync, ms (0: off). @default 30000 */
  intervalMs?: number;
  /** Sync this long after the last local write, ms. @default 2000 */
  debounceMs?: number;
  /** IndexedDB implementation (tests: fake-indexeddb). @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
  /** fetch for every request (tests inject faults through it). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** An XState inspector (e.g. `createBrowserInspector().inspect` from @statelyai/inspect). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Follow the server's live stream (SSE) for instant pulls. @default true */
  live?: boolean;
  /** Rows per pull page. @default 1000 */
  pageSize?: number;
  /** Ops per push. @default 500 */
  batchSize?: number;
  /** Request timeout, ms. @default 15000 */
  timeoutMs?: number;
  /** Leadership lease between tabs, ms. @default 5000 */
  leaderLeaseMs?: number;
  /** Sync lock lease, ms. @default 10000 */
  lockLeaseMs?: number;
  /** Web Locks (null: lease only). @default navigator.locks when present */
  locks?: LockManagerLike | null;
  /** The tabs' channel. @default a BroadcastChannel named after the database */
  channel?: ChannelLike;
  /** Where online/offline/focus/visibility events come from (null: none). @default window */
  window?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null;
  /** Backoff and circuit breaker tuning of the root chart. */
  backoff?: Partial<SyncConfig>;
  /** Retry policy of single ops that failed (5xx). @default 1 s doubling to 60 s, dead-lettered after 10 attempts */
  retry?: { retryBaseMs?: number; retryMaxMs?: number; maxAttempts?: number };
}

/** A table's writes and reads through the engine. */
export interface EngineTable {
  put(row: JsonObject): Promise<WriteResult>;
  update(id: string, patch: JsonObject): Promise<WriteResult>;
  delete(id: string): Promise<WriteResult>;
  bulkPut(rows: readonly JsonObject[]): Promise<WriteResult>;
  bulkUpdate(updates: ReadonlyArray<{ id: string; patch: JsonObject }>): Promise<WriteResult>;
  bulkDelete(ids: readonly string[]): Promise<WriteResult>;
  get(id: string): Promise<JsonObject | undefined>;
  toArray(): Promise<JsonObject[]>;
}

/** The engine's status: the root chart's top-level state. */
export type EngineStatus = SyncStatus | 'rehydrating';

/** Typed engine events. */
export interface SyncEngineEvents extends Record<string, unknown> {
  synced: { at: number | null; cycles: number };
  conflict: ConflictRecord;
  deadletter: DeadLetter;
  status: EngineStatus;
}

/** One recorded move of the root chart. */
export interface TransitionRecord {
  at: number;
  event: string;
  state: string;
}

/** A snapshot of everything the engine knows about itself. */
export interface EngineDiagnostics {
  status: EngineStatus;
  state: unknown;
  online: boolean;
  isLeader: boolean;
  connection: Pick<ConnectionContext, 'quality' | 'latencyMs'> | null;
  tables: Record<string, { cursor: string | null; lastSyncedAt: number | null; needsInitial: boolean; pull: { state: unknown; processed: number; total: number | null } | null }>;
  queue: { pending: number; inflight: number; deadLetters: number; conflicts: number };
  metrics: SyncContext['metrics'];
  progress: SyncContext['progress'];
  lastSyncedAt: number | null;
  consecutiveFailures: number;
  recentTransitions: TransitionRecord[];
  lastErrors: Array<SyncFailure & { at: number }>;
  policiesMismatch: boolean;
}

/** The public face of chartsync. */
export interface SyncEngine {
  /** Opens the store, joins the tabs' election and starts the charts; syncs at once when it can. */
  start(): Promise<void>;
  /** Stops syncing, saves its state, leaves the election and closes the database. */
  stop(): Promise<void>;
  /** Asks for a sync; resolves when the cycle it triggered (or joined) is done. */
  sync(options?: { timeoutMs?: number }): Promise<void>;
  table(name: string): EngineTable;
  /** The Dexie instance, for queries and liveQuery (available before start). */
  readonly db: Dexie;
  readonly status: EngineStatus;
  readonly isLeader: boolean;
  /** Calls `fn` with every status change; returns unsubscribe. */
  subscribe(fn: (status: EngineStatus) => void): () => void;
  /** The root actor (for @xstate/react hooks and inspectors). Throws before start. */
  readonly actor: SyncActorRef;
  /** For environments without window online/offline events, or to cut this tab off. */
  setOnline(online: boolean): void;
  /** Hands the engine a new token (leaves error(auth)). */
  setToken(token: TokenSource): void;
  /** Leaves `error` and tries again. */
  retry(): void;
  readonly outbox: { count(): Promise<number>; list(): Promise<OutboxEntry[]> };
  readonly deadLetters: { list(): Promise<DeadLetter[]>; retry(id: number): Promise<void>; discard(id: number): Promise<void> };
  readonly conflicts: { list(): Promise<ConflictRecord[]>; resolve(id: number, choice: 'local' | 'remote' | JsonObject): Promise<void> };
  diagnostics(): Promise<EngineDiagnostics>;
  on<K extends keyof SyncEngineEvents>(type: K, fn: (payload: SyncEngineEvents[K]) => void): () => void;
  /** JSON for bug reports: diagnostics, pending ops, conflicts, dead letters, recent transitions. */
  exportDebugLog(): Promise<string>;
  /** Test hook: dies like a killed tab — no state saved, no lock released. */
  unstable_crash(): Promise<void>;
}

/** Creates a sync engine (nothing runs until `start()`). */
export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  const db = createLocalDatabase(options);
  const tableNames = Object.keys(options.tables);
  const emitter = createEmitter<SyncEngineEvents>();
  const tabId = newId();
  let token: TokenSource = options.token;
  let lastToken: string | undefined;
  let store: LocalStore | undefined;
  let actor: SyncActorRef | undefined;
  let election: LeaderElection | undefined;
  let forcedOffline = false;
  let policiesMismatch = false;
  const cleanups: Array<() => void | Promise<void>> = [];
  const transitions: TransitionRecord[] = [];
  const peerSyncs = new Set<() => void>();
  const errors: Array<SyncFailure & { at: number }> = [];

  const requireStore = (): LocalStore => {
    if (!store) throw new ChartsyncError('NOT_STARTED', 'The engine is not started: await engine.start() first.');
    return store;
  };
  const requireActor = (): SyncActorRef => {
    if (!actor) throw new ChartsyncError('NOT_STARTED', 'The engine is not started: await engine.start() first.');
    return actor;
  };
  const currentToken = async (): Promise<string> => {
    lastToken = typeof token === 'function' ? await token() : token;
    return lastToken;
  };
  const transport = createKyTransport({
    url: options.url,
    token: currentToken,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    onRequest: (outcome) => actor?.system.get('connection')?.send(outcome.ok ? { type: 'REQUEST.OK', latencyMs: outcome.latencyMs } : { type: 'REQUEST.FAILED' }),
  });

  const requestSync = (reason: 'manual' | 'write' | 'interval' | 'focus' | 'poke' | 'online' | 'follower' | 'start') => {
    if (!actor) return;
    if (election && !election.isLeader && reason !== 'follower') election.requestSync();
    else actor.send({ type: 'SYNC', reason });
  };

  function startLive(): () => void {
    let stopStream: (() => void) | null = null;
    const update = () => {
      const snapshot = actor?.getSnapshot();
      const want = options.live !== false && !!snapshot && snapshot.context.online && snapshot.context.isLeader && snapshot.status === 'active';
      if (want && !stopStream) {
        stopStream = transport.subscribe((event) => {
          if (event.type === 'poke') requestSync('poke');
        });
      } else if (!want && stopStream) {
        stopStream();
        stopStream = null;
      }
    };
    const sub = actor!.subscribe(update);
    update();
    return () => {
      sub.unsubscribe();
      stopStream?.();
    };
  }

  // Resolves when cycle number `target` or a later one completes (context.completedCycle): a cycle that
  // fails and is retried counts as a new cycle, so sync() never waits for a cycle that will not come.
  async function waitForCycle(target: number, timeoutMs: number): Promise<void> {
    const a = requireActor();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new ChartsyncError('TIMEOUT', `sync() did not finish within ${timeoutMs} ms (status ${topStateOf(a.getSnapshot().value)}); your writes are safe in the outbox and will sync later.`)), timeoutMs);
      const check = () => {
        const snapshot = a.getSnapshot();
        const status = topStateOf(snapshot.value);
        if (snapshot.context.completedCycle >= target) return done();
        if (status === 'error') return done(new ChartsyncError(snapshot.context.errorReason === 'auth' ? 'AUTH' : 'SERVER', `sync() failed: ${snapshot.context.lastError?.message ?? 'unknown error'}`, { context: { reason: snapshot.context.errorReason } }));
        if (status === 'offline') return done(new ChartsyncError('NETWORK', 'sync() cannot finish while offline; your writes are safe in the outbox and will sync when the connection is back.'));
      };
      const sub = a.subscribe(check);
      function done(error?: Error) {
        clearTimeout(timer);
        sub.unsubscribe();
        if (error) reject(error);
        else resolve();
      }
      check();
    });
  }

  // A follower's sync: ask the leader, then wait for a cycle of the leader's that started after the request
  // (its announcement) — or, if this tab becomes the leader meanwhile, for a cycle of its own.
  async function waitForFollowerSync(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    let announced = 0;
    const onPeer = () => void (announced += 1);
    peerSyncs.add(onPeer);
    try {
      election!.requestSync();
      // The announcement of a cycle already running may come first: wait for two, or one after an idle leader's.
      while (announced < 2) {
        if (election!.isLeader) return await engine.sync({ timeoutMs: Math.max(1, end - Date.now()) });
        if (Date.now() > end) throw new ChartsyncError('TIMEOUT', `sync() did not finish within ${timeoutMs} ms: no leader tab has synced since; this tab's writes are safe in the outbox.`);
        if (announced === 1 && (await requireStore().outbox.count()) === 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      peerSyncs.delete(onPeer);
    }
  }

  const engine: SyncEngine = {
    db,
    get status() {
      return actor ? topStateOf(actor.getSnapshot().value) : 'rehydrating';
    },
    get isLeader() {
      return election?.isLeader ?? false;
    },
    get actor() {
      return requireActor();
    },

    async start() {
      if (actor) return;
      let debounce: ReturnType<typeof setTimeout> | undefined;
      store = await openLocalStore({
        ...options,
        db,
        ...(options.priorities ? { priorities: options.priorities } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        onWrite: () => {
          if (debounce !== undefined) clearTimeout(debounce);
          const delay = options.debounceMs ?? 2000;
          if (delay <= 0) requestSync('write');
          else debounce = setTimeout(() => requestSync('write'), delay);
        },
      });
      cleanups.push(() => clearTimeout(debounce));
      const s = store;
      const lock = createSyncLock({ db, ownerId: tabId, leaseMs: options.lockLeaseMs ?? 10_000, ...(options.locks !== undefined ? { locks: options.locks } : {}) });
      election = createLeaderElection({
        db,
        tabId,
        leaseMs: options.leaderLeaseMs ?? 5000,
        ...(options.locks !== undefined ? { locks: options.locks } : {}),
        ...(options.channel ? { channel: options.channel } : {}),
        onChange: (isLeader) => actor?.send({ type: 'LEADER', isLeader }),
        onSyncRequest: () => actor?.send({ type: 'SYNC', reason: 'follower' }),
        onPeerSynced: () => peerSyncs.forEach((fn) => fn()),
      });
      await election.start();
      const localHash = options.conflicts ? policiesHash(options.conflicts) : null;
      const pull = createPullActors({ store: s, transport, ...(options.pageSize ? { pageSize: options.pageSize } : {}) });
      const tableSync = tableSyncMachine.provide({ actors: pull });
      const machine = syncMachine.provide({
        actors: {
          rehydrate: createRehydrateActor({ store: s, lock }),
          reset: fromPromise<unknown, { tables: readonly string[] }>(() => s.reset()),
          syncLock: createSyncLockActor({ lock, store: s }),
          pushBatch: createPushBatchActor({
            store: s,
            transport,
            ...(options.batchSize ? { maxOps: options.batchSize } : {}),
            onConflicts: (records) => records.forEach((r) => emitter.emit('conflict', r)),
            onDeadLetters: (letters) => letters.forEach((l) => emitter.emit('deadletter', l)),
          }),
          probe: createProbeActor({
            transport,
            onStatus: (status) => {
              if (localHash) void localHash.then((hash) => (policiesMismatch = hash !== status.policiesHash));
            },
          }),
          tableSync,
          initialSync: initialSyncMachine.provide({ actors: { tableSync } }),
        },
      });
      const online = !forcedOffline && (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false;
      let lastState = '';
      actor = createActor(machine, {
        input: { tables: tableNames, online, isLeader: election.isLeader, ...(options.backoff ? { config: options.backoff } : {}) },
        inspect: (event) => {
          const inspector = options.inspect;
          if (typeof inspector === 'function') inspector(event);
          else inspector?.next?.(event);
          if (event.type === '@xstate.snapshot' && event.actorRef.sessionId === event.rootId) {
            const state = JSON.stringify((event.snapshot as { value?: unknown }).value);
            if (state !== lastState) {
              lastState = state;
              transitions.push({ at: Date.now(), event: event.event.type, state });
              if (transitions.length > 100) transitions.shift();
            }
          }
        },
      });
      let lastStatus: EngineStatus = 'rehydrating';
      const statusSub = actor.subscribe((snapshot) => {
        const status = topStateOf(snapshot.value);
        if (status === lastStatus) return;
        lastStatus = status;
        emitter.emit('status', status);
        if (status === 'error' || status === 'reconnecting') {
          const failure = snapshot.context.lastError;
          if (failure) {
            errors.push({ ...failure, at: Date.now() });
            if (errors.length > 20) errors.shift();
          }
        }
        // After a 401, ask the token function again; a different token leaves error(auth).
        if (status === 'error' && snapshot.context.errorReason === 'auth' && typeof token === 'function') {
          const failed = lastToken;
          void Promise.resolve()
            .then(() => (token as () => string | Promise<string>)())
            .then((fresh) => {
              if (fresh !== failed) actor?.send({ type: 'SET_TOKEN' });
            })
            .catch(() => undefined);
        }
      });
      // Ops waiting out a retry backoff need a sync when it ends, whatever else happens by then — at once
      // when one came due while the cycle ran (after its batches were claimed).
      let retryTimer: ReturnType<typeof setTimeout> | undefined;
      const scheduleRetry = async () => {
        const at = await s.outbox.nextRetryAt().catch(() => null);
        if (retryTimer !== undefined) clearTimeout(retryTimer);
        if (at !== null) retryTimer = setTimeout(() => requestSync('interval'), Math.max(0, at - Date.now()) + 5);
      };
      const syncedSub = actor.on('synced', (event) => {
        emitter.emit('synced', { at: event.at, cycles: event.cycles });
        election?.announceSynced();
        void scheduleRetry();
      });
      cleanups.push(() => statusSub.unsubscribe(), () => syncedSub.unsubscribe(), () => clearTimeout(retryTimer));
      actor.start();
      cleanups.push(startLive());
      cleanups.push(persistEngineState({ actor, store: s }));
      cleanups.push(
        watchEnvironment(
          {
            online: () => !forcedOffline && actor?.system.get('connection')?.send({ type: 'ENV.ONLINE' }),
            offline: () => actor?.system.get('connection')?.send({ type: 'ENV.OFFLINE' }),
            visible: () => requestSync('focus'),
          },
          options.window,
        ),
      );
      const interval = options.intervalMs ?? 30_000;
      if (interval > 0) {
        const timer = setInterval(() => requestSync('interval'), interval);
        cleanups.push(() => clearInterval(timer));
      }
      actor.send({ type: 'SYNC', reason: 'start' });
    },

    async stop() {
      if (!actor) return;
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      await election?.stop();
      actor.stop();
      actor = undefined;
      store?.close();
      store = undefined;
    },

    async unstable_crash() {
      if (!actor) return;
      // Close the database first: whatever the dying actors try to release or save fails, as in a killed tab.
      db.close();
      for (const cleanup of cleanups.splice(0)) void Promise.resolve().then(cleanup).catch(() => undefined);
      actor.stop();
      actor = undefined;
      store = undefined;
    },

    async sync(opts = {}) {
      const a = requireActor();
      const timeoutMs = opts.timeoutMs ?? 60_000;
      // Counters are restored during rehydration: count cycles from after it.
      if (topStateOf(a.getSnapshot().value) === 'rehydrating') {
        await new Promise<void>((resolve) => {
          const sub = a.subscribe((snapshot) => {
            if (topStateOf(snapshot.value) !== 'rehydrating') {
              sub.unsubscribe();
              resolve();
            }
          });
        });
      }
      if (election && !election.isLeader) return waitForFollowerSync(timeoutMs);
      // A cycle already running may have pushed before this call: the SYNC makes one more, and that one
      // (or whichever starts next, if this one fails and is retried) is what we wait for.
      const target = a.getSnapshot().context.cycle + 1;
      a.send({ type: 'SYNC', reason: 'manual' });
      await waitForCycle(target, timeoutMs);
    },

    table(name) {
      if (!tableNames.includes(name)) throw new ChartsyncError('UNKNOWN_TABLE', `Unknown table "${name}": declare it in tables (known: ${tableNames.join(', ')}).`);
      return {
        put: async (row) => requireStore().put(name, row),
        update: async (id, patch) => requireStore().update(name, id, patch),
        delete: async (id) => requireStore().delete(name, id),
        bulkPut: async (rows) => requireStore().bulkPut(name, rows),
        bulkUpdate: async (updates) => requireStore().bulkUpdate(name, updates),
        bulkDelete: async (ids) => requireStore().bulkDelete(name, ids),
        get: (id) => db.table(name).get(id) as Promise<JsonObject | undefined>,
        toArray: () => db.table(name).toArray() as Promise<JsonObject[]>,
      };
    },

    subscribe(fn) {
      return emitter.on('status', fn);
    },

    setOnline(online) {
      forcedOffline = !online;
      actor?.system.get('connection')?.send({ type: online ? 'ENV.ONLINE' : 'ENV.OFFLINE' });
    },

    setToken(next) {
      token = next;
      actor?.send({ type: 'SET_TOKEN' });
    },

    retry() {
      actor?.send({ type: 'RETRY' });
    },

    outbox: {
      count: async () => requireStore().outbox.count(),
      list: async () => requireStore().outbox.list(),
    },
    deadLetters: {
      list: async () => requireStore().deadLetters.list(),
      retry: async (id) => {
        await requireStore().deadLetters.retry(id);
        requestSync('manual');
      },
      discard: async (id) => requireStore().deadLetters.discard(id),
    },
    conflicts: {
      list: async () => requireStore().conflicts.list(),
      async resolve(id, choice) {
        const s = requireStore();
        const record = (await s.conflicts.list()).find((c) => c.id === id);
        if (!record) throw new ChartsyncError('ROW_NOT_FOUND', `No conflict ${id}: list them with engine.conflicts.list().`, { context: { id } });
        // The local row already shows the server's side, with a clock that saw both: a new write of the
        // chosen row dominates both sides, and 'remote' needs no write at all.
        if (choice === 'local') {
          if (record.local) await s.put(record.table, record.local);
          else await s.delete(record.table, record.rowId);
        } else if (choice !== 'remote') {
          await s.put(record.table, { ...choice, id: record.rowId });
        }
        await s.conflicts.remove(id);
        requestSync('manual');
      },
    },

    on(type, fn) {
      return emitter.on(type, fn);
    },

    async diagnostics() {
      const s = requireStore();
      const a = requireActor();
      const snapshot = a.getSnapshot();
      const c = snapshot.context;
      const [ops, deadLetters, conflicts, needsInitial] = await Promise.all([s.outbox.list(), s.deadLetters.list(), s.conflicts.list(), s.meta.needingInitial()]);
      const connection = a.system.get('connection')?.getSnapshot() as { context?: ConnectionContext } | undefined;
      const tables: EngineDiagnostics['tables'] = {};
      for (const table of tableNames) {
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
        queue: { pending: ops.filter((o) => o.state === 'pending').length, inflight: ops.filter((o) => o.state === 'inflight').length, deadLetters: deadLetters.length, conflicts: conflicts.length },
        metrics: c.metrics,
        progress: c.progress,
        lastSyncedAt: c.lastSyncedAt,
        consecutiveFailures: c.consecutiveFailures,
        recentTransitions: [...transitions],
        lastErrors: [...errors],
        policiesMismatch,
      };
    },

    async exportDebugLog() {
      const s = requireStore();
      const [diagnostics, pendingOps, conflicts, deadLetters] = await Promise.all([engine.diagnostics(), s.outbox.list(), s.conflicts.list(), s.deadLetters.list()]);
      return JSON.stringify({ exportedAt: new Date().toISOString(), deviceId: s.deviceId, tabId, diagnostics, pendingOps, conflicts, deadLetters }, null, 2);
    },
  };
  return engine;
}
