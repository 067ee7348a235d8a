import Dexie from 'dexie';
import { createActor } from 'xstate';
import type { SyncFailure } from '../../machines/failure';
import type { SyncActorRef } from '../../machines/syncMachine';
import { topStateOf } from '../../machines/transitions';
import { persistEngineState } from '../actors/persistEngineState';
import { createLeaderElection, type LeaderElection } from '../coordination/createLeaderElection';
import { createOutboxLock } from '../coordination/createSyncLock';
import { policiesHash } from '../core/conflict/policiesHash';
import { ChartsyncError } from '../core/errors';
import { newId } from '../core/ids/newId';
import type { JsonObject } from '../core/json/types';
import { assertKnownTable } from '../local/schema';
import { createLocalDatabase, openLocalStore, type LocalStore } from '../local/openLocalStore';
import { createKyTransport } from '../transport/createKyTransport';
import type { TokenSource } from '../transport/types';
import { afterRehydration, waitForCycle, waitForFollowerSync } from './awaitSync';
import { createEmitter } from './createEmitter';
import { registerCrash } from './crash';
import { collectDiagnostics, debugLog } from './diagnostics';
import { resolveConflictChoice } from './resolveConflictChoice';
import { provideCharts } from './provideCharts';
import { verifyTables } from './verify';
import type {
  AnyRow,
  EngineDiagnostics,
  EngineStatus,
  SyncEngine,
  SyncEngineEvents,
  SyncEngineOptions,
  TableTypes,
  TransitionRecord,
  UntypedTables,
} from './types';

/** What one start of the engine holds; gone at stop. */
interface Running {
  store: LocalStore;
  actor: SyncActorRef;
  election: LeaderElection;
  cleanups: Array<() => void | Promise<void>>;
}

/**
 * Creates a sync engine (nothing runs until `start()`). This is wiring: the charts in `machines/` own
 * every timer, listener and stream (as delays and invoked actors); the engine provides the actors, forwards
 * the app's calls as events, and keeps the facade.
 */
export function createSyncEngine<Tables extends TableTypes = UntypedTables>(typedOptions: SyncEngineOptions<Tables>): SyncEngine<Tables> {
  const options = typedOptions as SyncEngineOptions;
  const db = createLocalDatabase(options);
  const tableNames = Object.keys(options.tables);
  const logger = options.logger ?? { error: (message: string, error?: unknown) => globalThis.console?.error(message, error) };
  const emitter = createEmitter<SyncEngineEvents>((type, error) => logger.error(`chartsync: a "${type}" listener threw`, error));
  const tabId = newId();
  let token: TokenSource = options.token;
  let lastToken: string | undefined;
  let running: Running | undefined;
  // start() and stop() queue behind each other: a start is remembered until its stop.
  let starting: Promise<void> | null = null;
  let lifecycle: Promise<void> = Promise.resolve();
  let forcedOffline = false;
  let policiesMismatch = false;
  let lastVerify: EngineDiagnostics['lastVerify'] = null;
  const transitions: TransitionRecord[] = [];
  const peerSyncs = new Set<() => void>();
  const errors: Array<SyncFailure & { at: number }> = [];

  const current = (): Running => {
    if (!running) throw new ChartsyncError('NOT_STARTED', 'The engine is not started: await engine.start() first.');
    return running;
  };
  const transport = createKyTransport({
    url: options.url,
    token: async () => (lastToken = typeof token === 'function' ? await token() : token),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    onRequest: (outcome) =>
      running?.actor.system.get('connection')?.send(outcome.ok ? { type: 'REQUEST.OK', latencyMs: outcome.latencyMs } : { type: 'REQUEST.FAILED' }),
  });
  const requestSync = () => running?.actor.send({ type: 'SYNC', reason: 'manual' });

  async function doStart(): Promise<void> {
    const indexedDB = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!indexedDB)
      throw new ChartsyncError(
        'CONFIG',
        'No IndexedDB here: chartsync stores every write in IndexedDB. In Node or tests, pass options.indexedDB (and IDBKeyRange), e.g. from fake-indexeddb.',
      );
    const cleanups: Running['cleanups'] = [];
    const store = await openLocalStore({
      ...options,
      db,
      ...(options.priorities ? { priorities: options.priorities } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      // Outside any transaction the write ran in: an app's own Dexie transaction around a read-modify-write
      // would otherwise be the zone of every actor the cycle starts (its lock and claim then fail).
      onWrite: () => Dexie.ignoreTransaction(() => running?.actor.send({ type: 'WRITE' })),
    });
    const lock = createOutboxLock(store, {
      ownerId: tabId,
      leaseMs: options.lockLeaseMs ?? 10_000,
      ...(options.locks !== undefined ? { locks: options.locks } : {}),
    });
    const election = createLeaderElection({
      db,
      tabId,
      leaseMs: options.leaderLeaseMs ?? 5000,
      ...(options.locks !== undefined ? { locks: options.locks } : {}),
      ...(options.channel ? { channel: options.channel } : {}),
      onChange: (isLeader) => running?.actor.send({ type: 'LEADER', isLeader }),
      onSyncRequest: () => running?.actor.send({ type: 'SYNC', reason: 'follower' }),
      onPeerSynced: () => peerSyncs.forEach((fn) => fn()),
    });
    await election.start();
    const localHash = options.conflicts ? policiesHash(options.conflicts) : null;
    const machine = provideCharts({
      store,
      lock,
      transport,
      election,
      options,
      emitter,
      token: () => token,
      refusedToken: () => lastToken,
      forcedOffline: () => forcedOffline,
      verify: () => engine.verify(),
      onServerPolicies: (hash) => localHash && void localHash.then((mine) => (policiesMismatch = mine !== hash)),
    });
    const online = !forcedOffline && (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false;
    let lastState = '';
    const actor = createActor(machine, {
      input: {
        tables: tableNames,
        online,
        isLeader: election.isLeader,
        live: options.live !== false,
        config: {
          ...options.backoff,
          ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
          ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
          ...(options.verifyIntervalMs !== undefined ? { verifyIntervalMs: options.verifyIntervalMs } : {}),
        },
      },
      inspect: (event) => {
        const inspector = options.inspect;
        if (typeof inspector === 'function') inspector(event);
        else inspector?.next?.(event);
        if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
        const state = JSON.stringify((event.snapshot as { value?: unknown }).value);
        if (state === lastState) return;
        lastState = state;
        transitions.push({ at: Date.now(), event: event.event.type, state });
        if (transitions.length > 100) transitions.shift();
      },
    });
    let lastStatus: EngineStatus = 'rehydrating';
    const statusSub = actor.subscribe((snapshot) => {
      const status = topStateOf(snapshot.value);
      if (status === lastStatus) return;
      lastStatus = status;
      emitter.emit('status', status);
      const failure = snapshot.context.lastError;
      if ((status === 'error' || status === 'reconnecting') && failure) {
        errors.push({ ...failure, at: Date.now() });
        if (errors.length > 20) errors.shift();
      }
    });
    const syncedSub = actor.on('synced', (event) => {
      emitter.emit('synced', { at: event.at, cycles: event.cycles });
      election.announceSynced();
    });
    cleanups.push(
      () => statusSub.unsubscribe(),
      () => syncedSub.unsubscribe(),
    );
    running = { store, actor, election, cleanups };
    actor.start();
    cleanups.push(persistEngineState({ actor, store }));
    actor.send({ type: 'SYNC', reason: 'start' });
  }

  async function doStop(): Promise<void> {
    const r = running;
    if (!r) return;
    for (const cleanup of r.cleanups.splice(0).reverse()) await cleanup();
    await r.election.stop();
    r.actor.stop();
    running = undefined;
    r.store.close();
  }

  async function crash(): Promise<void> {
    const r = running;
    if (!r) return;
    // Close the database first: whatever the dying actors try to release or save fails, as in a killed tab.
    db.close();
    for (const cleanup of r.cleanups.splice(0))
      void Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
    r.actor.stop();
    running = undefined;
    starting = null;
  }

  const engine: SyncEngine = {
    db,
    get status() {
      return running ? topStateOf(running.actor.getSnapshot().value) : 'rehydrating';
    },
    get isLeader() {
      return running?.election.isLeader ?? false;
    },
    get actor() {
      return current().actor;
    },

    start() {
      if (starting) return starting;
      const attempt = lifecycle.then(doStart);
      starting = attempt;
      lifecycle = attempt.catch(async () => {
        starting = null;
        await doStop().catch(() => undefined);
      });
      return attempt;
    },

    stop() {
      if (!starting) return lifecycle;
      starting = null;
      lifecycle = lifecycle.then(doStop, doStop);
      return lifecycle;
    },

    async sync(opts = {}) {
      const { actor, election, store } = current();
      const timeoutMs = opts.timeoutMs ?? 60_000;
      const started = Date.now();
      const asFollower = (ms: number) =>
        waitForFollowerSync(
          {
            actor,
            election,
            onPeerSynced: (fn) => (peerSyncs.add(fn), () => void peerSyncs.delete(fn)),
            outboxCount: () => store.outbox.count(),
            syncAsLeader: (left) => engine.sync({ timeoutMs: left }),
          },
          ms,
        );
      // Counters are restored during rehydration: count cycles from after it.
      await afterRehydration(actor);
      if (!election.isLeader) return asFollower(timeoutMs);
      // A cycle already running may have pushed before this call: the SYNC makes one more, and that one
      // (or whichever starts next, if this one fails and is retried) is what we wait for.
      const target = actor.getSnapshot().context.cycle + 1;
      actor.send({ type: 'SYNC', reason: 'manual' });
      // The lead moved to another tab meanwhile: the new leader's cycle is the one to wait for.
      if ((await waitForCycle(actor, target, timeoutMs)) === 'lost-lead') await asFollower(Math.max(1, timeoutMs - (Date.now() - started)));
    },

    table(name) {
      assertKnownTable(name, tableNames);
      return {
        put: async (row) => current().store.put(name, row),
        update: async (id, patch) => current().store.update(name, id, patch as JsonObject),
        delete: async (id) => current().store.delete(name, id),
        bulkPut: async (rows) => current().store.bulkPut(name, rows),
        bulkUpdate: async (updates) => current().store.bulkUpdate(name, updates as ReadonlyArray<{ id: string; patch: JsonObject }>),
        bulkDelete: async (ids) => current().store.bulkDelete(name, ids),
        get: (id) => db.table(name).get(id) as Promise<AnyRow | undefined>,
        toArray: () => db.table(name).toArray() as Promise<AnyRow[]>,
      };
    },

    subscribe: (fn) => emitter.on('status', fn),

    setOnline(online) {
      forcedOffline = !online;
      running?.actor.system.get('connection')?.send({ type: online ? 'ENV.ONLINE' : 'ENV.OFFLINE' });
    },

    setToken(next) {
      token = next;
      running?.actor.send({ type: 'SET_TOKEN' });
    },

    retry: () => running?.actor.send({ type: 'RETRY' }),

    outbox: {
      count: async () => current().store.outbox.count(),
      list: async () => current().store.outbox.list(),
    },
    deadLetters: {
      list: async () => current().store.deadLetters.list(),
      retry: async (id) => {
        await current().store.deadLetters.retry(id);
        requestSync();
      },
      discard: async (id) => current().store.deadLetters.discard(id),
    },
    conflicts: {
      list: async () => current().store.conflicts.list(),
      async resolve(id, choice) {
        await resolveConflictChoice(current().store, id, choice);
        requestSync();
      },
    },

    on: (type, fn) => emitter.on(type, fn),

    async diagnostics() {
      const { store, actor } = current();
      return collectDiagnostics({ store, actor, tables: tableNames, transitions, errors, policiesMismatch, lastVerify });
    },

    async verify(opts = {}) {
      const { store } = current();
      const tables = opts.tables ?? tableNames;
      for (const table of tables) assertKnownTable(table, tableNames);
      const report = await verifyTables({ store, transport, onRepaired: (repair) => emitter.emit('repaired', repair) }, tables, opts.buckets ?? 64);
      lastVerify = {
        at: report.at,
        checked: report.checked,
        repairedBuckets: report.repairs.length,
        rowsPulled: report.repairs.reduce((n, r) => n + r.pulled, 0),
      };
      return report;
    },

    async exportDebugLog() {
      return debugLog(current().store, tabId, await engine.diagnostics());
    },
  };
  registerCrash(engine, crash);
  // The typed face is the same object: rows are checked at run time whatever their static type.
  return engine as unknown as SyncEngine<Tables>;
}
