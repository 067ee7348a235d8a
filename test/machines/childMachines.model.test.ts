import { createActor, enqueueActions, type AnyActorRef, type AnyEventObject, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { connectionMachine, type ConnectionContext } from '../../machines/connectionMachine';
import type { SyncFailure } from '../../machines/failure';
import { initialChildId, initialSyncMachine, type InitialSyncContext } from '../../machines/initialSyncMachine';
import { tableSyncMachine, type TableSyncContext } from '../../machines/tableSyncMachine';
import { parentOf } from './fakeActors';
import { expectFullCoverage, mergeReports, runModel } from './modelRunner';

const network: SyncFailure = { code: 'NETWORK', message: 'connection reset' };
const bug: SyncFailure = { code: 'UNKNOWN', message: 'IndexedDB transaction aborted' };

// Traversal runs a machine alone, without the parent its reports go to: a copy with those reports silenced.
function withoutParent(machine: AnyStateMachine, reports: string[], extra: Record<string, unknown> = {}): AnyStateMachine {
  return machine.provide({ actions: { ...Object.fromEntries(reports.map((name) => [name, () => {}])), ...extra } as never });
}

function childOf(root: AnyActorRef): AnyActorRef {
  return (root.getSnapshot() as AnyMachineSnapshot).children.child as AnyActorRef;
}

describe('tableSyncMachine, model-based', () => {
  it('pages fetch → apply (the next page fetched meanwhile) → more? against the real machine, never applying a half page', async () => {
    // Once from the cursor, once with a page in hand (a poke's changes).
    const inPoke = { rows: [7], cursor: 'c1.7', hasMore: false, bytes: 0 };
    const reports = [];
    for (const page of [null, inPoke]) reports.push(await runTableModel({ table: 'tasks', cursor: 'c1.6', initial: false, page }));
    expectFullCoverage('tableSyncMachine', mergeReports(reports));
  });

  async function runTableModel(input: {
    table: string;
    cursor: string | null;
    initial: boolean;
    page: null | { rows: number[]; cursor: string; hasMore: boolean; bytes: number };
  }) {
    let received: ReturnType<typeof parentOf>['received'] = [];
    return runModel({
      machine: tableSyncMachine,
      traverse: withoutParent(tableSyncMachine, ['reportProgress', 'reportDone', 'reportFailed']),
      input,
      delayMs: 0,
      events: [
        { type: 'CANCEL' },
        { type: 'xstate.done.actor.fetchPage', output: { rows: [1, 2], cursor: 'c1.2', hasMore: true, remaining: 1, bytes: 50 } },
        { type: 'xstate.done.actor.fetchPage', output: { rows: [3], cursor: 'c1.3', hasMore: false, remaining: 0, bytes: 10 } },
        { type: 'xstate.error.actor.fetchPage', error: network },
        { type: 'xstate.done.actor.prefetchPage', output: { rows: [3], cursor: 'c1.3', hasMore: false, remaining: 0, bytes: 10 } },
        { type: 'xstate.done.actor.prefetchPage', output: { rows: [4, 5], cursor: 'c1.5', hasMore: true, remaining: 2, bytes: 20 } },
        { type: 'xstate.error.actor.prefetchPage', error: network },
        { type: 'xstate.done.actor.applyPage', output: { at: 1000 } },
        { type: 'xstate.error.actor.applyPage', error: bug },
      ],
      project: (s) => {
        const c = s.context as TableSyncContext;
        return {
          page: c.page?.cursor ?? null,
          next: c.next?.cursor ?? null,
          cursor: c.cursor,
          started: c.processed > 0,
          error: c.error?.code ?? null,
          prefetchError: c.prefetchError !== null,
        };
      },
      start: (fakes, clock, inspect) => {
        const parent = parentOf(
          tableSyncMachine.provide({
            actors: { fetchPage: fakes.promise('fetchPage'), prefetchPage: fakes.promise('prefetchPage'), applyPage: fakes.promise('applyPage') } as never,
          }),
          input,
        );
        received = parent.received;
        const root = createActor(parent.machine, { clock, inspect }).start();
        return { actor: childOf(root), root };
      },
      check: ({ snapshot, previous, fakes }) => {
        const c = snapshot.context as TableSyncContext;
        const before = previous.context as TableSyncContext;
        const last = received.filter((e) => !e.type.startsWith('xstate.')).at(-1);
        expect(fakes.active('fetchPage')).toBe(snapshot.matches('fetching') ? 1 : 0);
        expect(fakes.active('applyPage')).toBe(snapshot.matches({ applying: { apply: 'writing' } }) ? 1 : 0);
        // The next page is fetched only while one is being applied, and only when the server said there is more.
        expect(fakes.active('prefetchPage')).toBe(snapshot.matches({ applying: { prefetch: 'fetching' } }) ? 1 : 0);
        if (snapshot.matches({ applying: { prefetch: 'fetching' } })) expect(c.page?.hasMore).toBe(true);
        if (snapshot.matches('applying')) expect(c.page).not.toBeNull();
        // The cursor moves only when a page was applied whole, and with the page's own cursor.
        if (c.cursor !== before.cursor) {
          expect(previous.matches({ applying: { apply: 'writing' } })).toBe(true);
          expect(c.cursor).toBe(before.page?.cursor);
          expect(c.processed).toBe(before.processed + (before.page?.rows.length ?? 0));
        }
        if (snapshot.matches('cancelled')) {
          expect(c.page).toBeNull();
          expect(c.processed).toBe(before.processed);
        }
        if (snapshot.matches('done')) expect(last).toMatchObject({ type: 'TABLE.DONE', table: 'tasks', cursor: c.cursor, processed: c.processed });
        if (snapshot.matches('failed')) expect(last).toMatchObject({ type: 'TABLE.FAILED', table: 'tasks', error: c.error });
        if (c.total !== null) expect(c.total).toBeGreaterThanOrEqual(c.processed);
      },
    });
  }
});

describe('initialSyncMachine, model-based', () => {
  it('downloads every table with overall progress, against the real machine', async () => {
    const reports = [];
    for (const tables of [['tasks', 'notes'], []]) reports.push(await runInitialModel({ tables }));
    expectFullCoverage('initialSyncMachine', mergeReports(reports));
  });

  async function runInitialModel(input: { tables: string[] }) {
    let received: ReturnType<typeof parentOf>['received'] = [];
    // Also spawns its children without systemIds (see ModelSpec.traverse).
    const traversable = withoutParent(initialSyncMachine, ['reportProgress', 'reportFailed'], {
      spawnTableChildren: enqueueActions(({ context, enqueue }) => {
        for (const table of (context as InitialSyncContext).tables)
          enqueue.spawnChild('tableSync', { id: initialChildId(table), input: { table, cursor: null, initial: true } });
      }),
    });
    const events: AnyEventObject[] = [
      { type: 'TABLE.PROGRESS', table: 'tasks', processed: 2, total: 4 },
      { type: 'TABLE.PROGRESS', table: 'notes', processed: 1, total: 1 },
      { type: 'TABLE.DONE', table: 'tasks', cursor: 'c1.4', processed: 4, bytes: 10, at: 1 },
      { type: 'TABLE.DONE', table: 'notes', cursor: 'c1.5', processed: 1, bytes: 10, at: 2 },
      { type: 'TABLE.FAILED', table: 'notes', error: network },
      // A table child ends after its report.
      { type: 'xstate.done.actor.initial:tasks', output: { table: 'tasks', cursor: 'c1.4', processed: 4 } },
    ];
    const report = await runModel({
      machine: initialSyncMachine,
      traverse: traversable,
      input,
      delayMs: 0,
      events,
      project: (s) => {
        const c = s.context as InitialSyncContext;
        return { remaining: c.remaining, progress: Object.keys(c.progress).sort(), failed: c.error !== null };
      },
      start: (fakes, clock, inspect) => {
        const parent = parentOf(initialSyncMachine.provide({ actors: { tableSync: fakes.stub('tableSync') } as never }), input);
        received = parent.received;
        const root = createActor(parent.machine, { clock, inspect }).start();
        return { actor: childOf(root), root };
      },
      check: ({ snapshot, event, root }) => {
        const c = snapshot.context as InitialSyncContext;
        const children = Object.keys((snapshot as AnyMachineSnapshot).children);
        if (snapshot.matches('downloading')) {
          expect(children.sort()).toEqual(input.tables.map(initialChildId).sort());
          expect(root.system.get('initial:tasks')).toBeDefined();
        } else {
          expect(children).toEqual([]);
        }
        if (event.type === 'TABLE.PROGRESS' && snapshot.matches('downloading')) {
          const tasks = c.progress.tasks ?? { processed: 0, total: null };
          const notes = c.progress.notes ?? { processed: 0, total: null };
          expect(received.at(-1)).toEqual({
            type: 'INITIAL.PROGRESS',
            processed: tasks.processed + notes.processed,
            total: tasks.total === null || notes.total === null ? null : tasks.total + notes.total,
          });
        }
        if (snapshot.matches('done')) expect(c.remaining).toEqual([]);
        if (snapshot.matches('failed'))
          expect(received.filter((e) => !e.type.startsWith('xstate.')).at(-1)).toEqual({ type: 'INITIAL.FAILED', error: network });
      },
    });
    return report;
  }
});

describe('connectionMachine, model-based', () => {
  it('tracks online/offline and quality from environment and requests, starting online or offline', async () => {
    const reports = [];
    for (const online of [true, false]) reports.push(await runConnectionModel(online));
    // Each start covers what is reachable from it; together they cover the machine.
    expectFullCoverage('connectionMachine', mergeReports(reports));
  });

  async function runConnectionModel(online: boolean) {
    let received: ReturnType<typeof parentOf>['received'] = [];
    const report = await runModel({
      machine: connectionMachine,
      traverse: withoutParent(connectionMachine, ['reportOnline', 'reportOffline']),
      input: { online },
      delayMs: 0,
      events: [
        { type: 'ENV.ONLINE' },
        { type: 'ENV.OFFLINE' },
        { type: 'REQUEST.OK', latencyMs: 40 },
        { type: 'REQUEST.OK', latencyMs: 2000 },
        { type: 'REQUEST.FAILED' },
      ],
      project: (s) => {
        const c = s.context as ConnectionContext;
        return { quality: c.quality, failures: Math.min(c.failures, 2), measured: c.latencyMs !== null };
      },
      start: (_fakes, clock, inspect) => {
        const parent = parentOf(connectionMachine, { online });
        received = parent.received;
        const root = createActor(parent.machine, { clock, inspect }).start();
        return { actor: childOf(root), root };
      },
      check: ({ snapshot, previous }) => {
        const c = snapshot.context as ConnectionContext;
        const last = received.filter((e) => e.type === 'ONLINE' || e.type === 'OFFLINE').at(-1);
        if (snapshot.matches('offline')) {
          expect(c.quality).toBe('offline');
          expect(last).toEqual({ type: 'OFFLINE' });
        } else {
          expect(c.quality).not.toBe('offline');
          if (previous.matches('offline')) expect(last).toEqual({ type: 'ONLINE' });
        }
        if (snapshot.matches('online') && c.failures >= 2) expect(c.quality).toBe('poor');
      },
    });
    return report;
  }
});
