import { createActor, enqueueActions, type AnyEventObject, type AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { SyncFailure } from '../../machines/failure';
import { syncMachine, tableChildId, type SyncContext } from '../../machines/syncMachine';
import { provideFakes } from './fakeSyncMachine';
import { expectFullCoverage, mergeReports, runModel, type StepCheck } from './modelRunner';

const TABLES = ['tasks', 'notes'];
const network: SyncFailure = { code: 'NETWORK', message: 'connection refused' };
const auth: SyncFailure = { code: 'AUTH', message: 'token expired', status: 401 };
const bug: SyncFailure = { code: 'UNKNOWN', message: 'boom' };
const replaced: SyncFailure = { code: 'RESET_REQUIRED', message: 'the server database was replaced', status: 409 };
const BACKOFF_EVENT = 'xstate.after.backoff.sync.lifecycle.reconnecting.waiting';

const events: AnyEventObject[] = [
  { type: 'SYNC', reason: 'manual' },
  { type: 'ONLINE' },
  { type: 'OFFLINE' },
  { type: 'LEADER', isLeader: true },
  { type: 'LEADER', isLeader: false },
  { type: 'SET_TOKEN' },
  { type: 'RETRY' },
  { type: 'RESET' },
  { type: 'FAIL', error: { code: 'UNKNOWN', message: 'QuotaExceededError' } },
  { type: 'LOCK.ACQUIRED', token: 7 },
  { type: 'LOCK.FAILED', error: network },
  { type: 'LOCK.FAILED', error: auth },
  { type: 'LOCK.FAILED', error: bug },
  { type: 'TABLE.PROGRESS', table: 'tasks', processed: 5, total: 10 },
  { type: 'TABLE.DONE', table: 'tasks', cursor: 'c1.5', processed: 5, bytes: 100, at: 1000 },
  { type: 'TABLE.DONE', table: 'notes', cursor: 'c1.6', processed: 1, bytes: 20, at: 1001 },
  { type: 'TABLE.FAILED', table: 'tasks', error: network },
  { type: 'TABLE.FAILED', table: 'tasks', error: auth },
  { type: 'TABLE.FAILED', table: 'tasks', error: bug },
  { type: 'TABLE.FAILED', table: 'tasks', error: replaced },
  { type: 'INITIAL.PROGRESS', processed: 3, total: 9 },
  { type: 'INITIAL.FAILED', error: network },
  { type: 'INITIAL.FAILED', error: auth },
  { type: 'INITIAL.FAILED', error: bug },
  { type: 'INITIAL.FAILED', error: replaced },
  { type: 'xstate.done.actor.rehydrate', output: { needsInitial: [], cursors: {} } },
  { type: 'xstate.done.actor.rehydrate', output: { needsInitial: ['tasks'], cursors: { notes: 'c1.2' }, restored: { consecutiveFailures: 0 } } },
  { type: 'xstate.error.actor.rehydrate', error: bug },
  { type: 'xstate.done.actor.pushBatch', output: { pushed: 10, bytes: 999, durationMs: 4, remaining: 0 } },
  { type: 'xstate.done.actor.pushBatch', output: { pushed: 100, bytes: 9999, durationMs: 9, remaining: 50 } },
  { type: 'xstate.error.actor.pushBatch', error: network },
  { type: 'xstate.error.actor.pushBatch', error: auth },
  { type: 'xstate.error.actor.pushBatch', error: bug },
  { type: 'xstate.error.actor.pushBatch', error: replaced },
  { type: 'xstate.done.actor.reset', output: { dropped: 3, kept: 1 } },
  { type: 'xstate.error.actor.reset', error: network },
  { type: 'xstate.error.actor.reset', error: auth },
  { type: 'xstate.error.actor.reset', error: bug },
  { type: 'xstate.done.actor.initialSync', output: { tables: ['tasks'], cursors: { tasks: 'c2.e1.9' }, failed: false, processed: 9, bytes: 900 } },
  { type: 'xstate.done.actor.initialSync', output: { tables: ['tasks'], cursors: {}, failed: true, processed: 0, bytes: 0 } },
  { type: 'xstate.error.actor.initialSync', error: network },
  { type: 'xstate.error.actor.initialSync', error: auth },
  { type: 'xstate.error.actor.initialSync', error: bug },
  { type: 'xstate.error.actor.initialSync', error: replaced },
  { type: 'xstate.done.actor.probe', output: { latencyMs: 3 } },
  { type: 'xstate.error.actor.probe', error: network },
  { type: 'xstate.error.actor.probe', error: auth },
  { type: 'xstate.error.actor.syncLock', error: network },
  { type: 'xstate.error.actor.syncLock', error: auth },
  { type: 'xstate.error.actor.syncLock', error: bug },
  { type: 'xstate.error.actor.connection', error: bug },
  { type: BACKOFF_EVENT },
  { type: 'WRITE' },
  { type: 'xstate.done.actor.refreshToken', output: { changed: true } },
  { type: 'xstate.done.actor.refreshToken', output: { changed: false } },
  { type: 'xstate.error.actor.refreshToken', error: bug },
  { type: 'xstate.done.actor.pushBatch', output: { pushed: 1, bytes: 99, durationMs: 4, remaining: 0, nextRetryAt: 5000 } },
  { type: 'xstate.after.debounce.sync.lifecycle.idle.debouncing' },
  { type: 'xstate.after.syncInterval.sync.lifecycle.idle' },
  { type: 'xstate.after.retryDue.sync.lifecycle.idle' },
];

// Verification at the end of a cycle after a reset, with the lifecycle reduced to the path there.
const verifyEvents: AnyEventObject[] = [
  { type: 'xstate.done.actor.rehydrate', output: { needsInitial: [], cursors: {} } },
  { type: 'SYNC', reason: 'start' },
  { type: 'LOCK.ACQUIRED', token: 7 },
  { type: 'xstate.error.actor.pushBatch', error: replaced },
  { type: 'xstate.done.actor.reset', output: { dropped: 0, kept: 0 } },
  { type: 'xstate.done.actor.initialSync', output: { tables: TABLES, cursors: {}, failed: false, processed: 0, bytes: 0 } },
  { type: 'TABLE.DONE', table: 'tasks', cursor: 'c1.5', processed: 5, bytes: 100, at: 1000 },
  { type: 'TABLE.DONE', table: 'notes', cursor: 'c1.6', processed: 1, bytes: 20, at: 1001 },
  { type: 'xstate.done.actor.verify', output: { checked: 64, repairs: [] } },
  { type: 'xstate.error.actor.verify', error: network },
  { type: 'xstate.error.actor.verify', error: auth },
  { type: 'xstate.error.actor.verify', error: bug },
  { type: 'xstate.error.actor.verify', error: replaced },
];

// The live region, with the lifecycle reduced to what moves it (facts, and the SYNC a poke raises): its
// product with every lifecycle state would multiply the paths without testing anything more.
const liveEvents: AnyEventObject[] = [
  { type: 'xstate.done.actor.rehydrate', output: { needsInitial: [], cursors: {} } },
  { type: 'ONLINE' },
  { type: 'OFFLINE' },
  { type: 'ENV.ONLINE' },
  { type: 'ENV.OFFLINE' },
  { type: 'LEADER', isLeader: true },
  { type: 'LEADER', isLeader: false },
  { type: 'LIVE.OPENED' },
  { type: 'LIVE.POKE' },
  { type: 'LIVE.CLOSED' },
  { type: 'LIVE.FAILED', error: network },
  { type: 'LIVE.FAILED', error: auth },
  { type: 'xstate.error.actor.liveStream', error: bug },
  { type: 'xstate.error.actor.environment', error: bug },
  { type: 'xstate.after.liveBackoff.sync.live.waiting' },
  // With no write debounce (this run's config), a write syncs at once.
  { type: 'WRITE' },
];

function project(snapshot: AnyMachineSnapshot) {
  const c = snapshot.context as SyncContext;
  return {
    online: c.online,
    leader: c.isLeader,
    requested: c.syncRequested,
    initial: c.needsInitial.length > 0,
    morePush: c.pushRemaining > 0,
    pulls: [...c.pullsPending].sort(),
    reason: c.errorReason,
    failing: c.consecutiveFailures > 0,
    retry: c.nextRetryAt !== null,
    liveRefused: c.liveAuthFailed,
  };
}

function inState(snapshot: AnyMachineSnapshot, value: string | Record<string, string>): boolean {
  return snapshot.matches({ lifecycle: value } as never);
}

// See ModelSpec.traverse: the same chart, its table children spawned without systemIds.
const traversable = syncMachine.provide({
  actions: {
    spawnTableChildren: enqueueActions(({ context, enqueue }) => {
      for (const table of (context as SyncContext).tables)
        enqueue.spawnChild('tableSync', { id: tableChildId(table), input: { table, cursor: null, initial: false } });
    }),
  } as never,
});

describe('syncMachine, model-based', () => {
  it('runs a path to every transition against the real machine, with invariants at every state', async () => {
    const check = ({ snapshot, previous, event, fakes }: StepCheck) => {
      const c = snapshot.context as SyncContext;
      const network = fakes.active('pushBatch') + fakes.active('probe');
      // Never two locks; the lock is held exactly while syncing.
      expect(fakes.maxLocksHeld).toBeLessThanOrEqual(1);
      expect(fakes.locksHeld).toBe(inState(snapshot, 'syncing') ? 1 : 0);
      if (!inState(snapshot, 'syncing')) expect(c.lockToken).toBeNull();
      // No network work offline, or in a tab that is not the leader.
      if (!c.online || !c.isLeader) expect(network).toBe(0);
      if (inState(snapshot, 'offline')) expect(network).toBe(0);
      // Pushing happens under the lock, one batch at a time.
      if (inState(snapshot, { syncing: 'pushing' })) {
        expect(c.lockToken).not.toBeNull();
        expect(fakes.active('pushBatch')).toBe(1);
      } else {
        expect(fakes.active('pushBatch')).toBe(0);
      }
      if (inState(snapshot, { reconnecting: 'probing' })) expect(fakes.active('probe')).toBe(1);
      // A reset runs under the lock, and what follows it downloads everything and then pushes.
      if (inState(snapshot, { syncing: 'resetting' })) expect(fakes.active('reset')).toBe(1);
      if (inState(previous, { syncing: 'resetting' }) && inState(snapshot, { syncing: 'initial' })) {
        expect(c.needsInitial).toEqual(c.tables);
        expect(c.syncRequested).toBe(true);
      }
      // Leaving error by RETRY or RESET starts over: counters and error cleared.
      if (inState(previous, 'error') && (event.type === 'RETRY' || event.type === 'RESET')) {
        expect(c.consecutiveFailures).toBe(0);
        expect(c.lastError).toBeNull();
      }
      if (inState(snapshot, 'error')) expect(c.errorReason).not.toBeNull();
      // The token source is asked again only in error(auth), once.
      expect(fakes.active('refreshToken')).toBe(inState(snapshot, { error: 'refreshingToken' }) ? 1 : 0);
      if (inState(snapshot, { error: 'refreshingToken' })) expect(c.errorReason).toBe('auth');
      // The live stream is open exactly while online and the leader (or waiting out its backoff).
      expect(fakes.active('liveStream')).toBe(snapshot.matches({ live: 'open' } as never) ? 1 : 0);
      if (!c.online || !c.isLeader || !c.liveEnabled) expect(snapshot.matches({ live: 'off' } as never)).toBe(true);
      // Verification runs under the lock, after the pull, and only when due (in these runs: after a reset).
      expect(fakes.active('verify')).toBe(inState(snapshot, { syncing: 'verifying' }) ? 1 : 0);
      if (inState(snapshot, { syncing: 'verifying' })) expect(c.pullsPending).toEqual([]);
      // The environment is listened to for the engine's whole life.
      expect(fakes.active('environment')).toBe(1);
    };
    const run = (input: { tables: string[]; live: boolean; config?: { debounceMs: number } }, list: AnyEventObject[], stubConnection: boolean) =>
      runModel({
        machine: syncMachine,
        traverse: traversable,
        input,
        events: list,
        project,
        delayMs: 1000,
        start: (fakes, clock, inspect) => {
          const machine = provideFakes(fakes);
          const actor = createActor(stubConnection ? machine.provide({ actors: { connection: fakes.stub('connection') } as never }) : machine, {
            input,
            clock,
            inspect,
          }).start();
          return { actor, root: actor };
        },
        check,
      });
    const lifecycle = await run({ tables: TABLES, live: false }, events, false);
    const live = await run({ tables: TABLES, live: true, config: { debounceMs: 0 } }, liveEvents, true);
    const verify = await run({ tables: TABLES, live: false }, verifyEvents, false);
    expectFullCoverage('syncMachine', mergeReports([lifecycle, live, verify]));
  }, 300_000);
});
