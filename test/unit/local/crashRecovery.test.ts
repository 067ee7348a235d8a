import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createRehydrateActor } from '../../../src/actors/rehydrate';
import { createOutboxLock, createSyncLock } from '../../../src/coordination/createSyncLock';
import { freshIndexedDb, openTestStore, task } from './helpers';

const LEASE = 10_000;

describe('crash recovery', () => {
  it("puts a killed tab's in-flight ops back to pending, none lost and none doubled", async () => {
    const browser = freshIndexedDb();
    let now = 1_000;
    const tab = await openTestStore({ ...browser, now: () => now });
    await tab.bulkPut('tasks', [task('a'), task('b'), task('c')]);
    const lock = await createSyncLock({ db: tab.db, ownerId: 'killed-tab', locks: null, leaseMs: LEASE, now: () => now, autoRenew: false }).tryAcquire();
    const batch = await tab.outbox.peekBatch({ maxOps: 2 });
    await tab.outbox.markInflight(
      batch.map((o) => o.opId),
      lock!.token,
    );
    const before = await tab.outbox.list();
    // The tab is killed: no close, no release. Later the app starts again in a new tab.
    now += LEASE + 1;
    const restarted = await openTestStore({ ...browser, now: () => now });
    const rehydrate = createRehydrateActor({
      store: restarted,
      lock: createOutboxLock(restarted, { ownerId: 'new-tab', locks: null, leaseMs: LEASE, now: () => now, autoRenew: false }),
    });
    const output = await toPromise(createActor(rehydrate, { input: { tables: restarted.tables } }).start());
    const after = await restarted.outbox.list();
    expect(after.map((o) => o.state)).toEqual(['pending', 'pending', 'pending']);
    expect(after.map((o) => o.opId)).toEqual(before.map((o) => o.opId));
    expect(after.filter((o) => o.attempts === 1)).toHaveLength(2);
    expect(output).toMatchObject({ needsInitial: ['tasks', 'notes'], cursors: { tasks: null, notes: null } });
    // Sent once, so never coalesced again: a new edit queues behind them.
    await restarted.update('tasks', batch[0]!.rowId, { title: 'after the crash' });
    expect(await restarted.outbox.count()).toBe(4);
  });

  it("leaves in-flight ops alone while their tab's lease is alive (it may be a live leader)", async () => {
    const browser = freshIndexedDb();
    const now = 1_000;
    const leader = await openTestStore({ ...browser, now: () => now });
    await leader.put('tasks', task('a'));
    const held = await createSyncLock({ db: leader.db, ownerId: 'leader', locks: null, leaseMs: LEASE, now: () => now, autoRenew: false }).tryAcquire();
    await leader.outbox.markInflight(
      (await leader.outbox.list()).map((o) => o.opId),
      held!.token,
    );
    const follower = await openTestStore({ ...browser, now: () => now });
    const rehydrate = createRehydrateActor({
      store: follower,
      lock: createOutboxLock(follower, { ownerId: 'follower', locks: null, leaseMs: LEASE, now: () => now, autoRenew: false }),
    });
    await toPromise(createActor(rehydrate, { input: { tables: follower.tables } }).start());
    expect((await follower.outbox.list()).map((o) => o.state)).toEqual(['inflight']);
  });

  it("the outbox lock reads the cycle's bound in the lease's transaction: the newest outbox key, 0 when empty", async () => {
    const store = await openTestStore();
    const lock = createOutboxLock(store, { ownerId: 'tab', locks: null, leaseMs: LEASE, autoRenew: false });
    const empty = await lock.tryAcquire();
    expect(empty?.taken).toBe(0);
    await empty?.release();
    await store.bulkPut('tasks', [task('a'), task('b')]);
    const held = await lock.tryAcquire();
    expect(held?.taken).toBe((await store.outbox.list()).at(-1)?.seq);
    expect(held?.taken).toBeGreaterThan(0);
    await held?.release();
  });

  it('restores the persisted counters', async () => {
    const store = await openTestStore();
    await store.meta.saveSnapshot({
      metrics: { cycles: 7, opsPushed: 70, rowsPulled: 3, bytesPushed: 1, bytesPulled: 2, lastPushMs: 5, failures: 1 },
      lastSyncedAt: 42,
      lastSyncByTable: { tasks: 42 },
      consecutiveFailures: 2,
      savedAt: 50,
    });
    const rehydrate = createRehydrateActor({ store, lock: createSyncLock({ db: store.db, ownerId: 't', locks: null, autoRenew: false }) });
    const output = await toPromise(createActor(rehydrate, { input: { tables: store.tables } }).start());
    expect(output.restored).toEqual({
      metrics: { cycles: 7, opsPushed: 70, rowsPulled: 3, bytesPushed: 1, bytesPulled: 2, lastPushMs: 5, failures: 1 },
      lastSyncedAt: 42,
      lastSyncByTable: { tasks: 42 },
      consecutiveFailures: 2,
    });
  });
});
