import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChartsyncError } from '../../../src/core/errors';
import { stableStringify } from '../../../src/core/json/stableStringify';
import { appData } from '../../../src/local/validateInput';
import { findJsonProblem } from '../../../src/protocol/jsonSafety';
import { freshIndexedDb, openTestStore, task } from './helpers';

describe('local writes', () => {
  it('writes the row and its op together; a row never seen has no base', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('t1'));
    const row = await store.db.table('tasks').get('t1');
    expect(row).toMatchObject({ id: 't1', title: 'Task t1', _v: 0 });
    const [op] = await store.outbox.list();
    expect(op).toMatchObject({ table: 'tasks', rowId: 't1', kind: 'create', patch: task('t1'), priority: 1, state: 'pending', attempts: 0 });
    expect(op?.base).toBeUndefined();
  });

  it('records only the fields an update changes, with their priority', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('t1'));
    await store.outbox.markInflight(
      (await store.outbox.list()).map((o) => o.opId),
      0,
    );
    await store.update('tasks', 't1', { title: 'Task t1', tags: ['x'] });
    const ops = await store.outbox.list();
    // The op carries the field's value before the write (the base of a three-way merge) and the whole row.
    expect(ops[1]).toMatchObject({
      kind: 'update',
      patch: { tags: ['x'] },
      priority: 4,
      base: { v: 0, fields: { tags: [['a']] } },
      row: { ...task('t1'), tags: ['x'] },
    });
    // A write that changes nothing enqueues nothing.
    await store.update('tasks', 't1', { tags: ['x'] });
    await store.put('tasks', { ...(await store.db.table('tasks').get('t1')) });
    expect(await store.outbox.count()).toBe(2);
  });

  it("deletes into a tombstone that keeps the row's version", async () => {
    const store = await openTestStore();
    await store.put('tasks', task('t1'));
    await store.outbox.markInflight(
      (await store.outbox.list()).map((o) => o.opId),
      0,
    );
    await store.delete('tasks', 't1');
    expect(await store.db.table('tasks').get('t1')).toBeUndefined();
    expect(await store.db.table('_tombstones').get(['tasks', 't1'])).toMatchObject({ table: 'tasks', id: 't1', _v: 0 });
    expect((await store.outbox.list()).map((o) => o.kind)).toEqual(['create', 'delete']);
    // Deleting a row that is not there is a no-op.
    expect((await store.delete('tasks', 'nope')).changed).toBe(0);
  });

  it('keeps the device id across reloads of the same database', async () => {
    const browser = freshIndexedDb();
    const first = await openTestStore(browser);
    const id = first.deviceId;
    first.close();
    const again = await openTestStore(browser);
    expect(again.deviceId).toBe(id);
  });

  it.each([
    [
      'an unknown table',
      (s: Awaited<ReturnType<typeof openTestStore>>) => s.put('projects', task('p1')),
      'UNKNOWN_TABLE',
      /Unknown table "projects": declare it in tables \(known: tasks, notes\)/,
    ],
    ['a row without an id', (s: Awaited<ReturnType<typeof openTestStore>>) => s.put('tasks', { title: 'x' }), 'INVALID_ROW', /needs a string id/],
    ['a numeric id', (s: Awaited<ReturnType<typeof openTestStore>>) => s.put('tasks', { id: 7, title: 'x' }), 'INVALID_ROW', /got 7/],
    [
      'a patch of a missing row',
      (s: Awaited<ReturnType<typeof openTestStore>>) => s.update('tasks', 'ghost', { title: 'x' }),
      'ROW_NOT_FOUND',
      /Cannot update tasks\/ghost: no such row/,
    ],
    [
      'a reserved field',
      (s: Awaited<ReturnType<typeof openTestStore>>) => s.put('tasks', { id: 't9', _secret: 1 }),
      'INVALID_ROW',
      /Field "_secret" .* starts with _/,
    ],
    ['a non-JSON value', (s: Awaited<ReturnType<typeof openTestStore>>) => s.put('tasks', { id: 't9', n: NaN }), 'INVALID_ROW', /row\.n is NaN/],
    ['an id change', (s: Awaited<ReturnType<typeof openTestStore>>) => s.update('tasks', 't0', { id: 't2' }), 'INVALID_ROW', /ids never change/],
    // The server refuses these with a 400: refused at the write, they never become dead letters.
    [
      'a field named like an Object.prototype member',
      (s: Awaited<ReturnType<typeof openTestStore>>) => s.update('tasks', 't0', { constructor: 'x' }),
      'INVALID_ROW',
      /Field "constructor" .* is reserved/,
    ],
    [
      'a NUL in a value',
      (s: Awaited<ReturnType<typeof openTestStore>>) => s.put('tasks', { id: 't9', title: 'a\u0000b' }),
      'INVALID_ROW',
      /title: the string contains a NUL/,
    ],
    [
      'an unpaired surrogate',
      (s: Awaited<ReturnType<typeof openTestStore>>) => s.update('tasks', 't0', { tags: ['ok', '\ud800'] }),
      'INVALID_ROW',
      /tags\[1\]: the string contains an unpaired UTF-16 surrogate/,
    ],
    [
      'nesting deeper than 64 levels',
      (s: Awaited<ReturnType<typeof openTestStore>>) => s.put('tasks', { id: 't9', deep: JSON.parse('['.repeat(80) + ']'.repeat(80)) }),
      'INVALID_ROW',
      /nested deeper than 64 levels/,
    ],
  ] as const)('refuses %s with a typed error and changes nothing', async (_name, write, code, message) => {
    const store = await openTestStore();
    await store.put('tasks', task('t0'));
    const before = { rows: await store.db.table('tasks').toArray(), ops: await store.outbox.list() };
    const error = await write(store).catch((e: unknown) => e);
    expect(isChartsyncError(error, code)).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect(await store.db.table('tasks').toArray()).toEqual(before.rows);
    expect(await store.outbox.list()).toEqual(before.ops);
  });

  it('one walk refuses exactly what the wire check and the canonical JSON refused, naming the same place', () => {
    const cyclic: Record<string, unknown> = { id: 'c' };
    cyclic.self = { back: cyclic };
    const odd = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 10n, () => 1, Symbol('s'), new Date(0), cyclic),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('a\u0000b', '\ud800', JSON.parse('{"__proto__": 1}'), { ['k\udc00']: 1 }, JSON.parse('['.repeat(70) + ']'.repeat(70))),
    );
    const row = fc.dictionary(
      fc.string().filter((k) => !k.startsWith('_') && !['constructor', 'toString', 'valueOf', 'hasOwnProperty'].includes(k)),
      fc.oneof(odd, fc.array(odd), fc.dictionary(fc.string(), odd)),
    );
    fc.assert(
      fc.property(row, (value) => {
        const data = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
        let oldProblem: string | null = findJsonProblem(data, { maxDepth: 64 })?.path ?? null;
        if (oldProblem === null) {
          try {
            stableStringify(data);
          } catch (error) {
            oldProblem = (error as Error).message;
          }
        }
        let error: unknown = null;
        try {
          appData('tasks', data, 'row');
        } catch (caught) {
          error = caught;
        }
        expect(error === null).toBe(oldProblem === null);
        if (error !== null) expect(isChartsyncError(error, 'INVALID_ROW')).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(() => appData('tasks', cyclic, 'row')).toThrow(/row\.self\.back(\.self)? refers back to itself/);
    expect(() => appData('tasks', { id: 'b', n: 10n }, 'row')).toThrow(/row\.n is a bigint/);
    expect(() => appData('tasks', { id: 'k', nested: { ['k\udc00']: 1 } }, 'row')).toThrow(/nested: a key contains an unpaired/);
    expect(appData('tasks', { id: 'd', at: new Date(0) }, 'row').at).toEqual(new Date(0));
  });

  it('rolls back a bulk write whole when one of its changes fails', async () => {
    const store = await openTestStore();
    await store.put('tasks', task('t0'));
    await expect(
      store.bulkUpdate('tasks', [
        { id: 't0', patch: { title: 'changed' } },
        { id: 'ghost', patch: { title: 'x' } },
      ]),
    ).rejects.toThrow(/ghost/);
    expect((await store.db.table('tasks').get('t0')).title).toBe('Task t0');
    expect(await store.outbox.count()).toBe(1);
  });

  it('leaves neither row nor op when the transaction fails inside (atomicity)', async () => {
    const store = await openTestStore();
    // Inject a real fault into the write transaction: the outbox insert throws after the row was written.
    store.db.table('_outbox').hook('creating', () => {
      throw new Error('QuotaExceededError (injected)');
    });
    await expect(store.put('tasks', task('t1'))).rejects.toThrow(/injected/);
    expect(await store.db.table('tasks').get('t1')).toBeUndefined();
    expect(await store.outbox.count()).toBe(0);
  });

  it('calls onWrite after each committed write that changed something', async () => {
    const calls: string[] = [];
    const store = await openTestStore({ onWrite: (table, ids) => calls.push(`${table}:${ids.join(',')}`) });
    await store.bulkPut('tasks', [task('a'), task('b')]);
    await store.update('tasks', 'a', { status: 'todo' });
    await store.update('tasks', 'a', { status: 'done' });
    expect(calls).toEqual(['tasks:a,b', 'tasks:a']);
  });
});
