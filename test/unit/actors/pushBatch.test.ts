import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createPushBatchActor } from '../../../src/actors/createPushBatchActor';
import type { PushResponse } from '../../../src/protocol/schemas';
import type { Transport } from '../../../src/transport/types';
import { openTestStore, task } from '../local/helpers';

describe('the push batch actor', () => {
  it('with nothing queued when the cycle began, claims nothing and sends nothing (no outbox transaction)', async () => {
    const store = await openTestStore();
    const claims: unknown[] = [];
    const claim = store.outbox.claim;
    (store.outbox as { claim: typeof claim }).claim = (...args) => {
      claims.push(args);
      return claim(...args);
    };
    const pushes: unknown[] = [];
    const transport = {
      push: async (body: { ops: Array<{ opId: string; table: string; rowId: string }> }) => {
        pushes.push(body);
        const response: PushResponse = {
          results: body.ops.map((op) => ({ opId: op.opId, status: 'applied' as const })),
          rows: body.ops.map((op) => ({ table: op.table, row: { ...task(op.rowId), id: op.rowId, _v: 1, _deleted: false } })),
          cursor: 'c2.e1.1',
          epoch: 'e1',
        };
        return { response, bytes: 10 };
      },
    } as unknown as Transport;
    const run = () => toPromise(createActor(createPushBatchActor({ store, transport }), { input: { lockToken: 0, bound: null } }).start());
    expect(await run()).toMatchObject({ pushed: 0, remaining: 0, bound: 0, nextRetryAt: null });
    expect([claims.length, pushes.length]).toEqual([0, 0]);
    await store.put('tasks', task('a'));
    expect(await run()).toMatchObject({ pushed: 1, remaining: 0 });
    expect([claims.length, pushes.length]).toEqual([1, 1]);
    expect(await store.outbox.count()).toBe(0);
  });
});
