import { IDBDatabase as FDBDatabase } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isChartsyncError } from '../../../src/core/errors';
import { setMeta, META_KEYS } from '../../../src/local/meta';
import type { OutboxEntry } from '../../../src/local/types';
import { openTestStore, task } from './helpers';

afterEach(() => vi.restoreAllMocks());

describe('coalescing through the store', () => {
  it.each([
    [
      'update + update',
      async (s: Store) => {
        await s.put('tasks', task('t1'));
        await sent(s);
        await s.update('tasks', 't1', { title: 'a' });
        await s.update('tasks', 't1', { status: 'done' });
      },
      { kind: 'update', patch: { title: 'a', status: 'done' } },
    ],
    [
      'create + update',
      async (s: Store) => {
        await s.put('tasks', task('t1'));
        await s.update('tasks', 't1', { title: 'b' });
      },
      { kind: 'create', patch: { ...task('t1'), title: 'b' } },
    ],

    [
      'delete + create',
      async (s: Store) => {
        await s.put('tasks', task('t1'));
        await sent(s);
        await s.delete('tasks', 't1');
        await s.put('tasks', task('t1', { title: 'again' }));
      },
      { kind: 'create', patch: task('t1', { title: 'again' }) },
    ],
  ] as const)('%s leaves one pending op of the right kind', async (_name, run, expected) => {
    const store = await openTestStore();
    await run(store);
    const pending = (await store.outbox.list()).filter((o) => o.state === 'pending');
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject(expected);
  });

  it('regression: a delete never absorbs the writes before it: create + delete and update + delete are both sent, in order', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('t1'));
    await store.delete('tasks', 't1');
    expect((await store.outbox.list()).map((o) => o.kind)).toEqual(['create', 'delete']);
    await store.put('tasks', task('t2'));
    await sent(store);
    await store.update('tasks', 't2', { title: 'a' });
    await store.delete('tasks', 't2');
    expect((await store.outbox.list()).filter((o) => o.rowId === 't2').map((o) => [o.kind, o.patch])).toEqual([
      ['update', { title: 'a' }],
      ['delete', undefined],
    ]);
  });

  it('never coalesces into an op that was sent', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('t1'));
    await store.update('tasks', 't1', { tags: ['x'] });
    const [first] = await store.outbox.list();
    await store.outbox.markInflight([first!.opId], 0);
    await store.outbox.fail([first!.opId], { final: false, reason: 'timeout', code: 'TIMEOUT' }, 0, { now: 0, random: () => 0.5 });
    await store.update('tasks', 't1', { status: 'done' });
    const ops = await store.outbox.list();
    expect(ops.map((o) => [o.kind, o.priority, o.attempts])).toEqual([
      ['create', 1, 1],
      ['update', 1, 0],
    ]);
  });
});

type Store = Awaited<ReturnType<typeof openTestStore>>;
/** Acknowledges `batch` by key, each row answered at versions 1, 2, ... in batch order; resolves to the ops removed. */
function acknowledge(store: Store, batch: readonly OutboxEntry[]) {
  return store.outbox.ack(
    batch.map((op) => ({ opId: op.opId, seq: op.seq! })),
    batch.map((op, i) => ({ table: op.table, row: { ...task(op.rowId), _v: i + 1, _deleted: false } })),
    0,
  );
}
async function sent(store: Store) {
  const ops = await store.outbox.list();
  await store.outbox.markInflight(
    ops.map((o) => o.opId),
    0,
  );
  await store.outbox.ack(
    ops.map((o) => ({ opId: o.opId })),
    ops.map((o) => ({ table: o.table, row: { ...(o.patch ?? {}), id: o.rowId, _v: 1, _deleted: false } })),
    0,
  );
}

describe('the outbox queue', () => {
  it('peeks by priority then age, skipping backoff and rows with an op in flight', async () => {
    let now = 1000;
    const store = await openTestStore({ now: () => now });
    await store.bulkPut('tasks', [task('a'), task('b'), task('c')]);
    await sent(store);
    now = 2000;
    await store.update('tasks', 'a', { tags: ['z'] }); // priority 4
    now = 3000;
    await store.update('tasks', 'b', { status: 'done' }); // priority 1
    now = 4000;
    await store.update('tasks', 'c', { title: 'c2' }); // priority 2
    expect((await store.outbox.peekBatch()).map((o) => o.rowId)).toEqual(['b', 'c', 'a']);
    expect((await store.outbox.peekBatch({ maxOps: 2 })).map((o) => o.rowId)).toEqual(['b', 'c']);
    // An op in retry backoff waits; so does the next op of its row.
    const b = (await store.outbox.peekBatch())[0]!;
    await store.outbox.markInflight([b.opId], 0);
    expect((await store.outbox.peekBatch()).map((o) => o.rowId)).toEqual(['c', 'a']);
    await store.outbox.fail([b.opId], { final: false, reason: '503', code: '503' }, 0, { now, random: () => 0.5 });
    await store.update('tasks', 'b', { title: 'later' });
    expect((await store.outbox.peekBatch()).map((o) => o.rowId)).toEqual(['c', 'a']);
    expect((await store.outbox.peekBatch({ now: now + 1000 })).map((o) => `${o.rowId}:${o.kind}`)).toEqual(['b:update', 'c:update', 'b:update', 'a:update']);
    expect(await store.outbox.countReady(now)).toBe(2);
  });

  it('a claim tells what is left to push once its batch is acknowledged, as a fresh read of the queue would', async () => {
    const store = await openTestStore();
    await store.bulkPut('tasks', [task('a'), task('b'), task('c'), task('d')]);
    await sent(store);
    // a: two ops (the second waits behind the first), b: in retry backoff, c and d: one op each.
    await store.update('tasks', 'a', { title: 'a1' });
    const [first] = await store.outbox.list();
    await store.outbox.markInflight([first!.opId], 0);
    await store.update('tasks', 'a', { title: 'a2' });
    await store.outbox.resetInflight(0);
    await store.update('tasks', 'b', { title: 'b1' });
    const b = (await store.outbox.list()).find((o) => o.rowId === 'b')!;
    await store.outbox.markInflight([b.opId], 0);
    await store.outbox.fail([b.opId], { final: false, reason: '503', code: '503' }, 0, { now: Date.now(), random: () => 0.5 });
    await store.update('tasks', 'c', { title: 'c1' });
    await store.update('tasks', 'd', { title: 'd1' });
    const bound = await store.outbox.lastSeq();
    const { batch, outlook } = await store.outbox.claim(0, { maxOps: 2, maxSeq: bound });
    expect(batch).toHaveLength(2);
    await store.outbox.ack(
      batch.map((o) => ({ opId: o.opId })),
      batch.map((o) => ({ table: o.table, row: { ...task(o.rowId), ...(o.patch ?? {}), id: o.rowId, _v: 2, _deleted: false } })),
      0,
    );
    const fresh = await store.outbox.outlook(bound);
    expect(outlook).toEqual(fresh);
    expect(fresh.nextRetryAt).not.toBeNull();
  });

  it('stops a batch at the byte limit but always sends at least one op', async () => {
    const store = await openTestStore();
    await store.bulkPut('tasks', [task('a', { description: 'x'.repeat(3000) }), task('b'), task('c')]);
    const sizes = (await store.outbox.list()).map((o) => JSON.stringify(o).length);
    expect(await store.outbox.peekBatch({ maxBytes: 100 })).toHaveLength(1);
    expect(await store.outbox.peekBatch({ maxBytes: sizes[0]! + sizes[1]! + 1 })).toHaveLength(2);
    expect(await store.outbox.peekBatch({ maxBytes: 100_000 })).toHaveLength(3);
  });

  it('backs off 1 s, 2 s, 4 s ... up to 60 s, then dead-letters after too many attempts', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('a'));
    const [op] = await store.outbox.list();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      await store.outbox.markInflight([op!.opId], 0);
      await store.outbox.fail([op!.opId], { final: false, reason: 'offline', code: 'NETWORK' }, 0, { now: 0, random: () => 0.5, maxAttempts: 8 });
      const [entry] = await store.outbox.list();
      if (entry) delays.push(entry.nextAttemptAt);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000]);
    expect(await store.outbox.count()).toBe(0);
    const [letter] = await store.deadLetters.list();
    expect(letter).toMatchObject({ code: 'NETWORK', reason: 'gave up after 8 attempts: offline' });
  });

  it('moves a rejected op aside so the next op is sent, and can retry or discard it', async () => {
    const store = await openTestStore();
    await store.bulkPut('tasks', [task('poison'), task('fine')]);
    const batch = await store.outbox.peekBatch();
    await store.outbox.markInflight(
      batch.map((o) => o.opId),
      0,
    );
    await store.outbox.fail([batch[0]!.opId], { final: true, reason: 'row too large', code: '413' }, 0);
    await store.outbox.fail([batch[1]!.opId], { final: false, reason: 'timeout', code: 'TIMEOUT' }, 0, { now: 0 });
    expect((await store.outbox.peekBatch({ now: 10_000 })).map((o) => o.rowId)).toEqual(['fine']);
    const [letter] = await store.deadLetters.list();
    expect(letter).toMatchObject({ reason: 'row too large', code: '413', op: { rowId: 'poison' } });
    await store.deadLetters.retry(letter!.id!);
    expect((await store.outbox.peekBatch({ now: 10_000 })).map((o) => o.rowId)).toEqual(['poison', 'fine']);
    await store.outbox.fail([batch[0]!.opId], { final: true, reason: 'still too large', code: '413' }, 0);
    const [again] = await store.deadLetters.list();
    await store.deadLetters.discard(again!.id!);
    expect(await store.deadLetters.list()).toEqual([]);
    await expect(store.deadLetters.discard(again!.id!)).rejects.toThrow(/No dead letter/);
  });

  it('refuses to mark ops in flight under a stale fencing token', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('a'));
    await setMeta(store.db, META_KEYS.fence, 5);
    const [op] = await store.outbox.list();
    const error = await store.outbox.markInflight([op!.opId], 4).catch((e: unknown) => e);
    expect(isChartsyncError(error, 'STALE_LOCK')).toBe(true);
    expect((await store.outbox.list())[0]?.state).toBe('pending');
    await store.outbox.markInflight([op!.opId], 5);
    expect((await store.outbox.list())[0]?.state).toBe('inflight');
  });
});

describe('bulk writes', () => {
  it('writes 10,000 rows and their 10,000 ops in a handful of transactions', async () => {
    const store = await openTestStore();
    const transaction = vi.spyOn(FDBDatabase.prototype, 'transaction');
    const rows = Array.from({ length: 10_000 }, (_, i) => task(`t${String(i).padStart(5, '0')}`));
    await store.bulkPut('tasks', rows);
    const transactions = transaction.mock.calls.length;
    expect(transactions).toBeLessThanOrEqual(3);
    expect(await store.db.table('tasks').count()).toBe(10_000);
    expect(await store.outbox.count()).toBe(10_000);
    expect(new Set((await store.outbox.list()).map((o) => o.rowId)).size).toBe(10_000);
  });
});

describe('acknowledging a batch', () => {
  it('removes exactly the acknowledged ops of a large batch: one left unacknowledged in its middle, and newer ops, stay', async () => {
    const store = await openTestStore();
    await store.bulkPut(
      'tasks',
      Array.from({ length: 60 }, (_, i) => task(`t${String(i).padStart(3, '0')}`)),
    );
    const batch = await store.outbox.claimBatch(0, { maxOps: 50 });
    expect(batch).toHaveLength(50);
    await store.put('tasks', task('later'));
    const kept = batch[25]!;
    const acked = batch.filter((op) => op !== kept);
    expect(await acknowledge(store, acked)).toBe(49);
    const left = await store.outbox.list();
    expect(left.map((op) => op.rowId)).toEqual([kept.rowId, ...Array.from({ length: 10 }, (_, i) => `t${String(50 + i).padStart(3, '0')}`), 'later']);
    expect(await store.db.table('tasks').get('t000')).toMatchObject({ _v: 1 });
  });

  it('removes a whole large batch acknowledged at once, and no op outside it', async () => {
    const store = await openTestStore();
    await store.bulkPut(
      'tasks',
      Array.from({ length: 45 }, (_, i) => task(`t${String(i).padStart(3, '0')}`)),
    );
    const batch = await store.outbox.claimBatch(0, { maxOps: 40 });
    expect(await acknowledge(store, batch)).toBe(40);
    expect((await store.outbox.list()).map((op) => op.rowId)).toEqual(['t040', 't041', 't042', 't043', 't044']);
    const rows = await store.db.table('tasks').bulkGet(batch.map((op) => op.rowId));
    expect(rows.map((row) => row?._v)).toEqual(batch.map((_, i) => 1 + i));
    expect(rows.every((row) => row?._op === undefined)).toBe(true);
  });
});

describe('claiming a batch', () => {
  const id = (i: number) => `t${String(i).padStart(4, '0')}`;
  // Queues a create of tasks id(0) ... id(count - 1); resolves to the outbox's last key (a cycle's bound).
  const queueTasks = async (store: Store, count: number) => {
    await store.bulkPut(
      'tasks',
      Array.from({ length: count }, (_, i) => task(id(i))),
    );
    return store.outbox.lastSeq();
  };
  it('a queue in queue order is claimed batch after batch from where the last one ended, as whole-queue reads would claim it', async () => {
    const store = await openTestStore();
    const bound = await queueTasks(store, 250);
    await store.put('tasks', task('after-the-bound'));
    const claimed: string[] = [];
    let after: number | null = null;
    for (let round = 0; round < 3; round++) {
      const claim = await store.outbox.claim(0, { maxOps: 100, maxSeq: bound, after });
      claimed.push(...claim.batch.map((op) => op.rowId));
      expect(claim.after).toBe(claim.batch.at(-1)!.seq);
      expect(claim.outlook).toEqual({ ready: 250 - claimed.length, nextRetryAt: null });
      await acknowledge(store, claim.batch);
      expect(claim.outlook).toEqual(await store.outbox.outlook(bound));
      after = claim.after;
    }
    expect(claimed).toEqual(Array.from({ length: 250 }, (_, i) => id(i)));
    const last = await store.outbox.claim(0, { maxOps: 100, maxSeq: bound, after });
    expect(last.batch).toEqual([]);
    expect((await store.outbox.list()).map((op) => op.rowId)).toEqual(['after-the-bound']);
  });

  it('an op put back below where the claims read on (a dead letter retried mid-cycle) is claimed first: the next claim reads the whole queue', async () => {
    const store = await openTestStore();
    const bound = await queueTasks(store, 6);
    const first = await store.outbox.claim(0, { maxOps: 3, maxSeq: bound });
    expect(first.after).toBe(first.batch.at(-1)!.seq);
    // The server refuses the second op for good; the others are acknowledged; the app retries the refused one.
    const [one, refused, three] = first.batch;
    await store.outbox.fail([refused!.opId], { final: true, reason: 'INVALID_ROW: no', code: 'INVALID_ROW' }, 0);
    await acknowledge(store, [one!, three!]);
    const [letter] = await store.deadLetters.list();
    await store.deadLetters.retry(letter!.id!);
    const next = await store.outbox.claim(0, { maxOps: 3, maxSeq: bound, after: first.after });
    expect(next.batch.map((op) => op.rowId)).toEqual([id(1), id(3), id(4)]);
  });

  it('claims ahead, while the batch before is in flight, what the next claim would claim once it is acknowledged; nothing out of queue order', async () => {
    const store = await openTestStore();
    const bound = await queueTasks(store, 7);
    const first = await store.outbox.claim(0, { maxOps: 3, maxSeq: bound });
    const ahead = await store.outbox.claimAhead(0, { maxOps: 3, maxSeq: bound, after: first.after! });
    expect(ahead!.batch.map((op) => [op.rowId, op.state, op.attempts])).toEqual([
      [id(3), 'inflight', 1],
      [id(4), 'inflight', 1],
      [id(5), 'inflight', 1],
    ]);
    expect(ahead!.outlook).toEqual({ ready: 1, nextRetryAt: null });
    // Not sendable while the batch before it is still queued; sendable, with the cursors read now, once it is acknowledged.
    expect(await store.outbox.confirmAhead(0, ahead!)).toBeNull();
    await store.applyRemote('tasks', [], 'c2.e1.4');
    await acknowledge(store, first.batch);
    expect(await store.outbox.confirmAhead(0, ahead!)).toMatchObject({ batch: ahead!.batch, cursors: { tasks: 'c2.e1.4' } });
    await expect(store.outbox.confirmAhead(1, ahead!)).rejects.toMatchObject({ code: 'STALE_LOCK' });
    // Updates of lower priority after the batch in flight: nothing is claimed ahead, nothing marked.
    await acknowledge(store, ahead!.batch);
    await store.update('tasks', id(6), { description: 'later' });
    const last = await store.outbox.claim(0, { maxOps: 1, maxSeq: bound, after: ahead!.after });
    expect(last.batch.map((op) => op.rowId)).toEqual([id(6)]);
    await store.update('tasks', id(0), { description: 'later' });
    await store.update('tasks', id(1), { description: 'later' });
    const queued = await store.outbox.lastSeq();
    expect(await store.outbox.claimAhead(0, { maxOps: 3, maxSeq: queued, after: last.after! })).toBeNull();
    expect((await store.outbox.list()).map((op) => op.state)).toEqual(['inflight', 'pending', 'pending']);
  });

  it('a batch claimed ahead is not sendable when a dead letter was put back below it meanwhile, and goes back unsent', async () => {
    const store = await openTestStore();
    const bound = await queueTasks(store, 6);
    const first = await store.outbox.claim(0, { maxOps: 2, maxSeq: bound });
    const ahead = await store.outbox.claimAhead(0, { maxOps: 2, maxSeq: bound, after: first.after! });
    const [refused, one] = first.batch;
    await store.outbox.fail([refused!.opId], { final: true, reason: 'INVALID_ROW: no', code: 'INVALID_ROW' }, 0);
    await acknowledge(store, [one!]);
    const [letter] = await store.deadLetters.list();
    await store.deadLetters.retry(letter!.id!);
    expect(await store.outbox.confirmAhead(0, ahead!)).toBeNull();
    // Released unsent: back to pending with no attempt counted, so a write still coalesces into it.
    await store.outbox.resetInflight(0, { opIds: ahead!.batch.map((op) => op.opId), unsent: true });
    await store.update('tasks', id(2), { status: 'done' });
    expect((await store.outbox.list()).map((op) => [op.rowId, op.state, op.attempts])).toEqual([
      [id(0), 'pending', 1],
      [id(2), 'pending', 0],
      [id(3), 'pending', 0],
      [id(4), 'pending', 0],
      [id(5), 'pending', 0],
    ]);
    expect((await store.outbox.list())[1]).toMatchObject({ kind: 'create', row: { status: 'done' } });
  });

  it('a queue not in queue order is read whole: urgent updates first, and no claim reads on from its last key', async () => {
    const store = await openTestStore();
    await queueTasks(store, 6);
    await sent(store);
    // Descriptions (priority 3) queued before statuses (priority 1): the statuses go first.
    for (let i = 0; i < 3; i++) await store.update('tasks', id(i), { description: 'later' });
    for (let i = 3; i < 6; i++) await store.update('tasks', id(i), { status: 'done' });
    const bound = await store.outbox.lastSeq();
    const whole = await store.outbox.claim(0, { maxOps: 3, maxSeq: bound });
    expect(whole.batch.map((op) => op.rowId)).toEqual([id(3), id(4), id(5)]);
    expect(whole.after).toBeNull();
    // Told to read on from a key anyway (a stale `after`), the claim checks what it reads and reads the whole queue.
    await store.outbox.resetInflight(0);
    const stale = await store.outbox.claim(0, { maxOps: 3, maxSeq: bound, after: 0 });
    expect(stale.batch.map((op) => op.rowId)).toEqual([id(3), id(4), id(5)]);
    expect(stale.after).toBeNull();
  });

  it('a clock set back between writes breaks queue order: the older op is claimed first, and the next claim reads the whole queue', async () => {
    let clock = 1_000_000;
    const store = await openTestStore({ now: () => clock });
    await queueTasks(store, 3);
    clock -= 500;
    await store.put('tasks', task('older'));
    const bound = await store.outbox.lastSeq();
    const claim = await store.outbox.claim(0, { maxOps: 2, maxSeq: bound });
    expect(claim.batch.map((op) => op.rowId)).toEqual(['older', id(0)]);
    expect(claim.after).toBeNull();
  });

  it('sends what the outbox holds: a write coalesced between reading and claiming is claimed merged (regression)', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('a'));
    await sent(store);
    await store.update('tasks', 'a', { title: 'first' });
    const peeked = await store.outbox.peekBatch();
    await store.update('tasks', 'a', { status: 'done' });
    const claimed = await store.outbox.claimBatch(0);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ opId: peeked[0]!.opId, patch: { title: 'first', status: 'done' }, state: 'inflight', attempts: 1 });
    // In flight now: a new write queues behind it instead of changing it.
    await store.update('tasks', 'a', { title: 'second' });
    expect((await store.outbox.list()).map((o) => o.state)).toEqual(['inflight', 'pending']);
  });

  it('regression: claims the create and the delete of a row created and deleted before it was sent (another device may have created the id)', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('ghost'));
    await store.delete('tasks', 'ghost');
    expect(await store.outbox.claimBatch(0)).toMatchObject([
      { kind: 'create', rowId: 'ghost' },
      { kind: 'delete', rowId: 'ghost' },
    ]);
  });

  it("regression: never sends a row's ops out of order when coalescing makes the later one more urgent", async () => {
    const store = await openTestStore();
    await store.put('tasks', task('t1'));
    await sent(store);
    // op1 (tags, priority 4) was sent once and came back after a dropped request: it can no longer coalesce.
    await store.update('tasks', 't1', { tags: ['x'] });
    const [op1] = await store.outbox.claimBatch(0);
    await store.outbox.resetInflight(0);
    // op2 (title, priority 2), then a status edit coalesces into it and makes it priority 1.
    await store.update('tasks', 't1', { title: 'renamed' });
    await store.update('tasks', 't1', { status: 'done' });
    const ops = await store.outbox.list();
    expect(ops.map((o) => [o.opId === op1!.opId, o.priority])).toEqual([
      [true, 4],
      [false, 1],
    ]);
    expect((await store.outbox.claimBatch(0)).map((o) => o.opId)).toEqual(ops.map((o) => o.opId));
  });

  it('sends an op whose batch timed out alone from then on', async () => {
    const store = await openTestStore();
    await store.bulkPut('tasks', [task('a'), task('b'), task('c')]);
    const batch = await store.outbox.claimBatch(0);
    await store.outbox.resetInflight(0, { opIds: batch.map((o) => o.opId), alone: true });
    expect(await store.outbox.claimBatch(0)).toHaveLength(1);
    expect(await store.outbox.claimBatch(0)).toHaveLength(1);
  });

  it('pushes only what was queued when the cycle began (maxSeq), so a write burst cannot starve pulls', async () => {
    const store = await openTestStore();
    await store.bulkPut('tasks', [task('a'), task('b')]);
    const bound = await store.outbox.lastSeq();
    await store.bulkPut('tasks', [task('c'), task('d')]);
    expect((await store.outbox.peekBatch({ maxSeq: bound })).map((o) => o.rowId)).toEqual(['a', 'b']);
    expect(await store.outbox.countReady(undefined, bound)).toBe(2);
  });
});
