import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOp } from '../../../src/core/outbox/applyOp';
import { coalesceOps } from '../../../src/core/outbox/coalesceOps';
import { orderForPush } from '../../../src/core/outbox/orderForPush';
import { fieldTime, type Op, type OpKind } from '../../../src/core/outbox/types';
import type { JsonObject } from '../../../src/core/json/types';

let n = 0;
function op(kind: OpKind, patch?: JsonObject, extra: Partial<Op> = {}): Op {
  n += 1;
  return { opId: `op${n}`, table: 'tasks', rowId: 'r1', kind, ...(patch ? { patch } : {}), at: n, priority: 5, createdAt: n, ...extra };
}
const based = { base: { v: 4 } };

describe('coalescing pending ops of one row', () => {
  it("update + update merges the patches, keeping the first op id and base, and each field's own write time", () => {
    const first = op('update', { title: 'a', status: 'todo' }, based);
    const second = op('update', { title: 'b' });
    expect(coalesceOps(first, second)).toEqual({ ...first, patch: { title: 'b', status: 'todo' }, at: second.at, fieldAt: { status: first.at }, writes: 2 });
  });

  it("regression: coalescing keeps older fields' write times instead of stamping them with the newest", () => {
    const t1 = op('update', { title: 'x' }, { base: { v: 4, fields: { title: ['old'] } }, at: 1000 });
    const t3 = op('update', { status: 'done' }, { base: { v: 4, fields: { status: ['todo'] } }, at: 3000 });
    const merged = coalesceOps(t1, t3)!;
    expect(fieldTime(merged, 'title')).toBe(1000);
    expect(fieldTime(merged, 'status')).toBe(3000);
    expect(merged.base).toEqual({ v: 4, fields: { title: ['old'], status: ['todo'] } });
    // A later write of the same field keeps the field's value before the first write as its base.
    const again = coalesceOps(merged, op('update', { title: 'y' }, { base: { v: 4, fields: { title: ['x'] } }, at: 4000 }))!;
    expect(again.base?.fields?.title).toEqual(['old']);
    expect(fieldTime(again, 'title')).toBe(4000);
  });

  it("a put then an update keeps the put's time for the fields the update did not touch", () => {
    const put = op('create', { id: 'r1', title: 'a', status: 'todo' }, { at: 1000 });
    const merged = coalesceOps(put, op('update', { status: 'done' }, { at: 3000 }))!;
    expect([fieldTime(merged, 'title'), fieldTime(merged, 'status'), fieldTime(merged, 'removedByThePut')]).toEqual([1000, 3000, 1000]);
  });

  it("a put over a row keeps the earlier writes' times for the fields it did not change", () => {
    const update = op('update', { title: 'x' }, { base: { v: 4, fields: { title: ['old'] } }, at: 1000 });
    const put = op('create', { id: 'r1', title: 'x', status: 'done' }, { base: { v: 4, fields: { status: ['todo'] } }, at: 3000 });
    const merged = coalesceOps(update, put)!;
    expect(merged.base).toEqual({ v: 4, fields: { title: ['old'], status: ['todo'] } });
    expect([fieldTime(merged, 'title'), fieldTime(merged, 'status')]).toEqual([1000, 3000]);
  });

  it('regression: a field a put removed keeps the time of its removal when an update follows (the removal is not dated back to the first put)', () => {
    // Never seen by the server: put at 1000, put over it at 2000 removing n and note, update at 3000.
    const first = op('create', { id: 'r1', status: 's', n: 1, note: 'x' }, { at: 1000 });
    const second = op('create', { id: 'r1', title: 't' }, { base: { v: 0, fields: { title: [], status: ['s'], n: [1], note: ['x'] } }, at: 2000 });
    const update = op('update', { title: 'u', status: 'v' }, { base: { v: 0, fields: { title: ['t'], status: [] } }, at: 3000 });
    const merged = coalesceOps(coalesceOps(first, second)!, update)!;
    expect(merged.patch).toEqual({ id: 'r1', title: 'u', status: 'v' });
    expect([fieldTime(merged, 'n'), fieldTime(merged, 'note'), fieldTime(merged, 'title'), fieldTime(merged, 'status')]).toEqual([2000, 2000, 3000, 3000]);
    // And a third put that leaves them absent keeps those times too.
    const third = op('create', { id: 'r1', title: 'w', status: 'v' }, { base: { v: 0, fields: { title: ['u'] } }, at: 4000 });
    const again = coalesceOps(merged, third)!;
    expect([fieldTime(again, 'n'), fieldTime(again, 'note'), fieldTime(again, 'title'), fieldTime(again, 'status')]).toEqual([2000, 2000, 4000, 3000]);
  });

  it('create + update stays a create of the patched row', () => {
    const merged = coalesceOps(op('create', { id: 'r1', title: 'a' }), op('update', { title: 'b' }));
    expect(merged?.kind).toBe('create');
    expect(merged?.patch).toEqual({ id: 'r1', title: 'b' });
    expect(merged?.base).toBeUndefined();
  });

  it('regression: a delete never absorbs the writes before it (create + delete of an id another device may also have created, update + delete)', () => {
    expect(coalesceOps(op('create', { id: 'r1' }), op('delete'))).toBeNull();
    expect(coalesceOps(op('create', { id: 'r1' }, based), op('delete'))).toBeNull();
    expect(coalesceOps(op('update', { tags: [] }, { ...based, priority: 4 }), op('delete'))).toBeNull();
  });

  it('delete + create becomes a create that replaces the row, against the same base', () => {
    const merged = coalesceOps(op('delete', undefined, based), op('create', { id: 'r1', title: 'again' }));
    expect(merged).toMatchObject({ kind: 'create', patch: { id: 'r1', title: 'again' }, base: based.base });
  });

  it('refuses an update after a pending delete and ops of different rows', () => {
    expect(() => coalesceOps(op('delete'), op('update', { a: 1 }))).toThrowError(/has a pending delete/);
    expect(() => coalesceOps(op('update', { a: 1 }), op('update', { a: 2 }, { rowId: 'r2' }))).toThrowError(/different rows/);
  });

  it('applying the coalesced op gives the same row as applying the raw sequence', () => {
    const fieldArb = fc.dictionary(fc.constantFrom('title', 'status', 'tags', 'note'), fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), {
      minKeys: 1,
      maxKeys: 3,
    });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.constantFrom<OpKind>('create', 'update', 'delete'), fieldArb), { minLength: 1, maxLength: 12 }),
        (serverHasRow, steps) => {
          const initial: JsonObject | undefined = serverHasRow ? { id: 'r1', title: 'start', status: 'todo' } : undefined;
          let raw = initial;
          // The queue as the outbox keeps it: a new op folds into the last one, or queues behind it.
          const queue: Op[] = [];
          for (const [wanted, fields] of steps) {
            // Only valid sequences: an update needs an existing row; a delete, one to delete.
            const kind: OpKind = raw === undefined && wanted !== 'create' ? 'create' : wanted;
            const next = op(kind, kind === 'delete' ? undefined : kind === 'create' ? { id: 'r1', ...fields } : fields, serverHasRow ? based : {});
            raw = applyOp(raw, next);
            const merged = queue.length ? coalesceOps(queue.at(-1)!, next) : null;
            if (merged) queue[queue.length - 1] = merged;
            else queue.push(next);
          }
          const coalesced = queue.reduce<JsonObject | undefined>((row, queued) => applyOp(row, queued), initial);
          expect(coalesced).toEqual(raw);
          expect(queue.filter((q) => q.kind === 'delete').length).toBeLessThanOrEqual(steps.filter(([k]) => k === 'delete').length);
        },
      ),
    );
  });
});

describe('ordering ops for a push', () => {
  const q = (rowId: string, priority: number, createdAt: number) => ({ table: 't', rowId, priority, createdAt, name: `${rowId}@${createdAt}` });

  it('sends more urgent rows first, then older ones', () => {
    const ops = [q('a', 5, 1), q('b', 1, 2), q('c', 3, 3), q('d', 1, 0)];
    expect(orderForPush(ops).map((o) => o.name)).toEqual(['d@0', 'b@2', 'c@3', 'a@1']);
  });

  it("never reorders the ops of one row, lifting an earlier op to its row's urgency instead", () => {
    const ops = [q('a', 5, 1), q('b', 3, 2), q('a', 1, 3)];
    expect(orderForPush(ops).map((o) => o.name)).toEqual(['a@1', 'a@3', 'b@2']);
  });

  it('keeps per-row order for any input', () => {
    const arb = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 5 }), fc.nat({ max: 50 })), { maxLength: 40 });
    fc.assert(
      fc.property(arb, (items) => {
        const ops = items.map(([row, p, t], i) => ({ ...q(row, p, t), i }));
        const sorted = orderForPush(ops);
        expect(sorted).toHaveLength(ops.length);
        for (const row of ['a', 'b', 'c']) {
          const seq = sorted.filter((o) => o.rowId === row).map((o) => o.i);
          expect(seq).toEqual([...seq].sort((x, y) => x - y));
        }
      }),
    );
  });
});
