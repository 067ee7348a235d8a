import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import { streamSSE } from 'hono/streaming';
import { bucketHashes } from '../core/checksum/bucketHashes';
import { policiesHash } from '../core/conflict/policiesHash';
import type { ConflictPolicies } from '../core/conflict/types';
import { isChartsyncError } from '../core/errors';
import { decodeCursor, encodeCursor } from '../protocol/cursor';
import { parseMessage } from '../protocol/parseMessage';
import { createProtocolSchemas, TABLE_NAME_PATTERN, type SyncEvent } from '../protocol/schemas';
import { PROTOCOL_VERSION } from '../protocol/version';
import type { Auth } from './auth/createAuth';
import { HttpError } from './http/httpError';
import { readJsonBody } from './http/readJsonBody';
import type { Storage } from './storage/types';
import type { PokeHub } from './sync/pokeHub';
import { pullChanges } from './sync/pullChanges';
import { pushOps } from './sync/pushOps';
import type { Caller } from './sync/types';

/** Request limits; every one answers a clear 413/400 when passed. */
export interface ServerLimits {
  /** Largest request body, bytes (after gzip). @default 8 MiB */
  maxBodyBytes: number;
  /** Most ops in one push. @default 1000 */
  maxOps: number;
  /** Largest row (an op's patch as JSON), bytes. @default 256 KiB */
  maxRowBytes: number;
  /** Largest pull page. @default 5000 */
  maxPullLimit: number;
  /** Pull page when the client asks for none. @default 1000 */
  defaultPullLimit: number;
}

/** The defaults of ServerLimits. */
export const DEFAULT_LIMITS: ServerLimits = { maxBodyBytes: 8 * 1024 * 1024, maxOps: 1000, maxRowBytes: 256 * 1024, maxPullLimit: 5000, defaultPullLimit: 1000 };

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
}

type Env = { Variables: { caller: Caller } };

function bearer(c: Context): string | undefined {
  const header = c.req.header('authorization');
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  // EventSource cannot send headers: the live stream also takes ?token=.
  return c.req.query('token') ?? undefined;
}

/** The Hono app of the sync server: the protocol of DESIGN.md, validated, org-scoped, compressed. */
export function createApp(deps: AppDeps): Hono<Env> {
  const { storage, auth, limits } = deps;
  const schemas = createProtocolSchemas({ maxOps: limits.maxOps });
  const policyHash = policiesHash(deps.policies);
  const app = new Hono<Env>();

  app.use('*', cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type', 'Content-Encoding'], allowMethods: ['GET', 'POST', 'OPTIONS'] }));
  app.use('/sync/pull', compress({ threshold: 1024 }));
  app.use('/sync/push', compress({ threshold: 1024 }));
  app.use('/sync/checksums', compress({ threshold: 1024 }));

  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json({ error: { code: error.code, message: error.message } }, error.status);
    if (isChartsyncError(error, 'INVALID_MESSAGE') || isChartsyncError(error, 'INVALID_CURSOR')) {
      return c.json({ error: { code: error.code === 'INVALID_CURSOR' ? 'INVALID_CURSOR' : 'INVALID_BODY', message: error.message } }, 400);
    }
    // Never a stack trace on the wire: log it here, answer a plain 500.
    console.error('chartsync server error:', error);
    return c.json({ error: { code: 'INTERNAL', message: 'Internal server error; the request changed nothing. Retry later.' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `No route ${c.req.method} ${c.req.path}.` } }, 404));

  app.get('/healthz', (c) => c.json({ ok: true, storage: storage.kind, protocol: PROTOCOL_VERSION }));

  app.post('/auth/dev-token', async (c) => {
    if (!auth.issueDevToken) throw new HttpError(404, 'NOT_FOUND', 'Dev tokens are off: start the server with --dev for local trials.');
    const body = (await readJsonBody(c.req.raw, 4096)) as Record<string, unknown> | null;
    const field = (name: string) => {
      const value = body?.[name];
      if (typeof value !== 'string' || !/^[\w.@-]{1,64}$/.test(value)) throw new HttpError(400, 'INVALID_BODY', `"${name}" must be 1-64 letters, digits or . _ @ -`);
      return value;
    };
    return c.json({ token: await auth.issueDevToken({ user: field('user'), org: field('org'), role: field('role') }) });
  });

  app.use('/sync/*', async (c, next) => {
    c.set('caller', await auth.verify(bearer(c)));
    await next();
  });

  app.post('/sync/push', async (c) => {
    const body = await readJsonBody(c.req.raw, limits.maxBodyBytes);
    const ops = (body as { ops?: unknown } | null)?.ops;
    if (Array.isArray(ops) && ops.length > limits.maxOps) throw new HttpError(413, 'TOO_MANY_OPS', `A push carries at most ${limits.maxOps} ops, this one ${ops.length}: send them in batches.`);
    if ((body as { protocol?: unknown } | null)?.protocol !== PROTOCOL_VERSION) {
      throw new HttpError(400, 'UNSUPPORTED_PROTOCOL', `This server speaks protocol ${PROTOCOL_VERSION}; the request says ${JSON.stringify((body as { protocol?: unknown } | null)?.protocol)}. Update the client.`);
    }
    const request = parseMessage(schemas.pushRequest, body, 'push request');
    // Base versions of another database mean nothing here: the client must download again first.
    const seen = decodeCursor(request.cursor);
    if (seen && seen.epoch !== deps.epoch) throw resetRequired('The ops were written against another database of this server (its data was replaced)');
    request.ops.forEach((op, i) => {
      const size = op.kind === 'delete' ? 0 : JSON.stringify(op.patch).length;
      if (size > limits.maxRowBytes) throw new HttpError(413, 'ROW_TOO_LARGE', `ops[${i}] (${op.table}/${op.rowId}, op ${op.opId}) is ${size} bytes; rows are limited to ${limits.maxRowBytes} bytes.`);
    });
    const { results, rows, head } = await pushOps(storage, c.get('caller'), request.deviceId, request.ops, { policies: deps.policies, serverId: deps.serverId, ...(deps.tables ? { tables: deps.tables } : {}) }, seen?.seq ?? 0);
    return c.json({ results, rows, cursor: encodeCursor(deps.epoch, head), epoch: deps.epoch });
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
    return c.json(await pullChanges(storage, deps.epoch, c.get('caller').org, after, tables, limit));
  });

  app.get('/sync/status', async (c) => {
    const [head] = await storage.query<{ seq: string | number }>(`select seq from chartsync_orgs where org = $1`, [c.get('caller').org]);
    return c.json({ protocol: PROTOCOL_VERSION, serverTime: Date.now(), cursor: encodeCursor(deps.epoch, Number(head?.seq ?? 0)), epoch: deps.epoch, policiesHash: await policyHash });
  });

  app.get('/sync/checksums', async (c) => {
    const [table] = tablesParam(c.req.query('table'), deps.tables) ?? [];
    if (!table) throw new HttpError(400, 'BAD_REQUEST', 'Pass the table to checksum: /sync/checksums?table=tasks&buckets=64.');
    const buckets = Number(c.req.query('buckets') ?? '64');
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 4096) throw new HttpError(400, 'BAD_REQUEST', 'buckets must be an integer from 1 to 4096.');
    const rows = await storage.query<{ id: string; checksum: string }>(`select id, checksum from chartsync_rows where org = $1 and tbl = $2 and not deleted`, [c.get('caller').org, table]);
    return c.json({ table, buckets, hashes: await bucketHashes(rows, buckets) });
  });

  app.get('/sync/events', (c) => {
    const org = c.get('caller').org;
    return streamSSE(c, async (stream) => {
      const send = (event: SyncEvent) => stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
      const [head] = await storage.query<{ seq: string | number }>(`select seq from chartsync_orgs where org = $1`, [org]);
      await send({ type: 'poke', cursor: encodeCursor(deps.epoch, Number(head?.seq ?? 0)) });
      const unsubscribe = deps.pokes.subscribe(org, (seq) => void send({ type: 'poke', cursor: encodeCursor(deps.epoch, seq) }).catch(() => undefined));
      const heartbeat = setInterval(() => void send({ type: 'heartbeat', serverTime: Date.now() }).catch(() => undefined), deps.heartbeatMs);
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      clearInterval(heartbeat);
      unsubscribe();
    });
  });

  return app;
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
