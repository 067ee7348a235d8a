import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConflictPolicy } from '../../../src/core/conflict/types';
import type { JsonObject } from '../../../src/core/json/types';
import type { WireRow } from '../../../src/protocol/schemas';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor, DRIVERS, freshOrg, op, rowOf, startServer } from './harness';

const policies: Record<string, ConflictPolicy> = {
  sw: { strategy: 'server-wins' },
  cw: { strategy: 'client-wins' },
  lww: { strategy: 'last-write-wins' },
  vw: { strategy: 'version-wins' },
  rb: { strategy: 'role-based' },
  fm: { strategy: 'field-merge', fields: { tags: 'union', hours: 'max', count: 'counter' } },
  fmd: { strategy: 'field-merge' },
  man: { strategy: 'manual' },
};

const BASE_ROW = { id: 'r', title: 'base', tags: ['x'], hours: 1, notes: 'n' };

function dataOnly(row: WireRow): JsonObject {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('_'))) as JsonObject;
}

/** The base values an update of `patch` over `row` carries. */
function baseFields(row: JsonObject, patch: JsonObject): Record<string, [] | [JsonObject[string]]> {
  return Object.fromEntries(Object.keys(patch).map((f) => [f, f in row ? [row[f]!] : []]));
}

describe.each(DRIVERS)('conflict resolution on $name', ({ databaseUrl }) => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(databaseUrl, { policies });
  });
  afterAll(() => server?.close());

  /**
   * Device A and device B both saw version 1 of a row, then edited it offline; A pushes first, then B —
   * B's op did not see A's. Returns B's result and the row every replica then pulls.
   */
  async function concurrentEdit(
    table: string,
    a: JsonObject,
    b: JsonObject,
    options: { roles?: { a: string; b: string }; at?: { a: number; b: number } } = {},
  ) {
    const org = freshOrg();
    const roles = options.roles ?? { a: 'worker', b: 'worker' };
    const at = options.at ?? { a: 200, b: 300 };
    const alice = await clientFor(server, { org, user: 'alice', role: roles.a }, 'A');
    const bob = await clientFor(server, { org, user: 'bob', role: roles.b }, 'B');
    const created = await alice.push([op({ table, rowId: 'r', patch: BASE_ROW, at: 100 })], 'A');
    const v = rowOf(created, 'r', table)!._v;
    await alice.push(
      [op({ table, rowId: 'r', kind: 'update', patch: a, row: { ...BASE_ROW, ...a }, base: { v, fields: baseFields(BASE_ROW, a) }, at: at.a })],
      'A',
    );
    const answer = await bob.push(
      [op({ table, rowId: 'r', kind: 'update', patch: b, row: { ...BASE_ROW, ...b }, base: { v, fields: baseFields(BASE_ROW, b) }, at: at.b })],
      'B',
    );
    const [change] = (await bob.pullAll(table)).filter((ch) => ch.row.id === 'r');
    return { result: answer.results[0]!, answered: rowOf(answer, 'r', table), row: change!.row as WireRow };
  }

  it('server-wins keeps the first write', async () => {
    const { result, row } = await concurrentEdit('sw', { title: 'A' }, { title: 'B' });
    expect(result.status).toBe('applied');
    expect(row.title).toBe('A');
  });

  it("client-wins puts the late writer's whole row in place", async () => {
    const { row } = await concurrentEdit('cw', { title: 'A', notes: 'A-notes' }, { title: 'B' });
    expect(row).toMatchObject({ title: 'B', notes: 'n' });
  });

  it('regression: a delete of a row already deleted is the later deletion, so a re-create written before it that arrives after it loses (last-write-wins)', async () => {
    const org = freshOrg();
    const a = await clientFor(server, { org, user: 'ana' }, 'device-a');
    const b = await clientFor(server, { org, user: 'ben' }, 'device-b');
    const t = Date.now();
    const created = await a.push([op({ table: 'lww', rowId: 'r', patch: BASE_ROW, at: t })]);
    const v1 = rowOf(created, 'r', 'lww')!._v;
    const deleted = await a.push([op({ table: 'lww', rowId: 'r', kind: 'delete', base: { v: v1 }, at: t + 10 })]);
    // Ben, who saw only the created row, deletes it at t+30; Ana, who saw her own delete, re-creates it at
    // t+20 — her push arrives last.
    await b.push([op({ table: 'lww', rowId: 'r', kind: 'delete', base: { v: v1 }, at: t + 30 })]);
    await a.push([op({ table: 'lww', rowId: 'r', patch: { ...BASE_ROW, title: 'back' }, base: { v: rowOf(deleted, 'r', 'lww')!._v }, at: t + 20 })]);
    const [row] = (await a.pullAll('lww')).map((ch) => ch.row);
    expect(row).toMatchObject({ id: 'r', _deleted: true });
    // The other order of arrival gives the same row.
    const org2 = freshOrg();
    const a2 = await clientFor(server, { org: org2, user: 'ana' }, 'device-a');
    const b2 = await clientFor(server, { org: org2, user: 'ben' }, 'device-b');
    const created2 = await a2.push([op({ table: 'lww', rowId: 'r', patch: BASE_ROW, at: t })]);
    const deleted2 = await a2.push([op({ table: 'lww', rowId: 'r', kind: 'delete', base: { v: rowOf(created2, 'r', 'lww')!._v }, at: t + 10 })]);
    await a2.push([op({ table: 'lww', rowId: 'r', patch: { ...BASE_ROW, title: 'back' }, base: { v: rowOf(deleted2, 'r', 'lww')!._v }, at: t + 20 })]);
    await b2.push([op({ table: 'lww', rowId: 'r', kind: 'delete', base: { v: rowOf(created2, 'r', 'lww')!._v }, at: t + 30 })]);
    expect((await a2.pullAll('lww')).map((ch) => ch.row)[0]).toMatchObject({ id: 'r', _deleted: true });
  });

  it("last-write-wins replaces the whole row with the later writer's version, losing the earlier writer's other fields", async () => {
    const { row } = await concurrentEdit('lww', { title: 'A', notes: 'A-notes' }, { title: 'B' });
    expect(row).toMatchObject({ title: 'B', notes: 'n' });
    // The same pair pushed the other way round gives the same row: the outcome does not depend on who pushed first.
    const swapped = await concurrentEdit('lww', { title: 'B' }, { title: 'A', notes: 'A-notes' }, { at: { a: 300, b: 200 } });
    expect(swapped.row).toMatchObject({ title: 'B', notes: 'n' });
  });

  it('version-wins takes the side with more writes since the base', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const created = await alice.push([op({ table: 'vw', rowId: 'r', patch: { id: 'r', title: 'base' }, at: 1 })], 'A');
    const v = rowOf(created, 'r', 'vw')!._v;
    await alice.push([op({ table: 'vw', rowId: 'r', kind: 'update', patch: { title: 'A' }, base: { v }, at: 1, writes: 4 })], 'A');
    await bob.push([op({ table: 'vw', rowId: 'r', kind: 'update', patch: { title: 'B' }, base: { v }, at: 999 })], 'B');
    expect((await bob.pullAll('vw'))[0]!.row.title).toBe('A');
  });

  it('role-based lets the owner win over a later worker', async () => {
    const { row } = await concurrentEdit('rb', { title: 'owner' }, { title: 'worker' }, { roles: { a: 'owner', b: 'worker' } });
    expect(row.title).toBe('owner');
  });

  it('field-merge keeps one-sided changes of both and merges collisions by field rule', async () => {
    const { result, row } = await concurrentEdit('fm', { title: 'A', tags: ['x', 'a'], hours: 5 }, { notes: 'B-notes', tags: ['x', 'b'], hours: 3 });
    expect(result.reason).toMatch(/field-merge/);
    expect(row).toMatchObject({ title: 'A', notes: 'B-notes', hours: 5 });
    expect([...(row.tags as string[])].sort()).toEqual(['a', 'b', 'x']);
  });

  it('field-merge union is a true three-way merge on the server: a removal on one side and an addition on the other both hold', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const v = rowOf(await alice.push([op({ table: 'fm', rowId: 'r', patch: { id: 'r', tags: ['x', 'y'] }, at: 1 })], 'A'), 'r', 'fm')!._v;
    await alice.push([op({ table: 'fm', rowId: 'r', kind: 'update', patch: { tags: ['x'] }, base: { v, fields: { tags: [['x', 'y']] } }, at: 2 })], 'A');
    await bob.push(
      [op({ table: 'fm', rowId: 'r', kind: 'update', patch: { tags: ['x', 'y', 'z'] }, base: { v, fields: { tags: [['x', 'y']] } }, at: 3 })],
      'B',
    );
    expect([...((await bob.pullAll('fm'))[0]!.row.tags as string[])].sort()).toEqual(['x', 'z']);
  });

  it("field-merge counter on plain numbers adds both sides' deltas from the base (10, +2 and +1 → 13)", async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const v = rowOf(await alice.push([op({ table: 'fm', rowId: 'r', patch: { id: 'r', count: 10 }, at: 1 })], 'A'), 'r', 'fm')!._v;
    await alice.push([op({ table: 'fm', rowId: 'r', kind: 'update', patch: { count: 12 }, base: { v, fields: { count: [10] } }, at: 2 })], 'A');
    await bob.push([op({ table: 'fm', rowId: 'r', kind: 'update', patch: { count: 11 }, base: { v, fields: { count: [10] } }, at: 3 })], 'B');
    expect((await bob.pullAll('fm'))[0]!.row.count).toBe(13);
  });

  it("field-merge decides a colliding field by that field's own write time, kept through coalescing", async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const v = rowOf(await alice.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'base', status: 'todo' }, at: 1 })], 'A'), 'r', 'fmd')!._v;
    // Bob wrote the title at t=20. Alice wrote the title at t=10 and the status at t=30: one coalesced op.
    await bob.push([op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { title: 'bob' }, base: { v, fields: { title: ['base'] } }, at: 20 })], 'B');
    await alice.push(
      [
        op({
          table: 'fmd',
          rowId: 'r',
          kind: 'update',
          patch: { title: 'alice', status: 'done' },
          base: { v, fields: { title: ['base'], status: ['todo'] } },
          at: 30,
          fieldAt: { title: 10 },
        }),
      ],
      'A',
    );
    expect((await bob.pullAll('fmd'))[0]!.row).toMatchObject({ title: 'bob', status: 'done' });
  });

  it('a whole-row put also writes the removal of fields it does not have: an earlier concurrent put cannot bring them back', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    // Neither saw the other: Bob's put (later) reaches the server first, Alice's (earlier, with a note) after.
    await bob.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'bob' }, at: 20 })], 'B');
    await alice.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'alice', note: 'alice' }, at: 10 })], 'A');
    const [change] = await bob.pullAll('fmd');
    expect(dataOnly(change!.row)).toEqual({ id: 'r', title: 'bob' });
  });

  it("a whole-row put that wins against a delete brings the row back as that put, without the deleted row's older fields", async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const v = rowOf(await alice.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'alice', status: 'todo' }, at: 1 })], 'A'), 'r', 'fmd')!._v;
    await alice.push([op({ table: 'fmd', rowId: 'r', kind: 'delete', base: { v }, at: 2 })], 'A');
    // Bob never saw the row: his put (later than the delete) is the whole row.
    await bob.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', n: 12 }, at: 3 })], 'B');
    expect(dataOnly((await bob.pullAll('fmd'))[0]!.row)).toEqual({ id: 'r', n: 12 });
  });

  it('an edit that wins against a delete merges field by field with the deleted row: a field written later before the delete keeps its value', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const v = rowOf(await alice.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'base' }, at: 1 })], 'A'), 'r', 'fmd')!._v;
    // Alice retitles at t=30 and deletes at t=40; Bob (offline) retitled at t=20 and set a status at t=50.
    await alice.push(
      [
        op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { title: 'alice' }, base: { v }, at: 30 }),
        op({ table: 'fmd', rowId: 'r', kind: 'delete', base: { v }, at: 40 }),
      ],
      'A',
    );
    await bob.push(
      [
        op({
          table: 'fmd',
          rowId: 'r',
          kind: 'update',
          patch: { title: 'bob', status: 'done' },
          base: { v, fields: { title: ['base'], status: [] } },
          at: 50,
          fieldAt: { title: 20 },
        }),
      ],
      'B',
    );
    expect(dataOnly((await bob.pullAll('fmd'))[0]!.row)).toEqual({ id: 'r', title: 'alice', status: 'done' });
  });

  it('an edit that loses to a delete is kept in the deleted row, so a later edit that brings the row back finds it', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const v = rowOf(await alice.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'base', n: 2 }, at: 1 })], 'A'), 'r', 'fmd')!._v;
    // Bob set n at t=10 (offline); Alice deleted at t=20; Bob's n arrives after the delete and loses.
    await alice.push([op({ table: 'fmd', rowId: 'r', kind: 'delete', base: { v }, at: 20 })], 'A');
    const lost = await bob.push([op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { n: 7 }, base: { v, fields: { n: [2] } }, at: 10 })], 'B');
    expect(rowOf(lost, 'r', 'fmd')).toMatchObject({ _deleted: true });
    // Bob, still not having seen the delete, retitles at t=30: the row comes back with his n.
    await bob.push([op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { title: 'back' }, base: { v, fields: { title: ['base'] } }, at: 30 })], 'B');
    expect(dataOnly((await bob.pullAll('fmd'))[0]!.row)).toEqual({ id: 'r', title: 'back', n: 7 });
  });

  it('the latest whole-row put stands for every field no one stamped since, even when it lost a conflict on others', async () => {
    const org = freshOrg();
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((d) => clientFor(server, { org, user: d }, d)));
    // None saw the others: A's put (t=10), then C's (t=30, without a note), then B's (t=20, with a note).
    await a!.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'a' }, at: 10 })], 'A');
    await c!.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'c' }, at: 30 })], 'C');
    await b!.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'b', note: 'b' }, at: 20 })], 'B');
    expect(dataOnly((await a!.pullAll('fmd'))[0]!.row)).toEqual({ id: 'r', title: 'c' });
  });

  it('a field a put removed later than a concurrent edit set it stays removed, though neither row has it when the put arrives', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    await bob.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'bob' }, at: 20 })], 'B');
    // Alice's coalesced op: a put at t=10, then at t=60 a put without the note and the status she had.
    await alice.push(
      [op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'alice' }, at: 60, putAt: 10, fieldAt: { title: 60, note: 60, status: 60 } })],
      'A',
    );
    // Bob, not having seen Alice's put, sets both at t=40.
    await bob.push(
      [op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { note: 'bob', status: 'bob' }, base: { v: 1, fields: { note: [], status: [] } }, at: 40 })],
      'B',
    );
    expect(dataOnly((await bob.pullAll('fmd'))[0]!.row)).toEqual({ id: 'r', title: 'alice' });
  });

  it("a field a coalesced put removed after the put keeps the removal's time when it reaches the server first", async () => {
    const org = freshOrg();
    const [a, b] = await Promise.all(['A', 'B'].map((d) => clientFor(server, { org, user: d }, d)));
    // A's coalesced op: a put at t=10, then at t=60 a put without the note it had: first to arrive.
    await a!.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'a' }, at: 60, putAt: 10, fieldAt: { title: 60, note: 60 } })], 'A');
    // B never saw the row: its put of t=30 sets a note.
    await b!.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'b', note: 'b' }, at: 30 })], 'B');
    expect(dataOnly((await b!.pullAll('fmd'))[0]!.row)).toEqual({ id: 'r', title: 'a' });
  });

  it('a whole-row put also writes a field that was removed before it arrived', async () => {
    const org = freshOrg();
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((d) => clientFor(server, { org, user: d }, d)));
    const v = rowOf(await a!.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'a', note: 'a' }, at: 10 })], 'A'), 'r', 'fmd')!._v;
    // A removes the note at t=20 (a put over its row); B, never having seen the row, puts it at t=40
    // without a note; C, having seen A's first version, sets the note at t=30 and arrives last.
    await a!.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'a' }, base: { v, fields: { note: ['a'] } }, at: 20 })], 'A');
    await b!.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'b' }, at: 40 })], 'B');
    await c!.push([op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { note: 'c' }, base: { v, fields: { note: ['a'] } }, at: 30 })], 'C');
    expect(dataOnly((await c!.pullAll('fmd'))[0]!.row)).toEqual({ id: 'r', title: 'b' });
  });

  it("a write that arrives late with an older time does not become the row's last writer", async () => {
    const org = freshOrg();
    const [a, b] = await Promise.all(['A', 'B'].map((d) => clientFor(server, { org, user: d }, d)));
    const v = rowOf(await a!.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'base' }, at: 1 })], 'A'), 'r', 'fmd')!._v;
    // B retitles at t=50. A's note of t=30 arrives after it and is merged in; A's delete, also at t=50 but
    // from device A < B, must lose to B's edit: the row's last write is still B's.
    await b!.push([op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { title: 'b' }, base: { v, fields: { title: ['base'] } }, at: 50 })], 'B');
    await a!.push([op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { note: 'a' }, base: { v, fields: { note: [] } }, at: 30 })], 'A');
    await a!.push([op({ table: 'fmd', rowId: 'r', kind: 'delete', base: { v }, at: 50 })], 'A');
    expect((await a!.pullAll('fmd'))[0]!.row).toMatchObject({ title: 'b', note: 'a', _deleted: false });
  });

  it('manual answers conflict with the server row and changes nothing', async () => {
    const { result, answered, row } = await concurrentEdit('man', { title: 'A' }, { title: 'B' });
    expect(result.status).toBe('conflict');
    expect(answered).toMatchObject({ title: 'A' });
    expect(row.title).toBe('A');
  });

  it("fast-forwards a device's second write while its first is in flight (stale base, nothing unseen)", async () => {
    const c = await clientFor(server, { org: freshOrg() }, 'A');
    const v = rowOf(await c.push([op({ table: 'man', rowId: 'r', patch: { id: 'r', title: 'v1' } })], 'A'), 'r', 'man')!._v;
    await c.push([op({ table: 'man', rowId: 'r', kind: 'update', patch: { title: 'v2' }, base: { v } })], 'A');
    const second = await c.push([op({ table: 'man', rowId: 'r', kind: 'update', patch: { notes: 'more' }, base: { v } })], 'A');
    expect(second.results[0]).toMatchObject({ status: 'applied' });
    expect(rowOf(second, 'r', 'man')).toMatchObject({ title: 'v2', notes: 'more' });
  });

  it('a put that lists the fields it changes changes only those when it fast-forwards: a field its device never showed stays', async () => {
    // Cem adds a note; Ana's device, whose copy of the row at that version lacked it, puts the row with a
    // new title. Her put names `title` alone as changed, so the note is not hers to remove.
    const org = freshOrg();
    const ana = await clientFor(server, { org, user: 'ana' }, 'A');
    const cem = await clientFor(server, { org, user: 'cem' }, 'C');
    const v1 = rowOf(await ana.push([op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'base' }, at: 100 })], 'A'), 'r', 'fmd')!._v;
    const update = { table: 'fmd', rowId: 'r', kind: 'update' as const, patch: { note: 'cem' }, base: { v: v1, fields: { note: [] as [] } }, at: 200 };
    const v2 = rowOf(await cem.push([op(update)], 'C'), 'r', 'fmd')!._v;
    const put = op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'ana' }, base: { v: v2, fields: { title: ['base'] } }, at: 300 });
    const answer = await ana.push([put], 'A');
    expect(answer.results[0]).toMatchObject({ status: 'applied' });
    expect(rowOf(answer, 'r', 'fmd')).toMatchObject({ title: 'ana', note: 'cem' });
    // A field it lists as changed and does not have is removed.
    const removal = op({
      table: 'fmd',
      rowId: 'r',
      patch: { id: 'r', title: 'ana' },
      base: { v: rowOf(answer, 'r', 'fmd')!._v, fields: { note: ['cem'] } },
      at: 400,
    });
    const removed = rowOf(await ana.push([removal], 'A'), 'r', 'fmd');
    expect(removed).toMatchObject({ title: 'ana' });
    expect(removed).not.toHaveProperty('note');
  });

  it('decides a delete against a concurrent edit by the policy as a whole row', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const v = rowOf(await alice.push([op({ table: 'lww', rowId: 'r', patch: { id: 'r', title: 'base' }, at: 1 })], 'A'), 'r', 'lww')!._v;
    await alice.push([op({ table: 'lww', rowId: 'r', kind: 'delete', base: { v }, at: 10 })], 'A');
    await bob.push([op({ table: 'lww', rowId: 'r', kind: 'update', patch: { title: 'edited later' }, base: { v }, at: 20 })], 'B');
    expect((await bob.pullAll('lww'))[0]!.row).toMatchObject({ title: 'edited later', _deleted: false });
  });

  it('an edit that wins against a concurrent delete brings the row back whole, not with the edited fields alone', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const full = { id: 'r', title: 'base', status: 'todo', assignee: 'ana', tags: ['x'] };
    const v = rowOf(await alice.push([op({ table: 'fmd', rowId: 'r', patch: full, at: 1 })], 'A'), 'r', 'fmd')!._v;
    await alice.push([op({ table: 'fmd', rowId: 'r', kind: 'delete', base: { v }, at: 10 })], 'A');
    await bob.push([op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { title: 'kept' }, base: { v, fields: { title: ['base'] } }, at: 20 })], 'B');
    const [change] = await bob.pullAll('fmd');
    expect(change!.row).toMatchObject({ ...full, title: 'kept', _deleted: false });
  });

  it('answers a replayed op with its first outcome — a conflict stays a conflict, a rejection a rejection', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const v = rowOf(await alice.push([op({ table: 'man', rowId: 'r', patch: { id: 'r', title: 'base' }, at: 1 })], 'A'), 'r', 'man')!._v;
    await alice.push([op({ table: 'man', rowId: 'r', kind: 'update', patch: { title: 'A' }, base: { v }, at: 2 })], 'A');
    const conflicting = op({ table: 'man', rowId: 'r', kind: 'update', patch: { title: 'B' }, base: { v }, at: 3 });
    const rejected = op({ table: 'man', rowId: 'missing', kind: 'update', patch: { title: 'nope' }, base: { v } });
    const first = await bob.push([conflicting, rejected], 'B');
    const again = await bob.push([conflicting, rejected], 'B');
    expect(first.results.map((r) => r.status)).toEqual(['conflict', 'rejected']);
    expect(again.results).toEqual([
      { ...first.results[0], replayed: true },
      { ...first.results[1], replayed: true },
    ]);
    expect(rowOf(again, 'r', 'man')).toMatchObject({ title: 'A' });
  });

  it('answers a replayed op with the row as it is now, not as it was when the op first applied', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const created = op({ table: 'fmd', rowId: 'r', patch: { id: 'r', title: 'base' }, at: 1 });
    const v = rowOf(await alice.push([created], 'A'), 'r', 'fmd')!._v;
    await bob.push([op({ table: 'fmd', rowId: 'r', kind: 'delete', base: { v }, at: 5 })], 'B');
    const replay = await alice.push([created], 'A');
    expect(replay.results[0]).toMatchObject({ status: 'applied', replayed: true });
    expect(rowOf(replay, 'r', 'fmd')).toMatchObject({ _deleted: true });
  });

  it('answers each touched row once, however many ops of the push touched it', async () => {
    const c = await clientFor(server, { org: freshOrg() }, 'A');
    const ops = [op({ table: 'fmd', rowId: 'r', patch: { id: 'r', body: 'x'.repeat(1000) } })];
    for (let i = 0; i < 20; i++) ops.push(op({ table: 'fmd', rowId: 'r', kind: 'update', patch: { n: i }, base: { v: 0 } }));
    const answer = await c.push(ops, 'A');
    expect(answer.results).toHaveLength(21);
    expect(answer.rows).toHaveLength(1);
    expect(answer.rows[0]!.row).toMatchObject({ n: 19 });
  });
});
