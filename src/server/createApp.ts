import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import { streamSSE } from 'hono/streaming';
import { isBucketCount, MAX_BUCKETS } from '../core/checksum/bucketHashes';
import { policiesHash } from '../core/conflict/policiesHash';
import type { ConflictPolicies } from '../core/conflict/types';
import { isChartsyncError } from '../core/errors';
import { decodeCursor, encodeCursor } from '../protocol/cursor';
import { parseMessage } from '../protocol/parseMessage';
import { createProtocolSchemas, TABLE_NAME_PATTERN, type LiveEvent } from '../protocol/schemas';
import { PROTOCOL_VERSION } from '../protocol/version';
import type { Auth } from './auth/createAuth';
import { HttpError } from './http/httpError';
import { readJsonBody } from './http/readJsonBody';
import { sizedJson } from './http/sizedJson';
import type { Storage } from './storage/types';
import { describeError, stderrLogger, type ServerLogger } from './logger';
import { headSeq } from './sync/headSeq';
import { createLiveStreams, type LiveStreams } from './sync/liveStreams';
import type { PokeHub } from './sync/pokeHub';
import { pullChanges } from './sync/pullChanges';
import { pushOps } from './sync/pushOps';
import { bucketRows } from './sync/bucketRows';
import { clampTimes, opIdAt } from './sync/pushInput';
import type { Caller } from './sync/types';

/** Request limits; every one answers a clear 413/400 when passed. */
export interface ServerLimits {
  /** Largest request body, bytes (after gzip). @default 8 MiB */
  maxBodyBytes: number;
  /** Most ops in one push. @default 1000 */
  maxOps: number;
  /** Largest row, bytes of JSON: an op's patch, and the row it makes once merged. @default 256 KiB */
  maxRowBytes: number;
  /** Most fields a row may have or have had (removed fields keep a stamp). @default 1000 */
  maxFields: number;
  /** Largest pull page. @default 5000 */
  maxPullLimit: number;
  /** Pull page when the client asks for none. @default 1000 */
  defaultPullLimit: number;
}

/** The defaults of ServerLimits. */
export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxOps: 1000,
  maxRowBytes: 256 * 1024,
  maxFields: 1000,
  maxPullLimit: 5000,
  defaultPullLimit: 1000,
};

/** How far ahead of server time a write's time may be before it is clamped (ms). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Most live streams one token may hold open at once. */
export const DEFAULT_MAX_STREAMS_PER_TOKEN = 8;

/** What the HTTP app is built from. */
export interface AppDeps {
  storage: Storage;
  auth: Auth;
  pokes: PokeHub;
  policies: ConflictPolicies;
  tables?: readonly string[];
  limits: ServerLimits;
  serverId: string;
  /** The database's epoch, carried in every cursor. */
  epoch: string;
  heartbeatMs: number;
  /** Where errors are logged. @default JSON lines on stderr */
  logger?: ServerLogger;
  /** Log one line per request (id, method, path, status, duration: never row data, names or tokens). @default false */
  requestLog?: boolean;
  /** The registry of live streams (caps and timers). @default a fresh one */
  streams?: LiveStreams;
  /** @default DEFAULT_MAX_STREAMS_PER_TOKEN */
  maxStreamsPerToken?: number;
  /** Write times further ahead of server time than this are clamped to it. @default DEFAULT_MAX_CLOCK_SKEW_MS */
  maxClockSkewMs?: number;
}

type Env = { Variables: { caller: Caller; token: string; requestId: string } };

function bearer(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  const query = c.req.query('token');
  if (query === undefined) return undefined;
  // EventSource cannot send headers: the live stream alone takes ?token= (a URL ends up in access logs).
  if (c.req.path === '/sync/events') return query;
  throw new HttpError(401, 'UNAUTHORIZED', 'Send the token in the Authorization header (Bearer <jwt>): ?token= is accepted on /sync/events only.');
}

/**
 * Responses smaller than this go uncompressed: below it gzip saves less time on the wire than it costs
 * both ends (a one-row push answered in 9 ms instead of 11 on loopback); pull pages are far larger.
 */
const COMPRESS_MIN_BYTES = 16 * 1024;

/** The Hono app of the sync server: the protocol of DESIGN.md, validated, org-scoped, compressed. */
export function createApp(deps: AppDeps): Hono<Env> {
  const { storage, auth, limits } = deps;
  const logger = deps.logger ?? stderrLogger;
  const streams = deps.streams ?? createLiveStreams();
  const schemas = createProtocolSchemas({ maxOps: limits.maxOps });
  const policyHash = policiesHash(deps.policies);
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const id = crypto.randomUUID();
    c.set('requestId', id);
    c.header('x-request-id', id);
    const started = performance.now();
    await next();
    if (!deps.requestLog) return;
    // The path without its query (the live stream's carries the token); no body, no org or user names.
    logger.info({ msg: 'request', requestId: id, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) });
  });
  // Browsers may reuse a preflight answer for 10 minutes (without it, 5 seconds): an app syncing from
  // another origin does not pay an OPTIONS round trip before most pushes.
  app.use(
    '*',
    cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type', 'Content-Encoding'], allowMethods: ['GET', 'POST', 'OPTIONS'], maxAge: 600 }),
  );
  app.use('/sync/pull', compress({ threshold: COMPRESS_MIN_BYTES }));
  app.use('/sync/push', compress({ threshold: COMPRESS_MIN_BYTES }));
  app.use('/sync/checksums', compress({ threshold: COMPRESS_MIN_BYTES }));

  app.onError((error, c) => {
    if (error instanceof HttpError)
      return sizedJson(c, { error: { code: error.code, message: error.message, ...(error.opId ? { opId: error.opId } : {}) } }, error.status);
    if (isChartsyncError(error, 'INVALID_MESSAGE') || isChartsyncError(error, 'INVALID_CURSOR')) {
      return sizedJson(c, { error: { code: error.code === 'INVALID_CURSOR' ? 'INVALID_CURSOR' : 'INVALID_BODY', message: error.message } }, 400);
    }
    // Never a stack trace on the wire, never row data or tokens in the log: its class, code and frames.
    const requestId = c.get('requestId');
    logger.error({ msg: 'request failed', requestId, method: c.req.method, path: c.req.path, ...describeError(error) });
    return sizedJson(
      c,
      { error: { code: 'INTERNAL', message: `Internal server error (request ${requestId}); the request changed nothing. Retry later.` } },
      500,
    );
  });
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `No route ${c.req.method} ${c.req.path}.` } }, 404));

  app.get('/healthz', (c) => c.json({ ok: true, storage: storage.kind, protocol: PROTOCOL_VERSION }));

  app.post('/auth/dev-token', async (c) => {
    if (!auth.issueDevToken) throw new HttpError(404, 'NOT_FOUND', 'Dev tokens are off: start the server with --dev for local trials.');
    const body = (await readJsonBody(c.req.raw, 4096)) as Record<string, unknown> | null;
    const field = (name: string) => {
      const value = body?.[name];
      if (typeof value !== 'string' || !/^[\w.@-]{1,64}$/.test(value))
        throw new HttpError(400, 'INVALID_BODY', `"${name}" must be 1-64 letters, digits or . _ @ -`);
      return value;
    };
    return c.json({ token: await auth.issueDevToken({ user: field('user'), org: field('org'), role: field('role') }) });
  });

  app.use('/sync/*', async (c, next) => {
    const token = bearer(c);
    c.set('caller', await auth.verify(token));
    c.set('token', token!);
    await next();
  });

  app.post('/sync/push', async (c) => {
    // Rows sit three levels down: body → ops → op → patch.
    const body = await readJsonBody(c.req.raw, limits.maxBodyBytes, 3, opIdAt);
    const sent = (body as { ops?: unknown } | null)?.ops;
    if (Array.isArray(sent) && sent.length > limits.maxOps)
      throw new HttpError(413, 'TOO_MANY_OPS', `A push carries at most ${limits.maxOps} ops, this one ${sent.length}: send them in batches.`);
    if ((body as { protocol?: unknown } | null)?.protocol !== PROTOCOL_VERSION) {
      throw new HttpError(
        400,
        'UNSUPPORTED_PROTOCOL',
        `This server speaks protocol ${PROTOCOL_VERSION}; the request says ${JSON.stringify((body as { protocol?: unknown } | null)?.protocol)}. Update the client.`,
      );
    }
    let request: ReturnType<typeof schemas.pushRequest.parse>;
    try {
      request = parseMessage(schemas.pushRequest, body, 'push request');
    } catch (error) {
      // Name the op the first bad field belongs to: the client dead-letters that op and sends the rest.
      const issues = (isChartsyncError(error) ? error.context.issues : undefined) as Array<{ path: string }> | undefined;
      const opId = issues?.[0] ? opIdAt(body, issues[0].path) : undefined;
      if (isChartsyncError(error)) throw new HttpError(400, 'INVALID_BODY', error.message, opId);
      throw error;
    }
    // Base versions of another database mean nothing here: the client must download again first.
    const seen = decodeCursor(request.cursor);
    if (seen && seen.epoch !== deps.epoch) throw resetRequired('The ops were written against another database of this server (its data was replaced)');
    request.ops.forEach((op, i) => {
      const size = op.kind === 'delete' ? 0 : JSON.stringify(op.patch).length;
      if (size > limits.maxRowBytes)
        throw new HttpError(
          413,
          'ROW_TOO_LARGE',
          `ops[${i}] (${op.table}/${op.rowId}, op ${op.opId}) is ${size} bytes; rows are limited to ${limits.maxRowBytes} bytes.`,
          op.opId,
        );
    });
    const ops = clampTimes(request.ops, Date.now() + (deps.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS));
    const options = {
      policies: deps.policies,
      serverId: deps.serverId,
      maxRowBytes: limits.maxRowBytes,
      maxFields: limits.maxFields,
      ...(deps.tables ? { tables: deps.tables } : {}),
    };
    const { results, rows, head } = await pushOps(storage, c.get('caller'), request.deviceId, ops, options, seen?.seq ?? 0);
    return sizedJson(c, { results, rows, cursor: encodeCursor(deps.epoch, head), epoch: deps.epoch });
  });

  app.get('/sync/pull', async (c) => {
    const position = decodeCursor(c.req.query('cursor'));
    if (position && position.epoch !== deps.epoch) throw resetRequired('The cursor belongs to another database of this server (its data was replaced)');
    const after = position?.seq ?? 0;
    const tables = tablesParam(c.req.query('tables'), deps.tables);
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? Math.min(limits.defaultPullLimit, limits.maxPullLimit) : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > limits.maxPullLimit) {
      throw new HttpError(400, 'BAD_REQUEST', `limit must be an integer from 1 to ${limits.maxPullLimit}, got ${JSON.stringify(limitText)}.`);
    }
    const page = await pullChanges(storage, deps.epoch, c.get('caller').org, after, tables, limit);
    // The length lets the compression middleware skip small pages.
    return sizedJson(c, page.json);
  });

  app.get('/sync/status', async (c) => {
    const head = await headSeq(storage, c.get('caller').org);
    return c.json({
      protocol: PROTOCOL_VERSION,
      serverTime: Date.now(),
      cursor: encodeCursor(deps.epoch, head),
      epoch: deps.epoch,
      policiesHash: await policyHash,
    });
  });

  app.get('/sync/checksums', async (c) => {
    const [table] = tablesParam(c.req.query('table'), deps.tables) ?? [];
    if (!table) throw new HttpError(400, 'BAD_REQUEST', 'Pass the table to checksum: /sync/checksums?table=tasks&buckets=64.');
    const buckets = bucketCount(c.req.query('buckets'));
    // At most MAX_BUCKETS maintained aggregates, folded to the count asked for: never the table's rows.
    const folded = await storage.query<{ bucket: number; hash: string }>(
      `select (b % $3)::int as bucket, bit_xor(hash)::text as hash from chartsync_buckets where org = $1 and tbl = $2 group by 1`,
      [c.get('caller').org, table, buckets],
    );
    const hashes = Array.from({ length: buckets }, () => '0');
    for (const { bucket, hash } of folded) hashes[Number(bucket)] = hash;
    return sizedJson(c, { table, buckets, hashes });
  });

  // The live rows of one bucket, for self-healing: a client whose bucket hash differs re-pulls only it.
  app.get('/sync/bucket', async (c) => {
    const [table] = tablesParam(c.req.query('table'), deps.tables) ?? [];
    if (!table) throw new HttpError(400, 'BAD_REQUEST', 'Pass the table: /sync/bucket?table=tasks&buckets=64&bucket=3.');
    const buckets = bucketCount(c.req.query('buckets'));
    const bucket = Number(c.req.query('bucket'));
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= buckets)
      throw new HttpError(400, 'BAD_REQUEST', `bucket must be an integer from 0 to ${buckets - 1}.`);
    const org = c.get('caller').org;
    return sizedJson(c, { table, buckets, bucket, ...(await bucketRows(storage, deps.epoch, org, table, buckets, bucket)) });
  });

  app.get('/sync/events', (c) => {
    const caller = c.get('caller');
    const max = deps.maxStreamsPerToken ?? DEFAULT_MAX_STREAMS_PER_TOKEN;
    const lease = streams.acquire(c.get('token'), max);
    if (!lease) throw new HttpError(429, 'RATE_LIMITED', `This token already holds ${max} live streams: close one first (one per device is enough).`);
    const signal = c.req.raw.signal;
    return streamSSE(c, async (stream) => {
      // Everything that must end with the stream is set up before the first await: a client that
      // disconnects at once still releases its subscription and timers.
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      stream.onAbort(end);
      signal.addEventListener('abort', end, { once: true });
      if (stream.aborted || signal.aborted) end();
      const send = (event: LiveEvent) => stream.writeSSE({ event: event.type, data: JSON.stringify(event) }).catch(end);
      // A client that asks for them (?changes=1) gets a commit's changes with its poke when they fit: it
      // applies them itself when its cursor is exactly where the commit started, and pulls otherwise.
      const inline = c.req.query('changes') === '1';
      const unsubscribe = deps.pokes.subscribe(caller.org, (poke) => {
        const cursor = encodeCursor(deps.epoch, poke.seq);
        const changes = inline && poke.from !== undefined && poke.changes ? { from: encodeCursor(deps.epoch, poke.from), changes: poke.changes } : {};
        void send({ type: 'poke', cursor, ...changes });
      });
      lease.every(() => void send({ type: 'heartbeat', serverTime: Date.now() }), deps.heartbeatMs);
      // The stream lives as long as its token: the client reconnects with a fresh one.
      if (caller.expiresAt !== undefined) lease.after(end, caller.expiresAt - Date.now());
      try {
        const head = await headSeq(storage, caller.org);
        await send({ type: 'poke', cursor: encodeCursor(deps.epoch, head) });
        await ended;
      } catch {
        // The database failed while the stream opened: end it; the client reconnects.
      } finally {
        unsubscribe();
        lease.release();
        signal.removeEventListener('abort', end);
      }
    });
  });

  return app;
}

function bucketCount(text: string | undefined): number {
  const buckets = Number(text ?? '64');
  if (!isBucketCount(buckets)) throw new HttpError(400, 'BAD_REQUEST', `buckets must be a power of two from 1 to ${MAX_BUCKETS}, got ${JSON.stringify(text)}.`);
  return buckets;
}

function resetRequired(why: string): HttpError {
  return new HttpError(409, 'RESET_REQUIRED', `${why}: download everything again and then push (the engine does this by itself).`);
}

function tablesParam(text: string | undefined, declared: readonly string[] | undefined): string[] | null {
  if (text === undefined || text === '') return null;
  const tables = text.split(',').map((t) => t.trim());
  for (const table of tables) {
    if (!TABLE_NAME_PATTERN.test(table)) throw new HttpError(400, 'BAD_REQUEST', `"${table.slice(0, 70)}" is not a table name.`);
    if (declared && !declared.includes(table)) throw new HttpError(400, 'UNKNOWN_TABLE', `Unknown table "${table}": this server syncs ${declared.join(', ')}.`);
  }
  return tables;
}
