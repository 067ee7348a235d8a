import { createActor, toPromise } from 'xstate';
import { describe, expect, it, vi } from 'vitest';
import { createPushBatchActor } from '../../../src/actors/createPushBatchActor';
import { ChartsyncError } from '../../../src/core/errors';
import type { PushResponse } from '../../../src/protocol/schemas';
import type { Transport } from '../../../src/transport/types';
import { openTestStore, task } from '../local/helpers';

type Store = Awaited<ReturnType<typeof openTestStore>>;
type Body = { ops: Array<{ opId: string; table: string; rowId: string }> };
// A server that applies every op but those of `refuse`, answering each row at version 9.
function server(store: Store, refuse: Set<string>, during?: (body: Body) => Promise<void>) {
  const sent: string[][] = [];
  const transport = {
    push: async (body: Body) => {
      sent.push(body.ops.map((op) => op.rowId));
      await during?.(body);
      const response: PushResponse = {
        results: body.ops.map((op) =>
          refuse.has(op.rowId) ? { opId: op.opId, status: 'rejected' as const, reason: 'INVALID_ROW: no' } : { opId: op.opId, status: 'applied' as const },
        ),
        rows: body.ops.map((op) => ({ table: op.table, row: { ...task(op.rowId), id: op.rowId, _v: 9, _deleted: false } })),
        cursor: 'c2.e1.9',
        epoch: 'e1',
      };
      return { response, bytes: 10 };
    },
  } as unknown as Transport;
  const logic = createPushBatchActor({ store, transport, maxOps: 2 });
  const run = (input: { bound?: number | null; after?: number | null }) =>
    toPromise(createActor(logic, { input: { lockToken: 0, bound: input.bound ?? null, after: input.after ?? null } }).start());
  return { sent, run };
}

describe('the push batch actor', () => {
  it('one claim transaction fixes the cycle bound and reads the cursors the push sends; with nothing queued it sends nothing', async () => {
    const store = await openTestStore();
    const claims: unknown[] = [];
    const claim = store.outbox.claim;
    (store.outbox as { claim: typeof claim }).claim = (...args) => {
      claims.push(args);
      return claim(...args);
    };
    const cursorReads: unknown[] = [];
    const cursors = store.meta.cursors;
    (store.meta as { cursors: typeof cursors }).cursors = () => {
      cursorReads.push(1);
      return cursors();
    };
    const pushes: Array<{ cursor?: string; cursorReadsBefore: number }> = [];
    const transport = {
      push: async (body: { cursor?: string; ops: Array<{ opId: string; table: string; rowId: string }> }) => {
        pushes.push({ ...body, cursorReadsBefore: cursorReads.length });
        const response: PushResponse = {
          results: body.ops.map((op) => ({ opId: op.opId, status: 'applied' as const })),
          rows: body.ops.map((op) => ({ table: op.table, row: { ...task(op.rowId), id: op.rowId, _v: 9, _deleted: false } })),
          cursor: 'c2.e1.9',
          epoch: 'e1',
        };
        return { response, bytes: 10 };
      },
    } as unknown as Transport;
    const run = () => toPromise(createActor(createPushBatchActor({ store, transport }), { input: { lockToken: 0, bound: null } }).start());
    expect(await run()).toMatchObject({ pushed: 0, remaining: 0, bound: 0, nextRetryAt: null });
    expect([claims.length, pushes.length]).toEqual([1, 0]);
    await store.applyRemote('tasks', [], 'c2.e1.5');
    await store.put('tasks', task('a'));
    expect(await run()).toMatchObject({ pushed: 1, remaining: 0, bound: 1 });
    expect([claims.length, pushes.length]).toEqual([2, 1]);
    expect(pushes[0]).toMatchObject({ cursor: 'c2.e1.5', cursorReadsBefore: 0 });
    expect(await store.outbox.count()).toBe(0);
    // A bound of 0 (the cycle began with nothing queued) ends the cycle's pushing without a transaction.
    await store.put('tasks', task('b'));
    const zero = await toPromise(createActor(createPushBatchActor({ store, transport }), { input: { lockToken: 0, bound: 0 } }).start());
    expect(zero).toMatchObject({ pushed: 0, bound: 0 });
    expect(claims).toHaveLength(2);
  });

  it('hands the next batch where to read on when its whole batch was applied, and nothing when an op of it was refused', async () => {
    const store = await openTestStore();
    const refuse = new Set<string>();
    const { run } = server(store, refuse);
    await store.bulkPut(
      'tasks',
      ['a', 'b', 'c', 'd', 'e'].map((id) => task(id)),
    );
    const first = await run({ bound: null, after: null });
    expect(first).toMatchObject({ pushed: 2, remaining: 3, bound: 5, after: 2 });
    refuse.add('c');
    const second = await run({ bound: 5, after: first.after! });
    expect(second).toMatchObject({ pushed: 2, after: null });
    refuse.clear();
    const third = await run({ bound: 5, after: null });
    expect(third).toMatchObject({ pushed: 1, remaining: 0, after: 5 });
    expect(await store.outbox.count()).toBe(0);
    expect((await store.deadLetters.list()).map((letter) => letter.op.rowId)).toEqual(['c']);
  });

  describe('claiming the next batch while one is pushed', () => {
    const states = async (store: Store) => (await store.outbox.list()).map((op) => `${op.rowId}:${op.state}:${op.attempts}`);

    it('the next batch is claimed during the push and sent by the next run without claiming again', async () => {
      const store = await openTestStore();
      await store.bulkPut(
        'tasks',
        ['a', 'b', 'c', 'd', 'e'].map((id) => task(id)),
      );
      const claims: unknown[] = [];
      const claim = store.outbox.claim;
      (store.outbox as { claim: typeof claim }).claim = (...args) => {
        claims.push(args);
        return claim(...args);
      };
      const seen: string[][] = [];
      const { sent, run } = server(store, new Set(), async () => {
        // While a batch is out, the one after it is claimed (in flight, one attempt) — except for the last batch.
        const inflight = [4, 3, 1][sent.length - 1]!;
        await vi.waitFor(async () => expect((await states(store)).filter((s) => s.endsWith(':inflight:1'))).toHaveLength(inflight));
        seen.push(await states(store));
      });
      let output = await run({ bound: null, after: null });
      while (output.remaining > 0) output = await run({ bound: output.bound, after: output.after });
      expect(sent).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
      expect(seen).toEqual([
        ['a:inflight:1', 'b:inflight:1', 'c:inflight:1', 'd:inflight:1', 'e:pending:0'],
        ['c:inflight:1', 'd:inflight:1', 'e:inflight:1'],
        ['e:inflight:1'],
      ]);
      expect(claims).toHaveLength(1);
      expect(await store.outbox.count()).toBe(0);
    });

    it('a batch claimed ahead goes back unsent when the batch before it was not wholly applied, and the next run reads the whole queue', async () => {
      const store = await openTestStore();
      await store.bulkPut(
        'tasks',
        ['a', 'b', 'c', 'd', 'e'].map((id) => task(id)),
      );
      const { sent, run } = server(store, new Set(['b']), async () => {
        await vi.waitFor(async () => expect(await states(store)).toContain('d:inflight:1'));
      });
      const first = await run({ bound: null, after: null });
      expect(first).toMatchObject({ pushed: 2, after: null, remaining: 3 });
      // c and d were never sent: pending again, no attempt counted, so a write coalesces into c's op.
      expect(await states(store)).toEqual(['c:pending:0', 'd:pending:0', 'e:pending:0']);
      await store.update('tasks', 'c', { status: 'done' });
      expect(await store.outbox.count()).toBe(3);
      await run({ bound: first.bound, after: null });
      expect(sent.slice(0, 2)).toEqual([
        ['a', 'b'],
        ['c', 'd'],
      ]);
    });

    it('a batch claimed ahead goes back unsent when the push before it fails on the network', async () => {
      const store = await openTestStore();
      await store.bulkPut(
        'tasks',
        ['a', 'b', 'c', 'd', 'e'].map((id) => task(id)),
      );
      const { run } = server(store, new Set(), async () => {
        await vi.waitFor(async () => expect(await states(store)).toContain('d:inflight:1'));
        throw new ChartsyncError('NETWORK', 'the network went away');
      });
      await expect(run({ bound: null, after: null })).rejects.toMatchObject({ code: 'NETWORK' });
      expect(await states(store)).toEqual(['a:pending:1', 'b:pending:1', 'c:pending:0', 'd:pending:0', 'e:pending:0']);
    });

    it('a dead letter retried while the next batch was claimed ahead goes first, before a later op of its row', async () => {
      const store = await openTestStore();
      await store.put('tasks', task('x'));
      const refuse = new Set(['x']);
      let retry = false;
      const { sent, run } = server(store, refuse, async () => {
        if (!retry) return;
        retry = false;
        await vi.waitFor(async () => expect(await states(store)).toContain('c:inflight:1'));
        const [letter] = await store.deadLetters.list();
        await store.deadLetters.retry(letter!.id!);
      });
      await run({ bound: null, after: null });
      expect((await store.deadLetters.list()).map((letter) => letter.op.rowId)).toEqual(['x']);
      refuse.clear();
      // x written again (a new create), queued after a and b; the app retries x's dead letter while [a, b] is out.
      await store.bulkPut(
        'tasks',
        ['a', 'b'].map((id) => task(id)),
      );
      await store.put('tasks', task('x', { title: 'again' }));
      await store.put('tasks', task('c'));
      retry = true;
      let output = await run({ bound: null, after: null });
      while (output.remaining > 0) output = await run({ bound: output.bound, after: output.after });
      const order = sent.slice(1).flat();
      expect(order.filter((row) => row === 'x')).toHaveLength(2);
      expect(sent.slice(1)[1]).toEqual(['x', 'x']);
      expect(order).toEqual(['a', 'b', 'x', 'x', 'c']);
    });
  });
});
