import { fromPromise } from 'xstate';
import { initialSyncMachine } from '../../machines/initialSyncMachine';
import { syncMachine } from '../../machines/syncMachine';
import { tableSyncMachine } from '../../machines/tableSyncMachine';
import { createEnvironmentActor } from '../actors/createEnvironmentActor';
import { createLiveStreamActor } from '../actors/createLiveStreamActor';
import { createProbeActor } from '../actors/createProbeActor';
import { createPullActors } from '../actors/createPullActors';
import { createPushBatchActor } from '../actors/createPushBatchActor';
import { createRefreshTokenActor } from '../actors/createRefreshTokenActor';
import { createSyncLockActor } from '../actors/createSyncLockActor';
import { createRehydrateActor } from '../actors/rehydrate';
import type { LeaderElection } from '../coordination/createLeaderElection';
import type { SyncLock } from '../coordination/createSyncLock';
import type { LocalStore } from '../local/openLocalStore';
import type { TokenSource, Transport } from '../transport/types';
import type { Emitter } from './createEmitter';
import type { SyncEngineEvents, SyncEngineOptions } from './types';

/** What the charts' actors are made of. */
export interface ChartDeps {
  store: LocalStore;
  lock: SyncLock;
  transport: Transport;
  election: LeaderElection;
  options: SyncEngineOptions;
  emitter: Emitter<SyncEngineEvents>;
  /** The current token source, and the last token a request used. */
  token(): TokenSource;
  refusedToken(): string | undefined;
  forcedOffline(): boolean;
  /** Called with the server's policies hash on every status probe. */
  onServerPolicies(hash: string): void;
  /** The chart's periodic verification (engine.verify of every table). */
  verify(): Promise<unknown>;
}

/** The root chart with every actor and action it invokes supplied: the one place effects are bound to the charts. */
export function provideCharts(deps: ChartDeps) {
  const { store, lock, transport, election, options, emitter } = deps;
  const tableSync = tableSyncMachine.provide({ actors: createPullActors({ store, transport, ...(options.pageSize ? { pageSize: options.pageSize } : {}) }) });
  return syncMachine.provide({
    actors: {
      rehydrate: createRehydrateActor({ store, lock }),
      reset: fromPromise<unknown, { tables: readonly string[] }>(() => store.reset()),
      syncLock: createSyncLockActor({ lock }),
      pushBatch: createPushBatchActor({
        store,
        transport,
        ...(options.batchSize ? { maxOps: options.batchSize } : {}),
        onConflicts: (records) => records.forEach((r) => emitter.emit('conflict', r)),
        onDeadLetters: (letters) => letters.forEach((l) => emitter.emit('deadletter', l)),
      }),
      probe: createProbeActor({ transport, onStatus: (status) => deps.onServerPolicies(status.policiesHash) }),
      refreshToken: createRefreshTokenActor({ token: deps.token, refused: deps.refusedToken }),
      liveStream: createLiveStreamActor({ transport }),
      environment: createEnvironmentActor({ ...(options.window !== undefined ? { window: options.window } : {}), forcedOffline: deps.forcedOffline }),
      verify: fromPromise(() => deps.verify()),
      tableSync,
      initialSync: initialSyncMachine.provide({ actors: { tableSync } }),
    },
    actions: { askLeader: () => election.requestSync() },
  });
}
