import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConflictPolicy } from '../../../src/core/conflict/types';
import type { WireRow } from '../../../src/protocol/schemas';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor, DRIVERS, freshOrg, op, startServer } from './harness';

const policies: Record<string, ConflictPolicy> = {
  sw: { strategy: 'server-wins' },
  cw: { strategy: 'client-wins' },
  lww: { strategy: 'last-write-wins' },
  vw: { strategy: 'version-wins' },
  rb: { strategy: 'role-based' },
  fm: { strategy: 'field-merge', fields: { tags: 'union', hours: 'max' } },
  man: { strategy: 'manual' },
};

describe.each(DRIVERS)('conflict resolution on $name', ({ databaseUrl }) => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(databaseUrl, { policies });
  });
  afterAll(() => server?.close());

  /**
   * Device A and device B both saw version 1 of a row, then edited it offline; A pushes first, then B —
   * B's op is concurrent with the stored row. Returns B's result and the row every replica then pulls.
   */
  async function concurrentEdit(table: string, a: Record<string, unknown>, b: Record<string, unknown>, roles = { a: 'worker', b: 'worker' }) {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice', role: roles.a }, 'A');
    const bob = await clientFor(server, { org, user: 'bob', role: roles.b }, 'B');
    const created = await alice.push([op({ table, rowId: 'r', patch: { id: 'r', title: 'base', tags: ['x'], hours: 1, notes: 'n' }, clock: { A: 1 }, at: 100 })], 'A');
    const base = { v: created.results[0]!.row!._v, clock: { A: 1 } };
    await alice.push([op({ table, rowId: 'r', kind: 'update', patch: a as never, base, clock: { A: 2 }, at: 200 })], 'A');
    const result = (await bob.push([op({ table, rowId: 'r', kind: 'update', patch: b as never, base, clock: { A: 1, B: 1 }, at: 300 })], 'B')).results[0]!;
    const [change] = (await bob.pullAll(table)).filter((ch) => ch.row.id === 'r');
    return { result, row: change!.row as WireRow };
  }

  it('server-wins keeps the first write', async () => {
    const { result, row } = await concurrentEdit('sw', { title: 'A' }, { title: 'B' });
    expect(result.status).toBe('applied');
    expect(row.title).toBe('A');
  });

  it('client-wins takes the late writer\'s change over the server row', async () => {
    const { row } = await concurrentEdit('cw', { title: 'A', notes: 'A-notes' }, { title: 'B' });
    expect(row).toMatchObject({ title: 'B', notes: 'A-notes' });
  });

  it('last-write-wins takes the later write, and the resolved clock dominates both sides', async () => {
    const { row } = await concurrentEdit('lww', { title: 'A' }, { title: 'B' });
    expect(row.title).toBe('B');
    expect(row._clock).toMatchObject({ A: 2, B: 1, server: 1 });
  });

  it('version-wins takes the side with more changes since the base', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const created = await alice.push([op({ table: 'vw', rowId: 'r', patch: { id: 'r', title: 'base' }, clock: { A: 1 }, at: 1 })], 'A');
    const base = { v: created.results[0]!.row!._v, clock: { A: 1 } };
    await alice.push([op({ table: 'vw', rowId: 'r', kind: 'update', patch: { title: 'A' }, base, clock: { A: 4 }, at: 1 })], 'A');
    await bob.push([op({ table: 'vw', rowId: 'r', kind: 'update', patch: { title: 'B' }, base, clock: { A: 1, B: 1 }, at: 999 })], 'B');
    expect((await bob.pullAll('vw'))[0]!.row.title).toBe('A');
  });

  it('role-based lets the owner win over a later worker', async () => {
    const { row } = await concurrentEdit('rb', { title: 'owner' }, { title: 'worker' }, { a: 'owner', b: 'worker' });
    expect(row.title).toBe('owner');
  });

  it('field-merge keeps one-sided changes of both and merges collisions by field rule', async () => {
    const { result, row } = await concurrentEdit('fm', { title: 'A', tags: ['x', 'a'], hours: 5 }, { notes: 'B-notes', tags: ['x', 'b'], hours: 3 });
    expect(result.reason).toMatch(/field-merge/);
    expect(row).toMatchObject({ title: 'A', notes: 'B-notes', hours: 5 });
    expect([...(row.tags as string[])].sort()).toEqual(['a', 'b', 'x']);
  });

  it('manual answers conflict with the server row and changes nothing', async () => {
    const { result, row } = await concurrentEdit('man', { title: 'A' }, { title: 'B' });
    expect(result.status).toBe('conflict');
    expect(result.row).toMatchObject({ title: 'A' });
    expect(row.title).toBe('A');
  });

  it('fast-forwards a device\'s second write while its first is in flight (stale base, dominating clock)', async () => {
    const c = await clientFor(server, { org: freshOrg() }, 'A');
    const created = await c.push([op({ table: 'man', rowId: 'r', patch: { id: 'r', title: 'v1' }, clock: { A: 1 } })], 'A');
    const base = { v: created.results[0]!.row!._v, clock: { A: 1 } };
    await c.push([op({ table: 'man', rowId: 'r', kind: 'update', patch: { title: 'v2' }, base, clock: { A: 2 } })], 'A');
    const second = await c.push([op({ table: 'man', rowId: 'r', kind: 'update', patch: { notes: 'more' }, base, clock: { A: 3 } })], 'A');
    expect(second.results[0]).toMatchObject({ status: 'applied', row: { title: 'v2', notes: 'more' } });
  });

  it('answers an op the server has already superseded as applied, with the current row', async () => {
    const c = await clientFor(server, { org: freshOrg() }, 'A');
    await c.push([op({ table: 'lww', rowId: 'r', patch: { id: 'r', title: 'new' }, clock: { A: 5 } })], 'A');
    const { results } = await c.push([op({ table: 'lww', rowId: 'r', kind: 'update', patch: { title: 'old' }, clock: { A: 2 } })], 'A');
    expect(results[0]).toMatchObject({ status: 'applied', row: { title: 'new' }, reason: expect.stringMatching(/stale/) });
  });

  it('decides a delete against a concurrent edit by the policy as a whole row', async () => {
    const org = freshOrg();
    const alice = await clientFor(server, { org, user: 'alice' }, 'A');
    const bob = await clientFor(server, { org, user: 'bob' }, 'B');
    const created = await alice.push([op({ table: 'lww', rowId: 'r', patch: { id: 'r', title: 'base' }, clock: { A: 1 }, at: 1 })], 'A');
    const base = { v: created.results[0]!.row!._v, clock: { A: 1 } };
    await alice.push([op({ table: 'lww', rowId: 'r', kind: 'delete', base, clock: { A: 2 }, at: 10 })], 'A');
    await bob.push([op({ table: 'lww', rowId: 'r', kind: 'update', patch: { title: 'edited later' }, base, clock: { A: 1, B: 1 }, at: 20 })], 'B');
    expect((await bob.pullAll('lww'))[0]!.row).toMatchObject({ title: 'edited later', _deleted: false });
  });
});
