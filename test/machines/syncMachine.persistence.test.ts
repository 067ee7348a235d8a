import { createActor, type AnyMachineSnapshot, type Snapshot } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { syncMachine, type SyncContext } from '../../machines/syncMachine';
import { FakeActors, flush } from './fakeActors';
import { provideFakes } from './fakeSyncMachine';

const TABLES = ['tasks'];
const network = { code: 'NETWORK', message: 'offline' };
const events = [
  { type: 'SYNC' },
  { type: 'OFFLINE' },
  { type: 'ONLINE' },
  { type: 'LOCK.ACQUIRED', token: 3 },
  { type: 'TABLE.PROGRESS', table: 'tasks', processed: 2, total: 5 },
  { type: 'xstate.done.actor.rehydrate', output: { needsInitial: ['tasks'], cursors: {} } },
  { type: 'xstate.done.actor.pushBatch', output: { pushed: 4, bytes: 400, durationMs: 2, remaining: 0 } },
  { type: 'xstate.error.actor.pushBatch', error: network },
  { type: 'xstate.error.actor.pushBatch', error: { code: 'AUTH', message: 'expired' } },
  { type: 'xstate.done.actor.initialSync', output: { tables: ['tasks'], cursors: { tasks: 'c2.e1.9' }, failed: false, processed: 9, bytes: 900 } },
  { type: 'xstate.after.backoff.sync.lifecycle.reconnecting.waiting' },
] as const;

async function replay(fakes: FakeActors, steps: ReadonlyArray<{ event: { type: string } }>) {
  const actor = createActor(provideFakes(fakes), { input: { tables: TABLES } }).start();
  await flush();
  for (const { event } of steps.slice(1)) {
    const type = event.type;
    const payload = event as { output?: unknown; error?: unknown };
    if (type.startsWith('xstate.done.actor.') && fakes.settle(type.slice(18), 'done', payload.output)) await flush();
    else if (type.startsWith('xstate.error.actor.') && fakes.settle(type.slice(19), 'error', payload.error)) await flush();
    else if (!type.startsWith('xstate.after.')) actor.send(event as never);
    else actor.send(event as never);
    await flush();
  }
  return actor;
}

function restore(fakes: FakeActors, persisted: Snapshot<unknown>) {
  return createActor(provideFakes(fakes), { input: { tables: TABLES }, snapshot: persisted as never }).start();
}

describe('syncMachine persistence', () => {
  const paths = getShortestPaths(syncMachine, {
    events: events as never,
    serializeState: (s) => JSON.stringify([s.value, (s.context as SyncContext).online, (s.context as SyncContext).needsInitial.length]),
    input: { tables: TABLES },
  });

  it('reaches a good spread of states to persist', () => {
    const values = new Set(paths.map((p) => JSON.stringify((p.state.value as { lifecycle: unknown }).lifecycle)));
    for (const expected of [
      '{"idle":"resting"}',
      '"offline"',
      '{"error":"refreshingToken"}',
      '{"syncing":"pushing"}',
      '{"syncing":"pulling"}',
      '{"syncing":"initial"}',
      '{"reconnecting":"probing"}',
      '{"reconnecting":"waiting"}',
    ]) {
      expect(values).toContain(expected);
    }
  });

  it.each(paths.map((p) => [`${JSON.stringify(p.state.value)} (${p.steps.length - 1} steps)`, p] as const))(
    'survives persist → JSON → restore → persist → restore in %s',
    async (_name, path) => {
      const actor = await replay(new FakeActors(), path.steps);
      const original = actor.getSnapshot() as AnyMachineSnapshot;
      const first = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
      actor.stop();

      const fakes = new FakeActors();
      const restored = restore(fakes, first);
      await flush();
      const second = JSON.parse(JSON.stringify(restored.getPersistedSnapshot()));
      const again = restore(new FakeActors(), second);
      await flush();

      for (const snapshot of [restored.getSnapshot(), again.getSnapshot()] as AnyMachineSnapshot[]) {
        expect(snapshot.status).toBe('active');
        expect(snapshot.value).toEqual(original.value);
        expect(snapshot.context).toEqual(original.context);
        expect(Object.keys(snapshot.children).sort()).toEqual(Object.keys(original.children).sort());
      }
      again.stop();
      // The lock actor runs again too: the restored cycle holds the lock, as the original did.
      expect(fakes.locksHeld).toBe(original.matches({ lifecycle: 'syncing' }) ? 1 : 0);
      // An unfinished promise actor runs again on restore; the chart keeps going when it settles.
      if (original.matches({ lifecycle: { syncing: 'pushing' } })) {
        expect(fakes.starts.get('pushBatch')).toBe(1);
        fakes.settle('pushBatch', 'done', { pushed: 1, bytes: 1, durationMs: 1, remaining: 0 });
        await flush();
        expect((restored.getSnapshot() as AnyMachineSnapshot).matches({ lifecycle: { syncing: 'pushing' } })).toBe(false);
      }
      restored.stop();
    },
  );

  it('restores a backoff wait whose timer was lost, and the next trigger probes at once', async () => {
    const path = paths.find((p) => JSON.stringify((p.state.value as { lifecycle: unknown }).lifecycle) === '{"reconnecting":"waiting"}')!;
    const actor = await replay(new FakeActors(), path.steps);
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    actor.stop();
    const fakes = new FakeActors();
    const restored = restore(fakes, persisted);
    // XState does not restore `after` timers; the engine sends SYNC on start, which probes right away.
    restored.send({ type: 'SYNC', reason: 'start' });
    expect((restored.getSnapshot() as AnyMachineSnapshot).matches({ lifecycle: { reconnecting: 'probing' } })).toBe(true);
    expect(fakes.starts.get('probe')).toBe(1);
    restored.stop();
  });
});
