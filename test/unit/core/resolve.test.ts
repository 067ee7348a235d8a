import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterAdd, counterValue, type PNCounter } from '../../../src/core/conflict/fieldRules';
import { policiesHash } from '../../../src/core/conflict/policiesHash';
import { assertPolicies, resolveConflict } from '../../../src/core/conflict/resolveConflict';
import type { ConflictInput, ConflictPolicy, ConflictSide, FieldRule } from '../../../src/core/conflict/types';
import type { JsonObject } from '../../../src/core/json/types';

const base = { id: 't1', title: 'Fix pump', status: 'todo', tags: ['a', 'b'], hours: 2, notes: 'Start', flag: false, done: 1, meta: { x: 1, y: 1 } };

function side(row: JsonObject, over: Partial<ConflictSide> = {}): ConflictSide {
  return { row, at: 100, deviceId: 'dev', ...over };
}

function input(client: JsonObject, server: JsonObject, over: { client?: Partial<ConflictSide>; server?: Partial<ConflictSide> } = {}): ConflictInput {
  return {
    table: 'tasks',
    rowId: 't1',
    base: { row: base },
    client: side({ ...base, ...client }, { at: 200, deviceId: 'c', role: 'worker', ...over.client }),
    server: side({ ...base, ...server }, { at: 100, deviceId: 'w', role: 'worker', ...over.server }),
  };
}

function swap(i: ConflictInput): ConflictInput {
  return { ...i, client: i.server, server: i.client };
}

describe('row-level strategies', () => {
  const conflict = input({ title: 'Client title' }, { title: 'Server title', status: 'done' });

  it('server-wins keeps the server row', () => {
    const r = resolveConflict({ strategy: 'server-wins' }, conflict);
    expect(r).toMatchObject({ outcome: 'resolved', winner: 'server', row: { title: 'Server title', status: 'done' } });
    expect(r.fields).toEqual({ title: { from: 'server' }, status: { from: 'server' } });
  });

  it('client-wins takes the client row', () => {
    expect(resolveConflict({ strategy: 'client-wins' }, conflict)).toMatchObject({ winner: 'client', row: { title: 'Client title', status: 'todo' } });
  });

  it('last-write-wins takes the later write and breaks ties by device id', () => {
    expect(resolveConflict({ strategy: 'last-write-wins' }, conflict).winner).toBe('client');
    const tie = input({ title: 'C' }, { title: 'S' }, { client: { at: 5, deviceId: 'aaa' }, server: { at: 5, deviceId: 'zzz' } });
    expect(resolveConflict({ strategy: 'last-write-wins' }, tie)).toMatchObject({ winner: 'server', row: { title: 'S' } });
  });

  it('version-wins takes the side with more writes since the base', () => {
    const busyServer = input({ title: 'C' }, { title: 'S' }, { server: { writes: 3 } });
    expect(resolveConflict({ strategy: 'version-wins' }, busyServer).winner).toBe('server');
    // Equal counts fall back to last-write-wins (the client wrote later).
    expect(resolveConflict({ strategy: 'version-wins' }, conflict).winner).toBe('client');
  });

  it('role-based lets an owner beat a worker, and same roles fall back to last-write-wins', () => {
    const ownerServer = input({ title: 'C' }, { title: 'S' }, { server: { role: 'owner' } });
    expect(resolveConflict({ strategy: 'role-based' }, ownerServer).winner).toBe('server');
    expect(resolveConflict({ strategy: 'role-based' }, conflict).winner).toBe('client');
    expect(resolveConflict({ strategy: 'role-based', roles: ['worker', 'owner'] }, ownerServer).winner).toBe('client');
  });

  it('manual keeps the server row and says so', () => {
    expect(resolveConflict({ strategy: 'manual' }, conflict)).toMatchObject({ outcome: 'manual', row: { title: 'Server title' } });
  });

  it('custom runs the given function and audits where each field came from', () => {
    const r = resolveConflict({ strategy: 'custom', resolve: (i) => ({ ...i.server.row, title: `${i.client.row.title} / ${i.server.row.title}` }) }, conflict);
    expect(r.row.title).toBe('Client title / Server title');
    expect(r.fields).toEqual({ title: { from: 'merged', rule: 'custom' }, status: { from: 'server' } });
    expect(r.winner).toBe('merged');
  });

  it('refuses an unknown strategy with the valid ones listed', () => {
    expect(() => resolveConflict({ strategy: 'newest' } as unknown as ConflictPolicy, conflict)).toThrowError(
      /Unknown conflict strategy "newest" for table "tasks": use one of server-wins/,
    );
    expect(() => assertPolicies({ tasks: { strategy: 'custom' } })).toThrowError(/needs a resolve\(input\) function/);
    expect(() => assertPolicies({ tasks: { strategy: 'server-wins' }, notes: { strategy: 'field-merge' } })).not.toThrow();
  });
});

describe('field-merge', () => {
  const merge = (fields: Record<string, FieldRule>, i: ConflictInput) => resolveConflict({ strategy: 'field-merge', fields }, i);

  it('merges fields changed on one side only, and reports the mix', () => {
    const r = merge({}, input({ title: 'C' }, { status: 'done' }));
    expect(r.row).toMatchObject({ title: 'C', status: 'done' });
    expect(r.winner).toBe('merged');
    expect(r.fields).toEqual({ title: { from: 'client' }, status: { from: 'server' } });
  });

  it('lww: a field changed on both sides goes to the later writer', () => {
    expect(merge({}, input({ title: 'C' }, { title: 'S' })).row.title).toBe('C');
  });

  it("lww decides each field by that field's own write time, not the row's newest write", () => {
    // The client wrote the title at 50 and the status at 200; the server wrote the title at 100.
    const i = input({ title: 'C', status: 'done' }, { title: 'S' }, { client: { fieldAt: { title: 50 } }, server: { fieldAt: { title: 100 } } });
    expect(merge({}, i).row).toMatchObject({ title: 'S', status: 'done' });
  });

  it('max and min keep the larger or smaller value', () => {
    expect(merge({ hours: 'max' }, input({ hours: 3 }, { hours: 5 })).row.hours).toBe(5);
    expect(merge({ hours: 'min' }, input({ hours: 3 }, { hours: 5 })).row.hours).toBe(3);
    expect(merge({ title: 'max' }, input({ title: '2026-02' }, { title: '2026-03' })).row.title).toBe('2026-03');
  });

  it('or keeps a flag set by either side', () => {
    expect(merge({ flag: 'or' }, input({ flag: true }, { flag: false, title: 'x' })).row.flag).toBe(true);
  });

  it('union keeps additions of both sides and removals of either (three-way)', () => {
    const r = merge({ tags: 'union' }, input({ tags: ['a', 'b', 'c'] }, { tags: ['b', 'd'] }));
    expect(r.row.tags).toEqual(['b', 'c', 'd']);
    expect(r.fields.tags).toEqual({ from: 'merged', rule: 'union' });
  });

  it('union by id merges arrays of objects by their id', () => {
    const i = input({ tags: [{ id: 1, v: 'client' }, { id: 2 }] }, { tags: [{ id: 1, v: 'server' }, { id: 3 }] });
    i.base = { row: { ...base, tags: [] } };
    const r = resolveConflict({ strategy: 'field-merge', fields: { tags: { rule: 'union', by: 'id' } } }, i);
    expect(r.row.tags).toEqual([{ id: 1, v: 'client' }, { id: 2 }, { id: 3 }]);
  });

  it("concat appends both sides' additions to the base, the earlier writer first", () => {
    expect(merge({ notes: 'concat' }, input({ notes: 'Start\nclient' }, { notes: 'Start\nserver' })).row.notes).toBe('Start\nserver\nclient');
    const r = resolveConflict({ strategy: 'field-merge', fields: { notes: { rule: 'concat', separator: ' | ' } } }, input({ notes: 'one' }, { notes: 'two' }));
    expect(r.row.notes).toBe('two | one');
  });

  it("counter adds both sides' deltas, as numbers and as PN-counters", () => {
    expect(merge({ done: 'counter' }, input({ done: 3 }, { done: 0 })).row.done).toBe(2);
    let a: PNCounter = { p: {}, n: {} };
    let b: PNCounter = { p: {}, n: {} };
    a = counterAdd(a, 'c', 5);
    b = counterAdd(counterAdd(b, 'w', 2), 'w', -1);
    const r = merge({ done: 'counter' }, input({ done: a as unknown as JsonObject }, { done: b as unknown as JsonObject }));
    expect(counterValue(r.row.done as unknown as PNCounter)).toBe(6);
  });

  it("regression: counter adds both sides' increments even when they reached the same value (0 +2 and +2 → 4, not an agreement)", () => {
    const i = input({ done: 3 }, { done: 3 });
    i.base = { row: { ...base, done: 1 } };
    expect(merge({ done: 'counter' }, i).row.done).toBe(5);
  });

  it('deep merges nested objects key by key', () => {
    expect(merge({ meta: 'deep' }, input({ meta: { x: 2, y: 1 } }, { meta: { x: 1, y: 3, z: 1 } })).row.meta).toEqual({ x: 2, y: 3, z: 1 });
  });

  it('a function rule decides its field', () => {
    const r = merge({ title: ({ client, server }) => `${String(client)}+${String(server)}` }, input({ title: 'C' }, { title: 'S' }));
    expect(r.row.title).toBe('C+S');
    expect(r.fields.title).toEqual({ from: 'merged', rule: 'custom' });
  });

  it('falls back to last-write-wins when a rule does not fit the values', () => {
    expect(merge({ title: 'max' }, input({ title: 'C' }, { title: 7 })).row.title).toBe('C');
  });
});

describe('resolution properties', () => {
  const valueArb = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom('p', 'q', 'r'), fc.boolean());
  const rowArb = fc.record({
    title: fc.constantFrom('Fix pump', 'A', 'B'),
    hours: fc.integer({ min: 0, max: 9 }),
    flag: fc.boolean(),
    tags: fc.subarray(['a', 'b', 'c', 'd']),
    extra: valueArb,
  });
  const sideArb = fc.record({
    row: rowArb,
    at: fc.integer({ min: 0, max: 3 }),
    deviceId: fc.constantFrom('d1', 'd2', 'd3'),
    role: fc.constantFrom('owner', 'worker'),
    bump: fc.integer({ min: 1, max: 3 }),
  });
  const policies: ConflictPolicy[] = [
    { strategy: 'last-write-wins' },
    { strategy: 'version-wins' },
    { strategy: 'role-based' },
    { strategy: 'field-merge', fields: { hours: 'max', flag: 'or', tags: 'union', extra: 'lww' } },
    { strategy: 'field-merge', fields: { hours: 'counter', tags: 'union', title: 'min' } },
  ];

  const build = (a: { row: JsonObject; at: number; deviceId: string; role: string; bump: number }, b: typeof a): ConflictInput => ({
    table: 'tasks',
    rowId: 't1',
    base: { row: { title: 'Fix pump', hours: 2, flag: false, tags: ['a', 'b'], extra: 0 } },
    client: { row: a.row, at: a.at, deviceId: a.deviceId, role: a.role, writes: a.bump, fieldAt: { title: a.at + 1 } },
    server: { row: b.row, at: b.at, deviceId: b.deviceId, role: b.role, writes: b.bump, fieldAt: { hours: b.at - 1 } },
  });

  it.each(policies.map((p, i) => [i, p.strategy, p] as const))('policy #%i (%s) gives the same row with the sides swapped', (_i, _name, policy) => {
    fc.assert(
      fc.property(sideArb, sideArb, (a, b) => {
        const i = build(a, b);
        const r1 = resolveConflict(policy, i);
        const r2 = resolveConflict(policy, swap(i));
        expect(r2.row).toEqual(r1.row);
        const flip = { client: 'server', server: 'client', merged: 'merged' } as const;
        if (Object.keys(r1.fields).length > 0) expect(r2.winner).toBe(flip[r1.winner]);
      }),
    );
  });

  it('every strategy is deterministic', () => {
    const all: ConflictPolicy[] = [...policies, { strategy: 'server-wins' }, { strategy: 'client-wins' }, { strategy: 'manual' }];
    fc.assert(
      fc.property(sideArb, sideArb, fc.constantFrom(...all), (a, b, policy) => {
        const once = resolveConflict(policy, build(a, b));
        const again = resolveConflict(policy, structuredClone(build(a, b)));
        expect(again).toEqual(once);
      }),
    );
  });

  it('hashes policy sets stably and tells different ones apart', async () => {
    const a = await policiesHash({ tasks: { strategy: 'field-merge', fields: { tags: 'union', hours: 'max' } } });
    const b = await policiesHash({ tasks: { fields: { hours: 'max', tags: 'union' }, strategy: 'field-merge' } });
    const c = await policiesHash({ tasks: { strategy: 'server-wins' } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });
});
