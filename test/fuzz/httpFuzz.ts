import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { protocolSchemas } from '../../src/protocol/schemas';
import { PROTOCOL_VERSION } from '../../src/protocol/version';
import type { SyncServer } from '../../src/server/createSyncServer';
import { freshOrg, tokenFor } from '../integration/server/harness';

/** One generated request. */
export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS';
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** Which token it carries (the valid one, none, or a hostile string). */
  auth: 'valid' | 'none' | 'header-garbage' | 'query';
}

/** What the server did with one request. */
export interface FuzzVerdict {
  status: number;
  problem?: string;
}

const NASTY_STRINGS = [
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x'.repeat(5000),
  '__proto__',
  'constructor',
  '../../etc/passwd',
  "'; drop table chartsync_rows; --",
  '%00',
  '\u202e',
  '😀',
  'c2.zzzz.zz',
  'c2.0.0',
];
const nastyString = fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 20 }));
const nastyNumber = fc.oneof(
  fc.constantFrom(-1, 0, 1.5, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_SAFE_INTEGER + 2, 4102444800000),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const deep = fc.integer({ min: 1, max: 3000 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown);
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: nastyString },
  nastyNumber,
  fc.constantFrom(null, true, [], {}, [[]], { __proto__: null }),
  deep,
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

function validOp(i: number, rowId: string) {
  return {
    opId: `fz-${Date.now().toString(36)}-${i}-${Math.random().toString(36).slice(2)}`,
    table: 'tasks',
    rowId,
    kind: 'create',
    at: Date.now(),
    patch: { id: rowId, title: `T ${i}`, n: i },
  };
}

// A valid push with one part replaced by something hostile (or removed): the near-miss inputs.
const nearValidPush = fc
  .record({
    rowId: fc.oneof(fc.constantFrom('r1', 'r2', 'r3'), nastyString),
    target: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('none', 'op.patch.title', 'op.patch.key', 'op.rowId', 'op.opId', 'deviceId') },
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          'protocol',
          'cursor',
          'ops',
          'op.table',
          'op.kind',
          'op.at',
          'op.patch',
          'op.base',
          'op.base.v',
          'op.base.fields',
          'op.fieldAt',
          'op.writes',
          'op.putAt',
          'op.row',
        ),
      },
    ),
    value: nastyValue,
    remove: fc.boolean(),
    kind: fc.constantFrom('create', 'update', 'delete'),
  })
  .map(({ rowId, target, value, remove, kind }) => {
    const op: Record<string, unknown> = { ...validOp(0, typeof rowId === 'string' ? rowId : 'r1'), kind };
    if (kind === 'delete') delete op.patch;
    if (kind === 'update') op.patch = { title: 'changed' };
    const body: Record<string, unknown> = { protocol: PROTOCOL_VERSION, deviceId: 'fuzz-device', ops: [op] };
    const set = (obj: Record<string, unknown>, key: string) => (remove ? delete obj[key] : (obj[key] = value));
    if (target === 'none') return body;
    if (!target.startsWith('op.')) set(body, target);
    else if (target === 'op.patch.title' || target === 'op.patch.key') {
      const patch = (op.patch ?? {}) as Record<string, unknown>;
      if (target === 'op.patch.title') set(patch, 'title');
      else patch[typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined')] = 1;
      op.patch = patch;
    } else if (target.startsWith('op.base.')) op.base = { v: 1, fields: {}, ...((op.base as object) ?? {}), [target.slice(8)]: value };
    else set(op, target.slice(3));
    return body;
  });

const anyPath = fc.oneof(
  { weight: 4, arbitrary: fc.constant('/sync/push') },
  { weight: 1, arbitrary: fc.constant('/sync/pull') },
  fc.constantFrom(
    '/sync/push',
    '/sync/pull',
    '/sync/status',
    '/sync/checksums',
    '/sync/bucket',
    '/sync/events',
    '/auth/dev-token',
    '/healthz',
    '/',
    '/sync',
    '/sync/push/',
    '/SYNC/PULL',
    '/sync/%2e%2e/healthz',
  ),
  fc.webPath(),
);

const query = fc.record(
  {
    cursor: fc.oneof(nastyString, fc.constantFrom('c2.', 'c2.abc.1', 'c2.abc.zzzzzzzzzzzzzz', 'c1.5')),
    limit: fc.oneof(nastyString, fc.integer({ min: -10, max: 10_000 }).map(String)),
    tables: fc.oneof(nastyString, fc.constantFrom('tasks', 'tasks,notes', 'tasks,,', ',', 'a'.repeat(100))),
    table: fc.oneof(nastyString, fc.constantFrom('tasks')),
    buckets: fc.oneof(nastyString, fc.integer({ min: -5, max: 10_000 }).map(String)),
  },
  { requiredKeys: [] },
);

const bodyOf = fc.oneof(
  { weight: 4, arbitrary: nearValidPush.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => new Uint8Array(bytes)) },
  { weight: 1, arbitrary: nearValidPush.map((b) => new Uint8Array(gzipSync(JSON.stringify(b)))) },
);

/** Arbitrary requests: endpoints, methods, near-valid and random bodies, headers, encodings, queries, tokens. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    path: anyPath,
    query,
    body: fc.oneof({ weight: 8, arbitrary: bodyOf }, fc.constant(undefined)),
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
      ),
    ),
    encoding: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, fc.constantFrom('gzip', 'identity', 'br', 'deflate', 'gzip, gzip', 'x')),
    auth: fc.oneof({ weight: 6, arbitrary: fc.constant('valid' as const) }, fc.constantFrom('none', 'header-garbage', 'query')),
    extra: fc.dictionary(
      fc.constantFrom('x-forwarded-for', 'accept', 'accept-encoding', 'origin', 'x-request-id', 'cookie'),
      fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      { maxKeys: 3 },
    ),
  })
  .chain((parts) =>
    fc
      .constantFrom(
        ...(parts.path === '/sync/push' ? (['POST', 'POST', 'POST', 'GET', 'PUT'] as const) : (['GET', 'GET', 'POST', 'DELETE', 'OPTIONS'] as const)),
      )
      .map((method) => ({ ...parts, method })),
  )
  .map(({ method, path, query: q, body, contentType, encoding, auth, extra }) => {
    const params = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]));
    const headers: Record<string, string> = { ...extra };
    if (contentType) headers['content-type'] = contentType;
    if (encoding) headers['content-encoding'] = encoding;
    if (body instanceof Uint8Array && !encoding) headers['content-encoding'] = 'gzip';
    const withBody = method !== 'GET' && method !== 'OPTIONS' && body !== undefined;
    return { method, path: `${path}${params.size ? `?${params}` : ''}`, headers, ...(withBody ? { body } : {}), auth } as FuzzRequest;
  });

/**
 * Sends one request to the server and checks the properties every answer must have: never a 5xx, a 4xx
 * has `{ error: { code, message } }`, and a 4xx changed nothing of the caller's org (its head cursor).
 */
export async function checkRequest(server: SyncServer, request: FuzzRequest, ctx: { token: string; org: string }): Promise<FuzzVerdict> {
  const headers: Record<string, string> = { ...request.headers };
  let path = request.path;
  if (request.auth === 'valid') headers.authorization = `Bearer ${ctx.token}`;
  if (request.auth === 'header-garbage') headers.authorization = `Bearer ${ctx.token.slice(0, -3)}abc`;
  if (request.auth === 'query') path += `${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(ctx.token)}`;
  const status = async () => (await (await fetch(`${server.url}/sync/status`, { headers: { authorization: `Bearer ${ctx.token}` } })).json()).cursor as string;
  const before = await status();
  const controller = new AbortController();
  let res: Response;
  try {
    res = await fetch(`${server.url}${path}`, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: controller.signal,
    });
  } catch (error) {
    // Paths that fetch itself refuses never reach the server.
    if (error instanceof TypeError && /URL|header/i.test(String(error.message) + String((error as { cause?: Error }).cause?.message))) return { status: 0 };
    return { status: 0, problem: `request failed: ${(error as Error).message}` };
  }
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    controller.abort();
    return { status: res.status };
  }
  const text = await res.text();
  if (res.status >= 500) return { status: res.status, problem: `answered ${res.status}: ${text.slice(0, 300)}` };
  if (res.status >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { status: res.status, problem: `a ${res.status} without a JSON body: ${text.slice(0, 200)}` };
    }
    if (!protocolSchemas.errorBody.safeParse(body).success)
      return { status: res.status, problem: `a ${res.status} whose body is not { error: { code, message } }: ${text.slice(0, 200)}` };
    const after = await status();
    if (after !== before) return { status: res.status, problem: `a ${res.status} changed the org's data (cursor ${before} → ${after})` };
  }
  return { status: res.status };
}

/** Runs `runs` random requests against `server` with fast-check; throws with the shrunk failing request. */
export async function fuzzHttp(server: SyncServer, options: { runs: number; seed?: number; onRun?: (verdict: FuzzVerdict) => void }): Promise<void> {
  const org = freshOrg();
  const token = await tokenFor({ org });
  await fc.assert(
    fc.asyncProperty(fuzzRequest, async (request) => {
      const verdict = await checkRequest(server, request, { token, org });
      options.onRun?.(verdict);
      if (verdict.problem)
        throw new Error(
          `${verdict.problem}\nrequest: ${JSON.stringify({ ...request, body: typeof request.body === 'string' ? request.body.slice(0, 500) : request.body && `<${request.body.byteLength} bytes>` })}`,
        );
    }),
    { numRuns: options.runs, ...(options.seed !== undefined ? { seed: options.seed } : {}), endOnFailure: false },
  );
}
