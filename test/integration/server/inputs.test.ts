import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketHashes } from '../../../src/core/checksum/bucketHashes';
import { rowChecksum } from '../../../src/core/json/rowChecksum';
import { PROTOCOL_VERSION } from '../../../src/protocol/version';
import { encodeCursor } from '../../../src/protocol/cursor';
import { protocolSchemas } from '../../../src/protocol/schemas';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { createSyncServer } from '../../../src/server/createSyncServer';
import { clientFor, DRIVERS, freshOrg, op, startServer, tokenFor } from './harness';

describe.each(DRIVERS)('bad input on $name', ({ databaseUrl }) => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(databaseUrl, {
      tables: ['tasks', 'notes'],
      limits: { maxBodyBytes: 64 * 1024, maxOps: 50, maxRowBytes: 4096, maxPullLimit: 500 },
    });
  });
  afterAll(() => server?.close());

  const push = (ops: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ protocol: PROTOCOL_VERSION, deviceId: 'd', ops, ...extra });
  const cases: Array<[string, (token: string) => RequestInit & { path?: string }, number, string, RegExp]> = [
    ['malformed JSON', () => ({ body: '{"protocol":1,' }), 400, 'INVALID_BODY', /not valid JSON/],
    ['wrong types', () => ({ body: push([{ ...op({ rowId: 'a' }), at: 'yesterday' }]) }), 400, 'INVALID_BODY', /ops\[0\]\.at/],
    ['an unknown op kind', () => ({ body: push([{ ...op({ rowId: 'a' }), kind: 'upsert' }]) }), 400, 'INVALID_BODY', /ops\[0\]\.kind/],
    ['a huge id', () => ({ body: push([op({ rowId: 'x'.repeat(5000) })]) }), 400, 'INVALID_BODY', /rowId is longer than 256/],
    [
      'a negative field time',
      () => ({ body: push([op({ rowId: 'a', kind: 'update', patch: { title: 'x' }, fieldAt: { title: -1 } })]) }),
      400,
      'INVALID_BODY',
      /ops\[0\]\.fieldAt\.title: times must not be negative/,
    ],
    [
      'a malformed base value',
      () => ({ body: push([op({ rowId: 'a', kind: 'update', patch: { title: 'x' }, base: { v: 1, fields: { title: 'old' as never } } })]) }),
      400,
      'INVALID_BODY',
      /ops\[0\]\.base\.fields\.title: a base value is \[\]/,
    ],
    ['another protocol version', () => ({ body: push([], { protocol: 0 }) }), 400, 'UNSUPPORTED_PROTOCOL', /speaks protocol 2/],
    ['too many ops', () => ({ body: push(Array.from({ length: 51 }, (_, i) => op({ rowId: `r${i}` }))) }), 413, 'TOO_MANY_OPS', /at most 50 ops/],
    [
      'a row too large',
      () => ({ body: push([op({ rowId: 'big', patch: { id: 'big', blob: 'x'.repeat(5000) } })]) }),
      413,
      'ROW_TOO_LARGE',
      /ops\[0\] \(tasks\/big.*limited to 4096 bytes/,
    ],
    [
      'a body too large',
      () => ({ body: push([op({ rowId: 'a', patch: { id: 'a', blob: 'y'.repeat(300_000) } })]) }),
      413,
      'PAYLOAD_TOO_LARGE',
      /over the limit of 65536 bytes/,
    ],
    [
      'a gzip bomb',
      () => ({ body: gzipSync(push([op({ rowId: 'a', patch: { id: 'a', blob: 'z'.repeat(2_000_000) } })])), headers: { 'content-encoding': 'gzip' } }),
      413,
      'PAYLOAD_TOO_LARGE',
      /larger when unzipped/,
    ],
    ['missing auth', () => ({ body: push([]), headers: { authorization: '' } }), 401, 'UNAUTHORIZED', /Missing bearer token/],
    [
      'a forged token',
      () => ({ body: push([]), headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwib3JnIjoieCJ9.bad' } }),
      401,
      'UNAUTHORIZED',
      /Invalid token/,
    ],
    [
      'an unknown table in a pull',
      () => ({ method: 'GET', path: '/sync/pull?tables=projects' }),
      400,
      'UNKNOWN_TABLE',
      /Unknown table "projects": this server syncs tasks, notes/,
    ],
    ['a bad cursor', () => ({ method: 'GET', path: '/sync/pull?cursor=yesterday' }), 400, 'INVALID_CURSOR', /not one this server issued/],
    ['a page too large', () => ({ method: 'GET', path: '/sync/pull?limit=100000' }), 400, 'BAD_REQUEST', /limit must be an integer from 1 to 500/],
  ];

  it.each(cases)('refuses %s with a clear JSON error and changes nothing', async (_name, make, status, code, message) => {
    const org = freshOrg();
    const c = await clientFor(server, { org });
    await c.push([op({ rowId: 'existing' })]);
    const before = await (await c.fetch('/sync/status')).json();
    const { path = '/sync/push', method = 'POST', ...init } = make(c.token);
    const res = await c.fetch(path, { method, ...init });
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(protocolSchemas.errorBody.safeParse(body).success).toBe(true);
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(message);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
    const after = await (await c.fetch('/sync/status')).json();
    expect(after.cursor).toBe(before.cursor);
    expect((await c.pullAll()).map((ch) => ch.row.id)).toEqual(['existing']);
  });

  it('refuses an expired token', async () => {
    const expired = await tokenFor({ org: freshOrg() }, Math.floor(Date.now() / 1000) - 60);
    const res = await fetch(`${server.url}/sync/pull`, { headers: { authorization: `Bearer ${expired}` } });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toEqual({ code: 'UNAUTHORIZED', message: 'Token expired: get a new token and retry.' });
  });

  it('rejects one op of an undeclared table without failing the rest of the batch', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const { results } = await c.push([op({ table: 'projects', rowId: 'p' }), op({ rowId: 'fine' })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'applied']);
    expect(results[0]?.reason).toMatch(/UNKNOWN_TABLE: table "projects" is not declared/);
  });

  it('answers 404 for dev tokens unless dev mode is on', async () => {
    const res = await fetch(`${server.url}/auth/dev-token`, { method: 'POST', body: JSON.stringify({ user: 'a', org: 'b', role: 'owner' }) });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('NOT_FOUND');
  });

  it('answers a CORS preflight that browsers may reuse for 10 minutes', async () => {
    const res = await fetch(`${server.url}/sync/push`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
  });

  it('accepts gzip request bodies and compresses responses of 16 KiB or more when asked (smaller ones cost more than they save)', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const ops = Array.from({ length: 50 }, (_, i) => op({ rowId: `g${i}`, patch: { id: `g${i}`, title: 'compressible '.repeat(30) } }));
    const res = await c.fetch('/sync/push', {
      method: 'POST',
      body: gzipSync(JSON.stringify({ protocol: PROTOCOL_VERSION, deviceId: 'd', ops })),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).results).toHaveLength(50);
    // Raw HTTP, so nothing decompresses behind our back.
    const rawPull = (query: string) =>
      new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        const req = httpRequest(
          `${server.url}/sync/pull${query}`,
          { headers: { authorization: `Bearer ${c.token}`, 'accept-encoding': 'gzip' } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve({ encoding: response.headers['content-encoding'], body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const raw = await rawPull('');
    expect(raw.encoding).toBe('gzip');
    const pulled = JSON.parse(gunzipSync(raw.body).toString());
    expect(pulled.changes, JSON.stringify(pulled).slice(0, 300)).toHaveLength(50);
    const small = await rawPull('?limit=2');
    expect(small.encoding).toBeUndefined();
    expect(JSON.parse(small.body.toString()).changes).toHaveLength(2);
  });

  it('regression: a small push answer is sent plain with its length, not gzip-streamed (it cost each push ~2.5 ms)', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    // Raw HTTP, so nothing decompresses behind our back.
    const rawPush = (ops: ReturnType<typeof op>[]) =>
      new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const req = httpRequest(
          `${server.url}/sync/push`,
          { method: 'POST', headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json', 'accept-encoding': 'gzip' } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ protocol: PROTOCOL_VERSION, deviceId: 'd', ops }));
      });
    const small = await rawPush([op({ rowId: 's1' })]);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(Number(small.headers['content-length'])).toBe(small.body.length);
    expect(JSON.parse(small.body.toString()).results).toHaveLength(1);
    const ops = Array.from({ length: 50 }, (_, i) => op({ rowId: `b${i}`, patch: { id: `b${i}`, title: 'compressible '.repeat(30) } }));
    const large = await rawPush(ops);
    expect(large.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(large.body).toString()).rows).toHaveLength(50);
  });

  it("serves bucket checksums that match the client's own computation", async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: `k${i}`, title: `T${i}` }));
    await c.push(rows.map((r) => op({ rowId: r.id, patch: r })));
    await c.push([op({ rowId: 'k0', kind: 'delete' })]);
    const res = await (await c.fetch('/sync/checksums?table=tasks&buckets=8')).json();
    const live = rows.filter((r) => r.id !== 'k0');
    const expected = await bucketHashes(await Promise.all(live.map(async (r) => ({ id: r.id, checksum: await rowChecksum(r) }))), 8);
    expect(res).toEqual({ table: 'tasks', buckets: 8, hashes: expected });
  });

  it('keeps its maintained bucket hashes equal to the live rows through updates, deletes and re-creates', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const rows = Array.from({ length: 40 }, (_, i) => ({ id: `m${i}`, title: `T${i}` }));
    await c.push(rows.map((r) => op({ rowId: r.id, patch: r })));
    await c.push([op({ rowId: 'm1', kind: 'update', patch: { title: 'changed' } }), op({ rowId: 'm2', kind: 'delete' }), op({ rowId: 'm3', kind: 'delete' })]);
    await c.push([op({ rowId: 'm3', patch: { id: 'm3', title: 'back' } }), op({ rowId: 'm4', kind: 'update', patch: { title: 'T4' } })]);
    const live = (await c.pullAll()).filter((ch) => !ch.row._deleted).map((ch) => ch.row);
    const expected = await bucketHashes(await Promise.all(live.map(async (r) => ({ id: r.id, checksum: await rowChecksum(r) }))), 16);
    expect((await (await c.fetch('/sync/checksums?table=tasks&buckets=16')).json()).hashes).toEqual(expected);
    expect((await c.fetch('/sync/checksums?table=tasks&buckets=10')).status).toBe(400);
  });

  it('pokes live streams with the head cursor on every commit, with heartbeats', async () => {
    const org = freshOrg();
    const c = await clientFor(server, { org });
    const controller = new AbortController();
    const res = await fetch(`${server.url}/sync/events?token=${c.token}`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const events: Array<{ type: string; cursor?: string }> = [];
    let buffer = '';
    const nextEvent = async () => {
      while (!buffer.includes('\n\n')) buffer += new TextDecoder().decode((await reader.read()).value);
      const [chunk, ...rest] = buffer.split('\n\n');
      buffer = rest.join('\n\n');
      const data = chunk!
        .split('\n')
        .find((l) => l.startsWith('data:'))!
        .slice(5)
        .trim();
      const event = JSON.parse(data);
      events.push(event);
      return event;
    };
    expect(await nextEvent()).toEqual({ type: 'poke', cursor: encodeCursor(server.epoch, 0) });
    const started = performance.now();
    const { cursor } = await c.push([op({ rowId: 'live' })]);
    let event = await nextEvent();
    while (event.type !== 'poke') event = await nextEvent();
    const latency = performance.now() - started;
    expect(event).toEqual({ type: 'poke', cursor });
    console.log(`[sse] poke ${latency.toFixed(1)} ms after the push was sent`);
    while ((await nextEvent()).type !== 'heartbeat');
    controller.abort();
  });
});

describe('server processes', () => {
  it('keeps its data across a restart (PGlite folder)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chartsync-'));
    try {
      const first = await startServer(null, { dataDir: dir });
      const org = freshOrg();
      await (await clientFor(first, { org })).push([op({ rowId: 'kept' })]);
      await first.close();
      const second = await startServer(null, { dataDir: dir });
      expect((await (await clientFor(second, { org })).pullAll()).map((ch) => ch.row.id)).toEqual(['kept']);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('issues dev tokens in dev mode', async () => {
    const server = await createSyncServer({ port: 0, databaseUrl: null, auth: { mode: 'dev' } });
    try {
      const res = await fetch(`${server.url}/auth/dev-token`, { method: 'POST', body: JSON.stringify({ user: 'ana', org: 'acme', role: 'owner' }) });
      const { token } = await res.json();
      const status = await fetch(`${server.url}/sync/status`, { headers: { authorization: `Bearer ${token}` } });
      expect(status.status).toBe(200);
      const bad = await fetch(`${server.url}/auth/dev-token`, { method: 'POST', body: JSON.stringify({ user: '', org: 'acme', role: 'owner' }) });
      expect((await bad.json()).error.message).toMatch(/"user" must be/);
    } finally {
      await server.close();
    }
  });

  // Only where a real PostgreSQL is given (CI sets DATABASE_URL): PGlite is one process by nature.
  const withPostgres = process.env.DATABASE_URL ? it : undefined;
  withPostgres?.('fans pokes out across two servers on one PostgreSQL', async () => {
    const [a, b] = [await startServer(process.env.DATABASE_URL!), await startServer(process.env.DATABASE_URL!)];
    try {
      const org = freshOrg();
      const writer = await clientFor(a, { org });
      const listener = await clientFor(b, { org });
      const controller = new AbortController();
      const res = await fetch(`${b.url}/sync/events?token=${listener.token}`, { signal: controller.signal });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('"poke"')) text += new TextDecoder().decode((await reader.read()).value);
      text = '';
      const { cursor } = await writer.push([op({ rowId: 'across' })]);
      while (!text.includes(cursor)) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain(`"cursor":"${cursor}"`);
      controller.abort();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
