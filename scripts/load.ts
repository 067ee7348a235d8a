// `npm run load [-- --seconds 60 --streams 1000 --writers 50]`: load test of the sync server on loopback.
//
// Phase 1: one server process (PGlite in a temporary folder, or PostgreSQL when DATABASE_URL is set), with
// `streams` live streams open across 10 orgs and `writers` clients pushing for `seconds`. Reports poke
// fan-out latency (from a push's request to the last stream of its org seeing its cursor), pushes/s, the
// server's RSS and open file descriptors before and after, and errors (must be zero).
//
// Phase 2 (needs DATABASE_URL): two server processes on one PostgreSQL, real engines split between them,
// writing; one process is killed (SIGKILL) and restarted mid-run. Then every engine settles and the
// script checks every write is on the server exactly as its writer last wrote it, and every replica equals
// the server. Exits 1 on any error.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { SignJWT } from 'jose';
import { createSyncEngine, type SyncEngine } from '../src/engine';
import { decodeCursor } from '../src/protocol/cursor';
import { PROTOCOL_VERSION } from '../src/protocol/version';
import { splitSseEvents } from '../src/transport/readSseStream';

const SECRET = 'load-test-secret-that-is-long-enough-for-hs256';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error('usage: npm run load -- [--seconds 60] [--streams 1000] [--writers 50] [--engines 20]');
    process.exit(2);
  }
  return value;
}
const SECONDS = flag('seconds', 60);
const STREAMS = flag('streams', 1000);
const WRITERS = flag('writers', 50);
const ENGINES = flag('engines', 20);
const ORGS = 10;

const token = (org: string, user: string) =>
  new SignJWT({ org, role: 'worker' }).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setExpirationTime('2h').sign(new TextEncoder().encode(SECRET));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface ServerProcess {
  child: ChildProcess;
  url: string;
  rssMb(): number;
  /** Open client connections of the process: sockets on its port (not its database connections or files). */
  fds(): number;
}

/** The inodes of established TCP connections on `port` (Linux /proc). */
function connectionInodes(pid: number, port: number): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const localPort = parseInt(cols[1]!.split(':')[1]!, 16);
      if (localPort === port && cols[3] !== '0A') inodes.add(cols[9]!);
    }
  }
  return inodes;
}

/** Starts `chartsync-server` (the CLI) as its own process, as deployed. */
async function startServerProcess(port: number, env: Record<string, string>, dataDir: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', '--port', String(port), '--data', dataDir], {
    env: { ...process.env, JWT_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return {
    child,
    url,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(status())?.[1] ?? 0) / 1024,
    fds: () => {
      const ours = connectionInodes(child.pid!, port);
      return readdirSync(`/proc/${child.pid}/fd`).filter((fd) => {
        try {
          return ours.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${child.pid}/fd/${fd}`))?.[1] ?? '');
        } catch {
          return false;
        }
      }).length;
    },
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One live stream, read with node:http (EventSource's wire format); calls `onPoke` with each poke's sequence. */
function openStream(url: string, jwt: string, onPoke: (seq: number) => void, onError: (why: string) => void): { close(): void; opened: Promise<void> } {
  let closing = false;
  let response: IncomingMessage | undefined;
  const req = httpRequest(`${url}/sync/events?token=${jwt}`, { headers: { accept: 'text/event-stream' } });
  const opened = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      response = res;
      if (res.statusCode !== 200) {
        onError(`stream answered ${res.statusCode}`);
        return reject(new Error(`stream ${res.statusCode}`));
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const { data, rest } = splitSseEvents(buffer + chunk);
        buffer = rest;
        for (const text of data) {
          const event = JSON.parse(text) as { type: string; cursor?: string };
          if (event.type === 'poke') onPoke(decodeCursor(event.cursor)!.seq);
        }
      });
      res.on('end', () => closing || onError('stream ended early'));
      resolve();
    });
    req.on('error', (error) => {
      if (!closing) onError(`stream error: ${error.message}`);
      reject(error);
    });
    req.end();
  });
  return {
    opened,
    close() {
      closing = true;
      response?.destroy();
      req.destroy();
    },
  };
}

async function phaseOne(): Promise<boolean> {
  const dataDir = await mkdtemp(join(tmpdir(), 'chartsync-load-'));
  const server = await startServerProcess(await freePort(), {}, dataDir);
  const errors: string[] = [];
  try {
    const orgs = Array.from({ length: ORGS }, (_, i) => `load-${Date.now().toString(36)}-${i}`);
    await new Promise((r) => setTimeout(r, 500));
    const before = { rss: server.rssMb(), fds: server.fds() };
    // Every poke each stream received (sequence, time), and every push (org, sequence, request time): the
    // fan-out latency of a push is when the last stream of its org saw a sequence at least its own.
    const seen: Array<{ org: number; seqs: number[]; times: number[] }> = [];
    const pushed: Array<{ org: number; seq: number; sentAt: number }> = [];
    const streams = await Promise.all(
      Array.from({ length: STREAMS }, async (_, i) => {
        const log = { org: i % ORGS, seqs: [] as number[], times: [] as number[] };
        seen.push(log);
        return openStream(
          server.url,
          await token(orgs[i % ORGS]!, `reader-${i}`),
          (seq) => {
            log.seqs.push(seq);
            log.times.push(performance.now());
          },
          (why) => errors.push(why),
        );
      }),
    );
    await Promise.all(streams.map((s) => s.opened));
    const withStreams = { rss: server.rssMb(), fds: server.fds() };
    console.log(`[load] ${STREAMS} live streams open across ${ORGS} orgs: server RSS ${withStreams.rss.toFixed(0)} MB, ${withStreams.fds} fds`);
    let pushes = 0;
    let peakRss = withStreams.rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, server.rssMb())), 500);
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        const o = w % ORGS;
        const jwt = await token(orgs[o]!, `writer-${w}`);
        for (let n = 0; Date.now() < end; n++) {
          const rowId = `w${w}-r${n % 20}`;
          const sentAt = performance.now();
          try {
            const res = await fetch(`${server.url}/sync/push`, {
              method: 'POST',
              headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                protocol: PROTOCOL_VERSION,
                deviceId: `writer-${w}`,
                ops: [
                  {
                    opId: `w${w}-${n}-${Math.random().toString(36).slice(2)}`,
                    table: 'tasks',
                    rowId,
                    kind: 'create',
                    at: Date.now(),
                    patch: { id: rowId, title: `write ${n}`, by: w },
                  },
                ],
              }),
            });
            if (!res.ok) {
              errors.push(`push answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
              continue;
            }
            const { cursor } = (await res.json()) as { cursor: string };
            pushed.push({ org: o, seq: decodeCursor(cursor)!.seq, sentAt });
            pushes += 1;
          } catch (error) {
            errors.push(`push failed: ${(error as Error).message}`);
          }
        }
      }),
    );
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 1000));
    const latencies: number[] = [];
    let unseen = 0;
    for (const push of pushed) {
      let last = 0;
      for (const log of seen) {
        if (log.org !== push.org) continue;
        // First poke at or past the push's sequence (pokes arrive in sequence order).
        let lo = 0;
        let hi = log.seqs.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (log.seqs[mid]! >= push.seq) hi = mid;
          else lo = mid + 1;
        }
        if (lo === log.seqs.length) {
          last = NaN;
          break;
        }
        last = Math.max(last, log.times[lo]!);
      }
      if (Number.isNaN(last)) unseen += 1;
      else latencies.push(Math.max(0, last - push.sentAt));
    }
    if (unseen > 0) errors.push(`${unseen} pushes never reached every stream of their org`);
    for (const s of streams) s.close();
    // Idle keep-alive connections of the writers close after the server's keep-alive timeout (5 s).
    await new Promise((r) => setTimeout(r, 6000));
    const after = { rss: server.rssMb(), fds: server.fds() };
    console.log(`[load] ${pushes} pushes in ${SECONDS} s: ${(pushes / SECONDS).toFixed(0)} pushes/s by ${WRITERS} writers`);
    console.log(
      `[load] poke fan-out (push request → last of ${STREAMS / ORGS} streams of the org): p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${percentile(latencies, 100).toFixed(1)} ms over ${latencies.length} pushes`,
    );
    console.log(
      `[load] server RSS: idle ${before.rss.toFixed(0)} MB, ${STREAMS} streams ${withStreams.rss.toFixed(0)} MB, peak under load ${peakRss.toFixed(0)} MB, after ${after.rss.toFixed(0)} MB`,
    );
    console.log(`[load] server's open client connections: before ${before.fds}, with streams ${withStreams.fds}, after ${after.fds}`);
    if (after.fds > before.fds + 5) errors.push(`open client connections grew from ${before.fds} to ${after.fds}: streams leaked`);
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`[load] phase 1 errors: ${errors.length}${errors.length ? `\n  ${[...new Set(errors)].slice(0, 10).join('\n  ')}` : ''}`);
  return errors.length === 0;
}

async function phaseTwo(databaseUrl: string): Promise<boolean> {
  const dataDir = await mkdtemp(join(tmpdir(), 'chartsync-load2-'));
  const ports = [await freePort(), await freePort()];
  let servers = [
    await startServerProcess(ports[0]!, { DATABASE_URL: databaseUrl }, dataDir),
    await startServerProcess(ports[1]!, { DATABASE_URL: databaseUrl }, dataDir),
  ];
  const org = `load2-${Date.now().toString(36)}`;
  const errors: string[] = [];
  const engines: SyncEngine[] = [];
  const lastWrite = new Map<string, string>();
  try {
    for (let i = 0; i < ENGINES; i++) {
      const engine = createSyncEngine({
        name: `load-${i}`,
        url: servers[i % 2]!.url,
        tables: { tasks: 'id' },
        token: await token(org, `engine-${i}`),
        indexedDB: new IDBFactory(),
        IDBKeyRange,
        window: null,
        locks: null,
        intervalMs: 1000,
        debounceMs: 20,
        live: true,
        timeoutMs: 3000,
        backoff: { backoffBaseMs: 50, backoffMaxMs: 1000, circuitThreshold: 1000, circuitCooldownMs: 1000 },
        retry: { retryBaseMs: 50, retryMaxMs: 1000, maxAttempts: 1000 },
      });
      await engine.start();
      engines.push(engine);
    }
    const seconds = Math.min(SECONDS, 30);
    const end = Date.now() + seconds * 1000;
    const killAt = Date.now() + (seconds * 1000) / 3;
    let killed = false;
    const killer = (async () => {
      while (Date.now() < killAt) await new Promise((r) => setTimeout(r, 100));
      servers[1]!.child.kill('SIGKILL');
      killed = true;
      console.log(`[load] phase 2: killed server 2 (SIGKILL) with ${ENGINES / 2} engines on it`);
      await new Promise((r) => setTimeout(r, 3000));
      servers = [servers[0]!, await startServerProcess(ports[1]!, { DATABASE_URL: databaseUrl }, dataDir)];
      console.log('[load] phase 2: restarted server 2 on the same port');
    })();
    let writes = 0;
    await Promise.all(
      engines.map(async (engine, i) => {
        for (let n = 0; Date.now() < end; n++) {
          const id = `e${i}-r${n % 30}`;
          const title = `engine ${i} write ${n}`;
          try {
            await engine.table('tasks').put({ id, title, by: i });
            lastWrite.set(id, title);
            writes += 1;
          } catch (error) {
            errors.push(`local write failed: ${(error as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
        }
      }),
    );
    await killer;
    if (!killed) errors.push('the kill never happened');
    console.log(`[load] phase 2: ${writes} local writes by ${ENGINES} engines in ${seconds} s; settling`);
    for (let round = 0; round < 3; round++)
      await Promise.all(engines.map((e) => e.sync({ timeoutMs: 30_000 }).catch((error: Error) => errors.push(`sync failed: ${error.message}`))));
    // The server, as a fresh client sees it.
    const jwt = await token(org, 'checker');
    const serverRows = new Map<string, Record<string, unknown>>();
    let cursor: string | undefined;
    for (;;) {
      const res = await fetch(`${servers[0]!.url}/sync/pull?limit=5000${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${jwt}` } });
      const page = (await res.json()) as { changes: Array<{ row: Record<string, unknown> }>; cursor: string; hasMore: boolean };
      for (const { row } of page.changes) if (!row._deleted) serverRows.set(row.id as string, row);
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    for (const [id, title] of lastWrite)
      if (serverRows.get(id)?.title !== title) errors.push(`lost write: ${id} should be "${title}", server has ${JSON.stringify(serverRows.get(id)?.title)}`);
    if (serverRows.size !== lastWrite.size) errors.push(`server has ${serverRows.size} rows, the engines wrote ${lastWrite.size}`);
    let diverged = 0;
    for (const engine of engines) {
      const local = await engine.table('tasks').toArray();
      const same = local.length === serverRows.size && local.every((row) => serverRows.get(row.id as string)?.title === row.title);
      if (!same) diverged += 1;
    }
    if (diverged) errors.push(`${diverged} of ${ENGINES} replicas differ from the server`);
    console.log(
      `[load] phase 2: ${lastWrite.size} rows; every write on the server: ${errors.every((e) => !e.startsWith('lost'))}; replicas equal to the server: ${ENGINES - diverged}/${ENGINES}`,
    );
  } finally {
    await Promise.all(engines.map((e) => e.stop().catch(() => undefined)));
    for (const s of servers) s.child.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`[load] phase 2 errors: ${errors.length}${errors.length ? `\n  ${[...new Set(errors)].slice(0, 10).join('\n  ')}` : ''}`);
  return errors.length === 0;
}

console.log(`[load] ${STREAMS} live streams, ${WRITERS} writers, ${SECONDS} s, server on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`);
const ok1 = await phaseOne();
let ok2 = true;
if (process.env.DATABASE_URL) ok2 = await phaseTwo(process.env.DATABASE_URL);
else console.log('[load] phase 2 (two servers on one PostgreSQL, one killed) needs DATABASE_URL: skipped');
process.exit(ok1 && ok2 ? 0 : 1);
