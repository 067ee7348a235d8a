import { createActor, SimulatedClock, type AnyMachineSnapshot, type InspectionEvent } from 'xstate';
import { describe, expect, it } from 'vitest';
import { topStateOf } from '../../machines/transitions';
import { backoffDelay, DEFAULT_SYNC_CONFIG, syncMachine, type SyncContext } from '../../machines/syncMachine';
import { FakeActors, flush } from './fakeActors';
import { provideFakes } from './fakeSyncMachine';

function startIdle(fakes: FakeActors, options: { clock?: SimulatedClock; tables?: string[]; delayMs?: number; inspect?: (e: InspectionEvent) => void } = {}) {
  fakes.autoLock = true;
  const actor = createActor(provideFakes(fakes, options.delayMs), {
    input: { tables: options.tables ?? [] },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  }).start();
  fakes.settle('rehydrate', 'done', { needsInitial: [], cursors: {} });
  return actor;
}

const batch = (pushed: number, remaining = 0) => ({ pushed, bytes: pushed * 100, durationMs: 1, remaining });

describe('syncMachine races', () => {
  it('runs exactly one extra cycle for 100 SYNCs fired during a sync', async () => {
    const fakes = new FakeActors();
    const actor = startIdle(fakes);
    await flush();
    actor.send({ type: 'SYNC', reason: 'manual' });
    await flush();
    expect(actor.getSnapshot().matches({ lifecycle: { syncing: 'pushing' } })).toBe(true);
    for (let i = 0; i < 100; i++) actor.send({ type: 'SYNC', reason: 'write' });
    fakes.settle('pushBatch', 'done', batch(1));
    await flush();
    // The remembered trigger starts one more cycle under the same lock...
    expect(actor.getSnapshot().matches({ lifecycle: { syncing: 'pushing' } })).toBe(true);
    expect(fakes.starts.get('syncLock')).toBe(1);
    fakes.settle('pushBatch', 'done', batch(1));
    await flush();
    // ...and then nothing more.
    expect(topStateOf(actor.getSnapshot().value)).toBe('idle');
    expect(fakes.starts.get('pushBatch')).toBe(2);
    expect(actor.getSnapshot().context.metrics.cycles).toBe(2);
    expect(fakes.locksHeld).toBe(0);
  });

  it("takes the cycle's push bound from the lock when it read one (0: nothing was queued, the batch needs no outbox transaction)", async () => {
    const fakes = new FakeActors();
    fakes.lockBound = 0;
    const actor = startIdle(fakes);
    await flush();
    actor.send({ type: 'SYNC', reason: 'manual' });
    await flush();
    expect(fakes.inputs.get('pushBatch')).toEqual([{ lockToken: 1, bound: 0, after: null }]);
    fakes.settle('pushBatch', 'done', { ...batch(0), bound: 0 });
    await flush();
    expect(topStateOf(actor.getSnapshot().value)).toBe('idle');
    // A lock that reads nothing leaves the bound to the first batch.
    fakes.lockBound = undefined;
    actor.send({ type: 'SYNC', reason: 'manual' });
    await flush();
    expect(fakes.inputs.get('pushBatch')?.[1]).toEqual({ lockToken: 2, bound: null, after: null });
  });

  it("hands each batch where the cycle's previous batch ended (a queue in queue order), and no cycle inherits it", async () => {
    const fakes = new FakeActors();
    fakes.lockBound = 9;
    const actor = startIdle(fakes);
    await flush();
    actor.send({ type: 'SYNC', reason: 'manual' });
    await flush();
    fakes.settle('pushBatch', 'done', { ...batch(4), remaining: 5, bound: 9, after: 4 });
    await flush();
    fakes.settle('pushBatch', 'done', { ...batch(4), remaining: 1, bound: 9, after: null });
    await flush();
    fakes.settle('pushBatch', 'done', { ...batch(1), remaining: 0, bound: 9, after: 9 });
    await flush();
    expect(fakes.inputs.get('pushBatch')).toEqual([
      { lockToken: 1, bound: 9, after: null },
      { lockToken: 1, bound: 9, after: 4 },
      { lockToken: 1, bound: 9, after: null },
    ]);
    expect(actor.getSnapshot().context.pushAfter).toBe(9);
    await flush();
    actor.send({ type: 'SYNC', reason: 'manual' });
    await flush();
    expect(fakes.inputs.get('pushBatch')?.[3]).toEqual({ lockToken: 2, bound: 9, after: null });
  });

  it('drains the outbox in batches until the push reports nothing remaining', async () => {
    const fakes = new FakeActors();
    const actor = startIdle(fakes);
    await flush();
    actor.send({ type: 'SYNC' });
    await flush();
    for (const remaining of [200, 100, 0]) {
      fakes.settle('pushBatch', 'done', batch(100, remaining));
      await flush();
    }
    expect(fakes.starts.get('pushBatch')).toBe(3);
    expect(actor.getSnapshot().context.metrics.opsPushed).toBe(300);
    expect(topStateOf(actor.getSnapshot().value)).toBe('idle');
  });

  it('stops pushing when the network drops mid-push and ends offline via reconnecting', async () => {
    const fakes = new FakeActors();
    const seen: string[] = [];
    // Every microstep, transient states included.
    const inspect = (e: InspectionEvent) => {
      if (e.type !== '@xstate.microstep') return;
      const snapshot = e.snapshot as AnyMachineSnapshot;
      if (snapshot.machine.id !== 'sync') return;
      const top = topStateOf(snapshot.value);
      if (seen.at(-1) !== top) seen.push(top);
    };
    const actor = startIdle(fakes, { inspect });
    await flush();
    actor.send({ type: 'SYNC' });
    await flush();
    expect(fakes.active('pushBatch')).toBe(1);
    actor.send({ type: 'OFFLINE' });
    await flush();
    expect(fakes.active('pushBatch')).toBe(0);
    expect(fakes.locksHeld).toBe(0);
    expect(topStateOf(actor.getSnapshot().value)).toBe('offline');
    // syncing → offline is not in the table: the chart passes through reconnecting.
    expect(seen.slice(-3)).toEqual(['syncing', 'reconnecting', 'offline']);
    expect(actor.getSnapshot().context.online).toBe(false);
  });

  it('ignores the late result of a push that was cancelled', async () => {
    const fakes = new FakeActors();
    const actor = startIdle(fakes);
    await flush();
    actor.send({ type: 'SYNC' });
    await flush();
    actor.send({ type: 'OFFLINE' });
    await flush();
    const before = structuredClone(actor.getSnapshot().context) as SyncContext;
    // The server answers after all: the stopped actor's result must change nothing.
    expect(fakes.settle('pushBatch', 'done', batch(50))).toBe(true);
    await flush();
    expect(actor.getSnapshot().context).toEqual(before);
    expect(topStateOf(actor.getSnapshot().value)).toBe('offline');
  });

  it('remembers a SYNC asked for offline and runs it after reconnecting', async () => {
    const fakes = new FakeActors();
    const clock = new SimulatedClock();
    const actor = startIdle(fakes, { clock });
    await flush();
    actor.send({ type: 'OFFLINE' });
    actor.send({ type: 'SYNC', reason: 'write' });
    expect(fakes.starts.get('pushBatch') ?? 0).toBe(0);
    actor.send({ type: 'ONLINE' });
    expect(actor.getSnapshot().matches({ lifecycle: { reconnecting: 'waiting' } })).toBe(true);
    clock.increment(1000);
    await flush();
    fakes.settle('probe', 'done', { latencyMs: 2 });
    await flush();
    expect(actor.getSnapshot().matches({ lifecycle: { syncing: 'pushing' } })).toBe(true);
  });

  it('hands sync to the leader: a follower asked to sync does no network work', async () => {
    const fakes = new FakeActors();
    const actor = startIdle(fakes);
    await flush();
    actor.send({ type: 'LEADER', isLeader: false });
    actor.send({ type: 'SYNC' });
    await flush();
    expect(topStateOf(actor.getSnapshot().value)).toBe('idle');
    expect(fakes.starts.get('syncLock') ?? 0).toBe(0);
    // Becoming leader runs what was asked for.
    actor.send({ type: 'LEADER', isLeader: true });
    await flush();
    expect(actor.getSnapshot().matches({ lifecycle: 'syncing' })).toBe(true);
  });
});

describe('backoff and circuit breaker (SimulatedClock)', () => {
  it('probes after the backoff delay, backing off further on each failure', async () => {
    const fakes = new FakeActors();
    const clock = new SimulatedClock();
    // The real backoff (jitter pinned) on a simulated clock.
    const machine = provideFakes(fakes).provide({ delays: { backoff: ({ context }) => backoffDelay(context as SyncContext, () => 0) } });
    fakes.autoLock = true;
    const actor = createActor(machine, { input: { tables: [] }, clock }).start();
    fakes.settle('rehydrate', 'done', { needsInitial: [], cursors: {} });
    await flush();
    actor.send({ type: 'SYNC' });
    await flush();
    fakes.settle('pushBatch', 'error', { code: 'NETWORK', message: 'refused' });
    await flush();
    expect(actor.getSnapshot().matches({ lifecycle: { reconnecting: 'waiting' } })).toBe(true);
    // First failure: 1000 ms base, half of it fixed when jitter is 0.
    clock.increment(499);
    expect(fakes.starts.get('probe') ?? 0).toBe(0);
    clock.increment(1);
    expect(fakes.starts.get('probe')).toBe(1);
    fakes.settle('probe', 'error', { code: 'NETWORK', message: 'refused' });
    await flush();
    expect(actor.getSnapshot().context.consecutiveFailures).toBe(2);
    clock.increment(999);
    expect(fakes.starts.get('probe')).toBe(1);
    clock.increment(1);
    expect(fakes.starts.get('probe')).toBe(2);
  });

  it('computes exponential delays with jitter, honours Retry-After and opens the circuit after N failures', () => {
    const ctx = (consecutiveFailures: number, retryAfterMs?: number) => ({
      consecutiveFailures,
      lastError: retryAfterMs === undefined ? null : { code: 'RATE_LIMITED' as const, message: '429', retryAfterMs },
      config: DEFAULT_SYNC_CONFIG,
    });
    expect(backoffDelay(ctx(1), () => 0)).toBe(500);
    expect(backoffDelay(ctx(1), () => 1)).toBe(1000);
    expect(backoffDelay(ctx(3), () => 0.5)).toBe(3000);
    expect(backoffDelay(ctx(4), () => 1)).toBe(8000);
    expect(backoffDelay(ctx(1), () => 0)).toBeLessThan(backoffDelay(ctx(2), () => 0));
    expect(backoffDelay(ctx(2, 30_000), () => 0)).toBe(30_000);
    expect(backoffDelay(ctx(DEFAULT_SYNC_CONFIG.circuitThreshold), () => 0)).toBe(DEFAULT_SYNC_CONFIG.circuitCooldownMs);
    expect(backoffDelay({ ...ctx(40), config: { ...DEFAULT_SYNC_CONFIG, circuitThreshold: 100 } }, () => 1)).toBe(DEFAULT_SYNC_CONFIG.backoffMaxMs);
  });

  it('resets the failure counter when RETRY leaves error', async () => {
    const fakes = new FakeActors();
    const clock = new SimulatedClock();
    const actor = startIdle(fakes, { clock });
    await flush();
    actor.send({ type: 'SYNC' });
    await flush();
    fakes.settle('pushBatch', 'error', { code: 'TIMEOUT', message: 'no answer in 10 s' });
    await flush();
    clock.increment(1000);
    fakes.settle('probe', 'done', { latencyMs: 1 });
    await flush();
    expect(actor.getSnapshot().context.consecutiveFailures).toBe(1);
    fakes.settle('pushBatch', 'error', { code: 'INVALID_MESSAGE', message: 'server sent garbage' });
    await flush();
    expect(topStateOf(actor.getSnapshot().value)).toBe('error');
    expect(actor.getSnapshot().context.errorReason).toBe('unknown');
    actor.send({ type: 'RETRY' });
    expect(actor.getSnapshot().matches({ lifecycle: 'reconnecting' })).toBe(true);
    expect(actor.getSnapshot().context.consecutiveFailures).toBe(0);
    expect(actor.getSnapshot().context.lastError).toBeNull();
  });

  it('leaves error(auth) only with a new token', async () => {
    const fakes = new FakeActors();
    const actor = startIdle(fakes);
    await flush();
    actor.send({ type: 'SYNC' });
    await flush();
    fakes.settle('pushBatch', 'error', { code: 'AUTH', message: 'jwt expired', context: { status: 401 } });
    await flush();
    expect(topStateOf(actor.getSnapshot().value)).toBe('error');
    expect(actor.getSnapshot().context.errorReason).toBe('auth');
    expect(actor.getSnapshot().context.lastError).toMatchObject({ code: 'AUTH', status: 401 });
    actor.send({ type: 'SYNC' });
    actor.send({ type: 'ONLINE' });
    expect(topStateOf(actor.getSnapshot().value)).toBe('error');
    actor.send({ type: 'SET_TOKEN' });
    expect(actor.getSnapshot().matches({ lifecycle: 'reconnecting' })).toBe(true);
    expect(actor.getSnapshot().context.errorReason).toBeNull();
  });
});

it('never lets the root actor itself fail: every invoke has an onError', () => {
  const missing: string[] = [];
  const visit = (node: typeof syncMachine.root): void => {
    for (const invoke of node.invoke) {
      if (!node.transitions.has(`xstate.error.actor.${invoke.id}`)) missing.push(`${node.id} invokes ${invoke.id}`);
    }
    for (const child of Object.values(node.states)) visit(child as typeof syncMachine.root);
  };
  visit(syncMachine.root);
  expect(missing).toEqual([]);
});
