import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../src/protocol/cursor';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { clientFor, DRIVERS, freshOrg, op, rowOf, startServer } from './harness';

describe.each(DRIVERS)('sync server on $name', ({ databaseUrl }) => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(databaseUrl);
  });
  afterAll(() => server?.close());

  it('answers the same batch three times: applied once, then replayed, changing nothing', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const batch = [op({ rowId: 'a' }), op({ rowId: 'b' }), op({ rowId: 'a', kind: 'update', patch: { title: 'A2' }, base: { v: 0 } })];
    const first = await c.push(batch);
    const second = await c.push(batch);
    const third = await c.push(batch);
    expect(first.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    for (const again of [second, third]) {
      expect(again.results.map((r) => [r.status, r.replayed])).toEqual([
        ['applied', true],
        ['applied', true],
        ['applied', true],
      ]);
      expect(again.rows).toEqual(first.rows);
      expect(again.cursor).toBe(first.cursor);
    }
    const changes = await c.pullAll();
    expect(changes.map((ch) => [ch.row.id, ch.row.title])).toEqual([
      ['b', 'Task b'],
      ['a', 'A2'],
    ]);
  });

  it('answers a repeated op inside one batch as a replay of its first outcome', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const create = op({ rowId: 'a' });
    const { results } = await c.push([create, create]);
    expect(results.map((r) => [r.status, r.replayed])).toEqual([
      ['applied', undefined],
      ['applied', true],
    ]);
  });

  it('pages through changes in cursor order with hasMore and a count of what remains', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    await c.push(Array.from({ length: 25 }, (_, i) => op({ rowId: `r${String(i).padStart(2, '0')}` })));
    const pages = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await c.pull({ ...(cursor ? { cursor } : {}), limit: 10 });
      pages.push(page);
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    expect(pages.map((p) => [p.changes.length, p.hasMore, p.remaining])).toEqual([
      [10, true, 15],
      [10, true, 5],
      [5, false, 0],
    ]);
    const versions = pages.flatMap((p) => p.changes.map((ch) => ch.row._v));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(pages.flatMap((p) => p.changes.map((ch) => ch.row.id))).size).toBe(25);
    expect((await c.pull({ cursor: cursor! })).changes).toEqual([]);
  });

  it('pull pages built by the database carry every value exactly as pushed (quotes, control characters, unicode, nesting, numbers)', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const data = {
      id: 'odd',
      quote: 'she said "hi" \\ back',
      control: 'line\nbreak\ttab\u0001\u001f',
      unicode: 'zoë ✓ 😀 \u2028\u2029',
      nested: { deep: [1, [2, { three: null }]], empty: {}, none: [] },
      numbers: [0, -1, 1.5, 1e21, 123456789012345],
      flags: [true, false],
    };
    await c.push([op({ rowId: 'odd', patch: data })]);
    const [change] = await c.pullAll();
    expect(change).toEqual({ table: 'tasks', row: { ...data, _v: change!.row._v, _deleted: false } });
  });

  it('reports remaining as an upper bound that never undercounts what is left (rows changed twice)', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const created = await c.push(Array.from({ length: 6 }, (_, i) => op({ rowId: `r${i}` })));
    // Changing r0..r2 again moves them to the end: 6 rows in 9 sequence numbers.
    await c.push([0, 1, 2].map((i) => op({ rowId: `r${i}`, kind: 'update', patch: { title: 'again' }, base: { v: rowOf(created, `r${i}`)!._v } })));
    const first = await c.pull({ limit: 2 });
    expect(first.hasMore).toBe(true);
    const left = (await c.pullAll()).length - 2;
    expect(first.remaining).toBeGreaterThanOrEqual(left);
    const last = await c.pull({ cursor: first.cursor, limit: 100 });
    expect([last.hasMore, last.remaining, last.changes.length]).toEqual([false, 0, left]);
  });

  it('sends deletions as tombstones', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const created = await c.push([op({ rowId: 'a' })]);
    const deleted = await c.push([op({ rowId: 'a', kind: 'delete', base: { v: rowOf(created, 'a')!._v } })]);
    expect(rowOf(deleted, 'a')).toMatchObject({ id: 'a', _deleted: true });
    const changes = await c.pull({ cursor: created.cursor });
    expect(changes.changes).toEqual([{ table: 'tasks', row: { id: 'a', _v: rowOf(deleted, 'a')!._v, _deleted: true } }]);
  });

  it("filters pulls by table and keeps each org's rows to itself", async () => {
    const acme = await clientFor(server, { org: freshOrg() });
    const globex = await clientFor(server, { org: freshOrg() });
    await acme.push([
      op({ rowId: 'same-id', patch: { id: 'same-id', title: 'acme', org: 'globex-wants-this' } }),
      op({ table: 'notes', rowId: 'n1', patch: { id: 'n1' } }),
    ]);
    await globex.push([op({ rowId: 'same-id', patch: { id: 'same-id', title: 'globex' } })]);
    expect((await acme.pullAll('tasks')).map((ch) => ch.row.title)).toEqual(['acme']);
    expect((await acme.pullAll('notes')).map((ch) => ch.row.id)).toEqual(['n1']);
    expect((await globex.pullAll()).map((ch) => ch.row.title)).toEqual(['globex']);
    // Globex cannot write acme's row: its update lands on its own row of that id.
    await globex.push([op({ rowId: 'same-id', kind: 'update', patch: { title: 'hijack' }, base: { v: 99_999_999 } })]);
    expect((await acme.pullAll('tasks')).map((ch) => ch.row.title)).toEqual(['acme']);
  });

  it('never lets a pull skip a change while pushes run concurrently', async () => {
    const org = freshOrg();
    const writers = await Promise.all(Array.from({ length: 6 }, (_, i) => clientFor(server, { org, user: `w${i}` }, `device-${i}`)));
    const reader = await clientFor(server, { org });
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    let done = false;
    const pulling = (async () => {
      while (!done) {
        const page = await reader.pull({ ...(cursor ? { cursor } : {}), limit: 50 });
        for (const ch of page.changes) {
          expect(ch.row._v).toBeGreaterThan(decodeCursor(cursor)?.seq ?? 0);
          seen.set(ch.row.id, ch.row._v);
        }
        cursor = page.cursor;
      }
    })();
    await Promise.all(
      writers.map(async (w, i) => {
        for (let round = 0; round < 15; round++) {
          await w.push(
            Array.from({ length: 4 }, (_, k) => op({ rowId: `w${i}-r${round}-${k}` })),
            `device-${i}`,
          );
        }
      }),
    );
    done = true;
    await pulling;
    // One last catch-up pull from the reader's cursor must bring everything not seen yet.
    for (;;) {
      const page = await reader.pull({ ...(cursor ? { cursor } : {}), limit: 500 });
      for (const ch of page.changes) seen.set(ch.row.id, ch.row._v);
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    expect(seen.size).toBe(6 * 15 * 4);
    const everything = await reader.pullAll();
    expect(new Map(everything.map((ch) => [ch.row.id, ch.row._v]))).toEqual(seen);
  });

  it('reports status with the head cursor and a hash of its policies', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const { cursor } = await c.push([op({ rowId: 'a' })]);
    const status = await (await c.fetch('/sync/status')).json();
    expect(status).toMatchObject({ protocol: 2, cursor, epoch: server.epoch, policiesHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(Math.abs(status.serverTime - Date.now())).toBeLessThan(60_000);
  });

  it('refuses a cursor of another database, and one ahead of the head, with RESET_REQUIRED — never "nothing new"', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    await c.push([op({ rowId: 'a' })]);
    const foreign = await c.fetch(`/sync/pull?cursor=${encodeCursor('otherdb', 1)}`);
    expect(foreign.status).toBe(409);
    expect((await foreign.json()).error.code).toBe('RESET_REQUIRED');
    const ahead = await c.fetch(`/sync/pull?cursor=${encodeCursor(server.epoch, 1_000_000)}`);
    expect(ahead.status).toBe(409);
    expect((await ahead.json()).error).toMatchObject({ code: 'RESET_REQUIRED', message: expect.stringMatching(/ahead/) });
  });

  it('refuses a push written against another database, or against changes this one lost, with RESET_REQUIRED, applying nothing', async () => {
    const org = freshOrg();
    const c = await clientFor(server, { org });
    const { cursor } = await c.push([op({ rowId: 'a' })]);
    for (const seen of [encodeCursor('otherdb', 1), encodeCursor(server.epoch, 50)]) {
      const response = await c.fetch('/sync/push', {
        method: 'POST',
        body: JSON.stringify({ protocol: 2, deviceId: 'd', cursor: seen, ops: [op({ rowId: 'b' })] }),
      });
      expect(response.status).toBe(409);
      expect((await response.json()).error.code).toBe('RESET_REQUIRED');
    }
    const ok = await c.fetch('/sync/push', { method: 'POST', body: JSON.stringify({ protocol: 2, deviceId: 'd', cursor, ops: [op({ rowId: 'c' })] }) });
    expect(ok.status).toBe(200);
    expect((await c.pullAll()).map((ch) => ch.row.id)).toEqual(['a', 'c']);
  });
});
