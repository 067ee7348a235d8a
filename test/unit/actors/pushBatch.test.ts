import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createPushBatchActor } from '../../../src/actors/createPushBatchActor';
import type { PushResponse } from '../../../src/protocol/schemas';
import type { Transport } from '../../../src/transport/types';
import { openTestStore, task } from '../local/helpers';

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
    let rejectedRow: string | null = null;
    const transport = {
      push: async (body: { ops: Array<{ opId: string; table: string; rowId: string }> }) => {
        const response: PushResponse = {
          results: body.ops.map((op) =>
            op.rowId === rejectedRow
              ? { opId: op.opId, status: 'rejected' as const, reason: 'INVALID_ROW: no' }
              : { opId: op.opId, status: 'applied' as const },
          ),
          rows: body.ops.map((op) => ({ table: op.table, row: { ...task(op.rowId), id: op.rowId, _v: 9, _deleted: false } })),
          cursor: 'c2.e1.9',
          epoch: 'e1',
        };
        return { response, bytes: 10 };
      },
    } as unknown as Transport;
    const run = (input: { bound: number | null; after: number | null }) =>
      toPromise(createActor(createPushBatchActor({ store, transport, maxOps: 2 }), { input: { lockToken: 0, ...input } }).start());
    await store.bulkPut(
      'tasks',
      ['a', 'b', 'c', 'd', 'e'].map((id) => task(id)),
    );
    const first = await run({ bound: null, after: null });
    expect(first).toMatchObject({ pushed: 2, remaining: 3, bound: 5, after: 2 });
    rejectedRow = 'c';
    const second = await run({ bound: 5, after: first.after! });
    expect(second).toMatchObject({ pushed: 2, after: null });
    rejectedRow = null;
    const third = await run({ bound: 5, after: null });
    expect(third).toMatchObject({ pushed: 1, remaining: 0, after: 5 });
    expect(await store.outbox.count()).toBe(0);
    expect((await store.deadLetters.list()).map((letter) => letter.op.rowId)).toEqual(['c']);
  });
});
