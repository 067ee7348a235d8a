import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../src/protocol/version';
import { splitSseEvents } from '../../../src/transport/readSseStream';
import { protocolSchemas } from '../../../src/protocol/schemas';
import { createApp, DEFAULT_LIMITS } from '../../../src/server/createApp';
import { createAuth } from '../../../src/server/auth/createAuth';
import { createSyncServer, type SyncServer } from '../../../src/server/createSyncServer';
import type { Storage } from '../../../src/server/storage/types';
import { LOCK_FILE } from '../../../src/server/storage/dataDirLock';
import { clientFor, DRIVERS, freshOrg, op, rowOf, SECRET, startServer, tokenFor } from './harness';

const rawPush = (ops: unknown, deviceId: unknown = 'd') => JSON.stringify({ protocol: PROTOCOL_VERSION, deviceId, ops });

type StreamEvent = { type: string; cursor?: string };

/** Reads the Server-Sent Events of a live stream: `until(stop)` reads until `stop` says so or the stream ends. */
function eventReader(res: Response) {
  const reader = res.body!.getReader();
  const events: StreamEvent[] = [];
  let buffer = '';
  return {
    async until(stop: (events: StreamEvent[]) => boolean): Promise<{ events: StreamEvent[]; ended: boolean }> {
      for (;;) {
        if (stop(events)) return { events, ended: false };
        const { value, done } = await reader.read();
        if (done) return { events, ended: true };
        const { data, rest } = splitSseEvents(buffer + new TextDecoder().decode(value));
        buffer = rest;
        for (const text of data) events.push(JSON.parse(text));
      }
    },
  };
}

const until = async (check: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(DRIVERS)('server hardening on $name', ({ databaseUrl }) => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startServer(databaseUrl, { limits: { maxRowBytes: 4096, maxFields: 40 }, maxClockSkewMs: 1000 });
  });
  afterAll(() => server?.close());

  async function refused(body: string, status: number, code: string, message: RegExp) {
    const c = await clientFor(server, { org: freshOrg() });
    await c.push([op({ rowId: 'existing' })]);
    const before = await (await c.fetch('/sync/status')).json();
    const res = await c.fetch('/sync/push', { method: 'POST', body });
    const answer = await res.json();
    expect({ status: res.status, code: answer.error?.code }).toEqual({ status, code });
    expect(protocolSchemas.errorBody.safeParse(answer).success).toBe(true);
    expect(answer.error.message).toMatch(message);
    expect((await (await c.fetch('/sync/status')).json()).cursor).toBe(before.cursor);
    expect((await c.pullAll()).map((ch) => ch.row.id)).toEqual(['existing']);
  }

  // 3: an SSE client that disconnects at once left a poke subscription and a heartbeat timer behind.
  it('leaves no subscription or timer behind after 200 instant disconnects of live streams', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const controller = new AbortController();
        const pending = fetch(`${server.url}/sync/events?token=${c.token}`, { signal: controller.signal }).catch(() => undefined);
        controller.abort();
        await pending;
      }),
    );
    // And some that disconnect right after the response started.
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      const res = await fetch(`${server.url}/sync/events?token=${c.token}`, { signal: controller.signal });
      controller.abort();
      await res.body?.cancel().catch(() => undefined);
    }
    await until(() => server.stats().liveStreams === 0 && server.stats().pokeSubscriptions === 0 && server.stats().streamTimers === 0);
  });

  // 4: NUL and unpaired surrogates passed validation and made PostgreSQL fail the whole batch (500).
  it.each([
    ['a NUL in a field value', [op({ rowId: 'a', patch: { id: 'a', title: 'x\u0000y' } })], /ops\[0\]\.patch\.title/],
    ['an unpaired surrogate in a field value', [op({ rowId: 'a', patch: { id: 'a', title: 'x\ud800y' } })], /ops\[0\]\.patch\.title/],
    ['a NUL deep in a value', [op({ rowId: 'a', patch: { id: 'a', meta: { list: ['ok', 'n\u0000'] } } })], /ops\[0\]\.patch\.meta/],
    ['a NUL in a field name', [op({ rowId: 'a', patch: { id: 'a', 'ti\u0000tle': 'x' } })], /ops\[0\]\.patch/],
    ['a NUL in a row id', [op({ rowId: 'a\u0000b', patch: { title: 'x' } })], /ops\[0\]\.rowId/],
    ['an unpaired surrogate in an op id', [{ ...op({ rowId: 'a' }), opId: 'op\udc00' }], /ops\[0\]\.opId/],
  ])('refuses %s with a 400 that names the op and field', async (_name, ops, message) => {
    await refused(rawPush(ops), 400, 'INVALID_BODY', message);
  });

  // The client dead-letters the op an error names and sends the rest: every op-specific 4xx carries its opId.
  it('names the op of a bad field in the error body (opId)', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const good = op({ rowId: 'fine' });
    const bad = op({ rowId: 'b', patch: { id: 'b', title: 'x\u0000' } });
    const answer = await (await c.fetch('/sync/push', { method: 'POST', body: rawPush([good, bad]) })).json();
    expect(answer.error).toMatchObject({ code: 'INVALID_BODY', opId: bad.opId });
    const typed = await (await c.fetch('/sync/push', { method: 'POST', body: rawPush([good, { ...bad, patch: { id: 'b' }, at: 'noon' }]) })).json();
    expect(typed.error).toMatchObject({ code: 'INVALID_BODY', opId: bad.opId });
    const big = await (await c.fetch('/sync/push', { method: 'POST', body: rawPush([good, { ...bad, patch: { id: 'b', blob: 'x'.repeat(5000) } }]) })).json();
    expect(big.error).toMatchObject({ code: 'ROW_TOO_LARGE', opId: bad.opId });
  });

  it('refuses a NUL in the device id with a 400', async () => {
    await refused(rawPush([op({ rowId: 'a' })], 'dev\u0000ice'), 400, 'INVALID_BODY', /deviceId/);
  });

  // 5: ~2,000 levels of nesting overflowed the stack in validation (500).
  it('refuses deep nesting with a 400, without recursion', async () => {
    const deep = '['.repeat(2000) + ']'.repeat(2000);
    const body = `{"protocol":${PROTOCOL_VERSION},"deviceId":"d","ops":[{"opId":"o1","table":"tasks","rowId":"a","kind":"create","at":1,"patch":{"id":"a","x":${deep}}}]}`;
    await refused(body, 400, 'INVALID_BODY', /nested deeper than 64/);
    const deeper = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    await refused(
      `{"protocol":${PROTOCOL_VERSION},"deviceId":"d","ops":[{"opId":"o1","table":"tasks","rowId":"a","kind":"create","at":1,"patch":{"id":"a","x":${deeper}}}]}`,
      400,
      'INVALID_BODY',
      /nested deeper than 64/,
    );
  });

  // 16: a "__proto__" field was dropped by validation and the write answered `applied` without it.
  it('refuses a __proto__ field instead of dropping it', async () => {
    await refused(
      `{"protocol":${PROTOCOL_VERSION},"deviceId":"d","ops":[{"opId":"o1","table":"tasks","rowId":"a","kind":"create","at":1,"patch":{"id":"a","title":"t","__proto__":{"x":1}}}]}`,
      400,
      'INVALID_BODY',
      /__proto__/,
    );
  });

  // 13: field names that are Object.prototype members read inherited functions as stamps and values.
  it('refuses field names that are Object.prototype members', async () => {
    for (const field of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      await refused(
        rawPush([op({ rowId: 'a', patch: { id: 'a', [field]: 'x' } })]),
        400,
        'INVALID_BODY',
        new RegExp(`ops\\[0\\]\\.patch\\.${field}: .*reserved`),
      );
    }
  });

  it('judges device ids named like Object.prototype members like any other', async () => {
    const org = freshOrg();
    const a = await clientFor(server, { org, user: 'a' }, 'constructor');
    const b = await clientFor(server, { org, user: 'b' }, '__proto__');
    const created = await a.push([op({ rowId: 'p', patch: { id: 'p', title: 'base', notes: 'n' }, at: 1 })]);
    const v = rowOf(created, 'p')!._v;
    await a.push([op({ rowId: 'p', kind: 'update', patch: { title: 'A' }, base: { v, fields: { title: ['base'] } }, at: 2 })]);
    await b.push([op({ rowId: 'p', kind: 'update', patch: { notes: 'B' }, base: { v, fields: { notes: ['n'] } }, at: 3 })]);
    await a.push([op({ rowId: 'p', kind: 'update', patch: { title: 'A2' }, base: { v, fields: { title: ['base'] } }, at: 4 })]);
    const [row] = (await b.pullAll()).map((ch) => ch.row);
    expect(row).toMatchObject({ title: 'A2', notes: 'B' });
  });

  // 6: an org claim of ~8,000 characters made every push 500 (the NOTIFY payload limit).
  it('refuses an over-long org claim with a 401 and serves a 256-character one', async () => {
    const long = await tokenFor({ org: 'o'.repeat(8000) });
    const res = await fetch(`${server.url}/sync/push`, { method: 'POST', headers: { authorization: `Bearer ${long}` }, body: rawPush([op({ rowId: 'a' })]) });
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toMatch(/"org" claim.*at most 256/);
    const c = await clientFor(server, { org: `${freshOrg()}-`.padEnd(256, 'x') });
    const answer = await c.push([op({ rowId: 'a' })]);
    expect(answer.results[0]!.status).toBe('applied');
  });

  // 7: each patch was under the row limit, the merged row was not.
  it('rejects an update that would grow the row past the row limit, and keeps the row', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    await c.push([op({ rowId: 'g', patch: { id: 'g', a: 'x'.repeat(3000) } })]);
    const answer = await c.push([op({ rowId: 'g', kind: 'update', patch: { b: 'y'.repeat(3000) }, base: { v: 1, fields: { b: [] } } })]);
    expect(answer.results[0]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^ROW_TOO_LARGE: .*4096 bytes/) });
    const [row] = (await c.pullAll()).map((ch) => ch.row);
    expect(row).not.toHaveProperty('b');
    expect(row!.a).toHaveLength(3000);
  });

  it('answers every row once per push: 40 updates of one row do not multiply the response', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    await c.push([op({ rowId: 'q', patch: { id: 'q', blob: 'b'.repeat(3000) } })]);
    const ops = Array.from({ length: 40 }, (_, i) => op({ rowId: 'q', kind: 'update', patch: { n: i, blob: `${i}`.padEnd(3000, 'c') } }));
    const res = await c.fetch('/sync/push', { method: 'POST', body: JSON.stringify({ protocol: PROTOCOL_VERSION, deviceId: 'dev-1', ops }) });
    const text = await res.text();
    expect(JSON.parse(text).rows).toHaveLength(1);
    expect(text.length).toBeLessThan(3000 * 2 + 40 * 200);
  });

  // 8: fields added and removed one by one grew the row's stamps without bound.
  it('rejects an op that would give the row more fields than the limit, stamps of removed fields included', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const created = await c.push([op({ rowId: 's', patch: { id: 's' } })]);
    let v = rowOf(created, 's')!._v;
    let last: Awaited<ReturnType<typeof c.push>> | undefined;
    for (let i = 0; i < 45; i++) {
      last = await c.push([
        op({ rowId: 's', patch: { id: 's', [`f${i}`]: i }, base: { v, fields: { [`f${i}`]: [], ...(i > 0 ? { [`f${i - 1}`]: [i - 1] } : {}) } } }),
      ]);
      if (last.results[0]!.status !== 'applied') break;
      v = rowOf(last, 's')!._v;
    }
    expect(last!.results[0]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^ROW_TOO_LARGE: .*40 fields/) });
  });

  // 14: one far-future `at` won last-write-wins for decades.
  it('clamps a far-future write time to server time plus the tolerance', async () => {
    const org = freshOrg();
    const a = await clientFor(server, { org, user: 'a' }, 'A');
    const b = await clientFor(server, { org, user: 'b' }, 'B');
    const created = await a.push([op({ rowId: 't', patch: { id: 't', title: 'base' }, at: Date.now() })]);
    const v = rowOf(created, 't')!._v;
    await a.push([op({ rowId: 't', kind: 'update', patch: { title: 'from 2100' }, base: { v, fields: { title: ['base'] } }, at: Date.parse('2100-01-01') })]);
    await new Promise((r) => setTimeout(r, 1300));
    await b.push([op({ rowId: 't', kind: 'update', patch: { title: 'now' }, base: { v, fields: { title: ['base'] } }, at: Date.now() })]);
    expect((await b.pullAll()).map((ch) => ch.row.title)).toEqual(['now']);
  });

  // 15: an op id reused with another payload was acknowledged with the first op's result.
  it('refuses an op id reused with a different payload with a 409 naming the op, and keeps replays working', async () => {
    const org = freshOrg();
    const c = await clientFor(server, { org }, 'A');
    const first = op({ rowId: 'u', patch: { id: 'u', title: 'first' } });
    await c.push([first]);
    expect((await c.push([first])).results[0]).toMatchObject({ status: 'applied', replayed: true });
    const res = await c.fetch('/sync/push', {
      method: 'POST',
      body: JSON.stringify({ protocol: PROTOCOL_VERSION, deviceId: 'A', ops: [{ ...first, rowId: 'v', patch: { id: 'v', title: 'second' } }] }),
    });
    expect(res.status).toBe(409);
    expect((await res.json()).error).toMatchObject({ code: 'OP_ID_REUSED', opId: first.opId });
    const other = await clientFor(server, { org, user: 'other' }, 'B');
    const res2 = await other.fetch('/sync/push', { method: 'POST', body: JSON.stringify({ protocol: PROTOCOL_VERSION, deviceId: 'B', ops: [first] }) });
    expect(res2.status).toBe(409);
    expect((await c.pullAll()).map((ch) => ch.row.id)).toEqual(['u']);
  });

  // 12: tokens in URLs land in access logs: only the live stream takes ?token=.
  it('takes ?token= on the live stream only', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const pull = await fetch(`${server.url}/sync/pull?token=${c.token}`);
    expect(pull.status).toBe(401);
    expect((await pull.json()).error.message).toMatch(/Authorization header/);
    const controller = new AbortController();
    const events = await fetch(`${server.url}/sync/events?token=${c.token}`, { signal: controller.signal });
    expect(events.status).toBe(200);
    controller.abort();
  });

  it("sends a commit's changes with its poke only to a client that asked (?changes=1), and never more than fits", async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const controller = new AbortController();
    const asked = eventReader(await fetch(`${server.url}/sync/events?token=${c.token}&changes=1`, { signal: controller.signal }));
    const plain = eventReader(await fetch(`${server.url}/sync/events?token=${c.token}`, { signal: controller.signal }));
    await asked.until((events) => events.length > 0);
    await plain.until((events) => events.length > 0);
    const small = await c.push([op({ rowId: 's', patch: { id: 's', title: 'small' } })]);
    const large = await c.push(Array.from({ length: 40 }, (_, i) => op({ rowId: `l${i}`, patch: { id: `l${i}`, title: 'x'.repeat(200) } })));
    const pokes = (events: StreamEvent[]) => events.filter((e) => e.type === 'poke');
    const withChanges = pokes((await asked.until((events) => pokes(events).length >= 3)).events);
    const without = pokes((await plain.until((events) => pokes(events).length >= 3)).events);
    controller.abort();
    // The first poke (the head when the stream opened) has no changes; the small commit's carries them.
    expect(withChanges[1]).toEqual({ type: 'poke', cursor: small.cursor, from: withChanges[0]!.cursor, changes: small.rows });
    expect(withChanges[2]).toEqual({ type: 'poke', cursor: large.cursor });
    expect(without.map((e) => Object.keys(e).sort())).toEqual([
      ['cursor', 'type'],
      ['cursor', 'type'],
      ['cursor', 'type'],
    ]);
  });

  // 11: a live stream outlived its token.
  it('closes a live stream when its token expires', async () => {
    const token = await tokenFor({ org: freshOrg() }, Math.floor(Date.now() / 1000) + 2);
    const res = await fetch(`${server.url}/sync/events?token=${token}`);
    const started = Date.now();
    const { ended } = await eventReader(res).until(() => Date.now() - started > 6000);
    expect(ended).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  // 10: tokens without `exp` never expired.
  it('refuses a token without exp', async () => {
    const forever = await new SignJWT({ org: freshOrg() }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').sign(new TextEncoder().encode(SECRET));
    const res = await fetch(`${server.url}/sync/status`, { headers: { authorization: `Bearer ${forever}` } });
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toMatch(/"exp"/);
  });

  it('caps concurrent live streams per token with a 429', async () => {
    const c = await clientFor(server, { org: freshOrg() });
    const controllers: AbortController[] = [];
    // The responses are kept: an unreferenced one may be collected, which closes its stream and frees its place.
    const responses: Response[] = [];
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      controllers.push(controller);
      responses.push(await fetch(`${server.url}/sync/events?token=${c.token}`, { signal: controller.signal }));
    }
    const statuses = responses.map((r) => r.status);
    expect(server.stats().liveStreams).toBe(8);
    for (const controller of controllers) controller.abort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(8);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
  });
});

describe('server processes, hardened', () => {
  // 7: every op's outcome was remembered forever.
  it('forgets remembered op outcomes after the retention horizon', async () => {
    const server = await startServer(null, { retentionMs: 200 });
    try {
      const c = await clientFor(server, { org: freshOrg() });
      const old = op({ rowId: 'old' });
      await c.push([old]);
      await new Promise((r) => setTimeout(r, 400));
      const recent = op({ rowId: 'recent' });
      await c.push([recent]);
      // The hourly job may have run already (its period is a quarter of the horizon, at least 1 s).
      expect((await server.purge()).opOutcomes).toBeLessThanOrEqual(1);
      expect((await c.push([recent])).results[0]).toMatchObject({ replayed: true });
      // Judged again: its row's stamps already hold the same write, so it lands as the same value.
      const again = await c.push([old]);
      expect(again.results[0]).not.toHaveProperty('replayed');
      expect((await c.pullAll()).map((ch) => [ch.row.id, ch.row.title]).sort()).toEqual([
        ['old', 'Task old'],
        ['recent', 'Task recent'],
      ]);
    } finally {
      await server.close();
    }
  });

  // 2: two servers on one PGlite folder both answered 200; after a restart one write was gone.
  it('refuses a second server on the same PGlite data folder, and starts after a crash left a stale lock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chartsync-lock-'));
    try {
      const first = await startServer(null, { dataDir: dir });
      await expect(startServer(null, { dataDir: dir })).rejects.toMatchObject({
        code: 'DATA_DIR_LOCKED',
        message: expect.stringMatching(/already used by process \d+/),
      });
      // Another process, too.
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `import('./src/server/createSyncServer.ts').then(m => m.createSyncServer({ port: 0, databaseUrl: null, dataDir: ${JSON.stringify(dir)}, auth: { mode: 'jwt', secret: 'x'.repeat(32) } })).then(() => process.exit(0), (e) => { console.error(e.code); process.exit(3); })`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise((r) => child.on('exit', r));
      expect({ code, stderr: stderr.trim() }).toEqual({ code: 3, stderr: 'DATA_DIR_LOCKED' });
      await first.close();
      // A lock left by a process that died is taken over.
      await writeFile(join(dir, 'chartsync.lock'), '999999999\n');
      const second = await startServer(null, { dataDir: dir });
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // 9: dev tokens were signed with the real JWT_SECRET, and dev mode listened on any interface.
  it('refuses dev mode with a secret or on a non-loopback host', async () => {
    await expect(createSyncServer({ port: 0, databaseUrl: null, auth: { mode: 'dev', secret: SECRET } as never })).rejects.toMatchObject({ code: 'CONFIG' });
    await expect(createSyncServer({ port: 0, host: '0.0.0.0', databaseUrl: null, auth: { mode: 'dev' } })).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringMatching(/loopback/),
    });
  });

  it('the CLI refuses --dev when JWT_SECRET is set', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', '--dev', '--port', '0'], {
      env: { ...process.env, JWT_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--dev .*JWT_SECRET/);
  });

  it('the CLI prints its usage for --help, and refuses an unknown flag with the usage instead of a stack trace', async () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: chartsync-server/);
    expect(help.out).toMatch(/PORT[\s\S]*HOST[\s\S]*DATABASE_URL[\s\S]*JWT_SECRET[\s\S]*LOG_LEVEL/);
    const bogus = await run(['--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.err).toMatch(/Unknown option '--bogus'[\s\S]*Usage:/);
    expect(bogus.err).not.toMatch(/\bat .*:\d+:\d+/);
    const badPort = await run([], { PORT: 'eighty', JWT_SECRET: SECRET });
    expect(badPort.code).toBe(2);
    expect(badPort.err).toMatch(/--port must be a port number, got eighty/);
  });

  it('the CLI shuts down on SIGTERM: exit 0, the data folder released for the next process; twice or during start-up too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chartsync-sigterm-'));
    const children: ChildProcess[] = [];
    const start = () => {
      // PGlite in `dir` (an inherited DATABASE_URL would take PostgreSQL, which has no folder lock).
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', '--dev', '--port', '0', '--data', dir], {
        env: { ...process.env, DATABASE_URL: '', JWT_SECRET: '', LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const listening = new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const url = /chartsync server on (\S+)/.exec(out)?.[1];
          if (url) resolve(url);
        });
        void exited.then((code) => reject(new Error(`exited with ${code} before listening`)));
      });
      return { child, exited, listening };
    };
    try {
      // SIGTERM then SIGINT (a process manager's two signals, Ctrl-C twice): it closes once and exits 0.
      const first = start();
      const url = await first.listening;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      first.child.kill('SIGTERM');
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);
      // The PGlite folder's lock went with it: a second server on the same folder starts. A signal while it
      // is still starting (the folder locked, the database opening): it starts, closes, exits 0.
      const second = start();
      second.listening.catch(() => undefined);
      for (let waited = 0; !existsSync(join(dir, LOCK_FILE)); waited += 5) {
        if (waited > 60_000) throw new Error('the second server never locked its data folder');
        await new Promise((r) => setTimeout(r, 5));
      }
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  // 10: in JWKS mode, tokens for another audience or issuer were accepted.
  it('requires an audience in JWKS mode, and refuses tokens for another audience or issuer', async () => {
    expect(() => createAuth({ mode: 'jwt', jwksUrl: 'https://auth.example/.well-known/jwks.json' })).toThrow(/audience/);
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    try {
      const auth = createAuth({
        mode: 'jwt',
        jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`,
        audience: 'chartsync',
        issuer: 'https://auth.test',
      });
      const sign = (aud: string, iss: string) =>
        new SignJWT({ org: 'acme' })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setSubject('ana')
          .setAudience(aud)
          .setIssuer(iss)
          .setExpirationTime('1h')
          .sign(privateKey);
      await expect(auth.verify(await sign('chartsync', 'https://auth.test'))).resolves.toMatchObject({ user: 'ana', org: 'acme' });
      await expect(auth.verify(await sign('another-app', 'https://auth.test'))).rejects.toMatchObject({
        status: 401,
        message: expect.stringMatching(/"aud" claim/),
      });
      await expect(auth.verify(await sign('chartsync', 'https://evil.test'))).rejects.toMatchObject({
        status: 401,
        message: expect.stringMatching(/"iss" claim/),
      });
    } finally {
      jwks.close();
    }
  });

  // 17: every 500 logged whole rows and the org to stderr.
  it('logs a 500 with a request id and without row data, org or token', async () => {
    const lines: string[] = [];
    const failing: Storage = {
      kind: 'pglite',
      query: async () => [],
      transaction: async () => {
        throw Object.assign(new Error('insert failed: Key (org, tbl, id)=(secret-org, tasks, a) row {"title":"top secret"}'), {
          code: '23505',
          detail: 'row {"title":"top secret"}',
        });
      },
      listen: async () => async () => undefined,
      close: async () => undefined,
    };
    const app = createApp({
      storage: failing,
      auth: createAuth({ mode: 'jwt', secret: SECRET }),
      pokes: { subscribe: () => () => undefined, close: async () => undefined, size: () => 0 },
      policies: {},
      limits: DEFAULT_LIMITS,
      serverId: 's',
      epoch: 'e1',
      heartbeatMs: 1000,
      logger: { error: (line) => lines.push(JSON.stringify(line)), info: () => undefined },
    });
    const token = await tokenFor({ org: 'secret-org' });
    const res = await app.fetch(
      new Request('http://x/sync/push', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: rawPush([op({ rowId: 'a', patch: { id: 'a', title: 'top secret' } })]),
      }),
    );
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error.requestId ?? res.headers.get('x-request-id')).toBeTruthy();
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(res.headers.get('x-request-id')!);
    expect(lines[0]).toContain('23505');
    expect(lines[0]).not.toMatch(/top secret|secret-org/);
    expect(lines[0]).not.toContain(token);
  });

  it('logs one line per request with its id, status and duration, and without row data, org or token', async () => {
    const lines: string[] = [];
    const org = `org-${freshOrg()}`;
    const server = await startServer(null, { requestLog: true, logger: { info: (line) => lines.push(JSON.stringify(line)), error: () => undefined } });
    try {
      const client = await clientFor(server, { org });
      await client.push([op({ rowId: 'a', patch: { id: 'a', title: 'top secret' } })]);
      const pulled = await fetch(`${server.url}/sync/pull?token=${client.token}`);
      expect(pulled.status).toBe(401);
      const events = await fetch(`${server.url}/sync/events?token=${client.token}`, { signal: AbortSignal.timeout(300) }).catch(() => null);
      await events?.body?.cancel().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 400));
      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(logged.map((l) => [l.method, l.path, l.status])).toEqual(
        expect.arrayContaining([
          ['POST', '/sync/push', 200],
          ['GET', '/sync/pull', 401],
        ]),
      );
      const push = logged.find((l) => l.path === '/sync/push')!;
      expect(push).toMatchObject({ msg: 'request', requestId: expect.any(String), ms: expect.any(Number) });
      for (const line of lines) {
        expect(line).not.toContain(client.token);
        expect(line).not.toMatch(/top secret/);
        expect(line).not.toContain(org);
      }
    } finally {
      await server.close();
    }
  });

  // Slow clients: a body trickled 2 bytes at a time must not hold a socket for minutes.
  it('drops a client that trickles its request body', async () => {
    const server = await startServer(null, { requestTimeoutMs: 1500 });
    const token = await tokenFor({ org: freshOrg() });
    try {
      const started = Date.now();
      const closed = await new Promise<number>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(
            `POST /sync/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`,
          );
          const drip = setInterval(() => socket.write('{"'), 200);
          socket.on('close', () => {
            clearInterval(drip);
            resolve(Date.now() - started);
          });
        });
        socket.on('error', () => undefined);
      });
      expect(closed).toBeLessThan(10_000);
    } finally {
      await server.close();
    }
  });
});

// 1: a lost PostgreSQL connection (restart, failover, idle_session_timeout) ended the process.
const withPostgres = process.env.DATABASE_URL ? describe : undefined;
withPostgres?.('PostgreSQL connection faults', () => {
  it('survives terminated pool and LISTEN connections, and pokes live streams after the LISTEN reconnects', async () => {
    // Its connections carry their own application_name: only they are terminated, not those of the suites
    // running beside this one on the same database.
    const name = `chartsync-fault-${process.pid}`;
    const url = new URL(process.env.DATABASE_URL!);
    url.searchParams.set('application_name', name);
    const server = await startServer(url.toString());
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      const org = freshOrg();
      const c = await clientFor(server, { org });
      await c.push([op({ rowId: 'before' })]);
      const controller = new AbortController();
      const res = await fetch(`${server.url}/sync/events?token=${c.token}`, { signal: controller.signal });
      const stream = eventReader(res);
      await stream.until((events) => events.length >= 1);
      // Every other backend of this database: the pool's idle connections and the LISTEN connection.
      const { rows } = await admin.query(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(2);
      // The stream gets a poke once the LISTEN connection is back (changes may have been missed), then
      // pokes for new commits again.
      await stream.until((events) => events.some((e, i) => i > 0 && e.type === 'poke'));
      const answer = await c.push([op({ rowId: 'after' })]);
      expect(answer.results[0]!.status).toBe('applied');
      const { events } = await stream.until((events) => events.some((e) => e.cursor === answer.cursor));
      expect(events.at(-1)!.cursor).toBe(answer.cursor);
      controller.abort();
      expect((await c.pullAll()).map((ch) => ch.row.id).sort()).toEqual(['after', 'before']);
    } finally {
      await admin.end();
      await server.close();
    }
  });
});
