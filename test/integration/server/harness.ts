import { SignJWT } from 'jose';
import { createSyncServer, type SyncServer, type SyncServerOptions } from '../../../src/server/createSyncServer';
import { PROTOCOL_VERSION } from '../../../src/protocol/version';
import type { PullResponse, PushResponse, WireOp, WireRow } from '../../../src/protocol/schemas';

export const SECRET = 'test-secret-that-is-long-enough-for-hs256';

/** The storage drivers the server suite runs against: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const DRIVERS: ReadonlyArray<{ name: string; databaseUrl: string | null }> = [
  { name: 'PGlite', databaseUrl: null },
  ...(process.env.DATABASE_URL ? [{ name: 'PostgreSQL', databaseUrl: process.env.DATABASE_URL }] : []),
];

/** Starts a server on a free loopback port with JWT auth over SECRET. */
export function startServer(databaseUrl: string | null, options: Partial<SyncServerOptions> = {}): Promise<SyncServer> {
  return createSyncServer({ port: 0, databaseUrl, auth: { mode: 'jwt', secret: SECRET }, heartbeatMs: 200, ...options });
}

/** A signed token for a user of an org. */
export function tokenFor(claims: { user?: string; org: string; role?: string }, expiresIn: string | number = '1h'): Promise<string> {
  return new SignJWT({ org: claims.org, role: claims.role ?? 'worker' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.user ?? 'user')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(SECRET));
}

let counter = 0;
/** A unique org name, so tests sharing one database never see each other's rows. */
export function freshOrg(): string {
  counter += 1;
  return `org-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** A protocol client for one user of one org. */
export async function clientFor(server: Pick<SyncServer, 'url'>, claims: { user?: string; org: string; role?: string }, deviceId = 'dev-1') {
  const token = await tokenFor(claims);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return {
    token,
    async push(ops: readonly WireOp[], device = deviceId): Promise<PushResponse> {
      const res = await fetch(`${server.url}/sync/push`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ protocol: PROTOCOL_VERSION, deviceId: device, ops }),
      });
      if (!res.ok) throw new Error(`push failed ${res.status}: ${await res.text()}`);
      return (await res.json()) as PushResponse;
    },
    async pull(query: { cursor?: string; tables?: string; limit?: number } = {}): Promise<PullResponse> {
      const params = new URLSearchParams();
      if (query.cursor) params.set('cursor', query.cursor);
      if (query.tables) params.set('tables', query.tables);
      if (query.limit) params.set('limit', String(query.limit));
      const res = await fetch(`${server.url}/sync/pull?${params}`, { headers });
      if (!res.ok) throw new Error(`pull failed ${res.status}: ${await res.text()}`);
      return (await res.json()) as PullResponse;
    },
    async pullAll(tables?: string): Promise<PullResponse['changes']> {
      const all: PullResponse['changes'] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await this.pull({ ...(cursor ? { cursor } : {}), ...(tables ? { tables } : {}), limit: 500 });
        all.push(...page.changes);
        cursor = page.cursor;
        if (!page.hasMore) return all;
      }
    },
    fetch: (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } }),
  };
}

let opCounter = 0;
/** An op with sensible defaults. */
export function op(partial: Partial<WireOp> & Pick<WireOp, 'rowId'>): WireOp {
  opCounter += 1;
  const kind = partial.kind ?? 'create';
  return {
    opId: `op-${process.pid}-${opCounter}`,
    table: 'tasks',
    kind,
    ...(kind === 'delete' ? {} : { patch: { id: partial.rowId, title: `Task ${partial.rowId}` } }),
    at: opCounter,
    ...partial,
  } as WireOp;
}

/** The row a push answered with for `rowId` (of `table`, default tasks). */
export function rowOf(response: PushResponse, rowId: string, table = 'tasks'): WireRow | undefined {
  return response.rows.find((change) => change.table === table && change.row.id === rowId)?.row;
}
