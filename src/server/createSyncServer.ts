import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { assertPolicies } from '../core/conflict/resolveConflict';
import type { ConflictPolicies } from '../core/conflict/types';
import { ChartsyncError } from '../core/errors';
import { createAuth, type AuthConfig } from './auth/createAuth';
import { createApp, DEFAULT_LIMITS, type ServerLimits } from './createApp';
import { stderrLogger, type ServerLogger } from './logger';
import { missingPackage } from './missingPackage';
import { createLiveStreams, type LiveStreamStats } from './sync/liveStreams';
import { purgeExpired, type PurgeStats } from './sync/purgeExpired';
import { ensureEpoch, migrate } from './storage/migrate';
import type { Storage } from './storage/types';
import { createPokeHub } from './sync/pokeHub';

/** Options of createSyncServer. */
export interface SyncServerOptions {
  /** TCP port; 0 picks a free one. @default 8787 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' (loopback only) */
  host?: string;
  /** PostgreSQL connection string; null or empty forces embedded PGlite. @default process.env.DATABASE_URL */
  databaseUrl?: string | null;
  /** PGlite data folder (kept across restarts); in memory when absent. */
  dataDir?: string;
  /** How bearer tokens are checked. */
  auth: AuthConfig;
  /** Conflict policy per table. @default field-merge for every table */
  policies?: ConflictPolicies;
  /** Tables this server syncs; others are refused. @default any table */
  tables?: readonly string[];
  limits?: Partial<ServerLimits>;
  /** Heartbeat of the live stream, ms. @default 15000 */
  heartbeatMs?: number;
  /** This server's name as the writer of merged values. @default 'server' */
  serverId?: string;
  /** Write times further ahead of server time are clamped to it (ms). @default 5 minutes */
  maxClockSkewMs?: number;
  /** Most live streams one token may hold open. @default 8 */
  maxStreamsPerToken?: number;
  /** How long a client may take to send a whole request (headers and body), ms. @default 30000 */
  requestTimeoutMs?: number;
  /**
   * How long deletions (tombstones) and op outcomes are kept, ms. A client whose cursor is behind a purged
   * tombstone downloads everything again (RESET_REQUIRED), keeping its unsent writes. An op sent again
   * after its outcome expired is judged again by its row's stamps: a plain write lands as the same value
   * again, but a `counter` field another device also changed meanwhile would count it twice.
   * @default 30 days
   */
  retentionMs?: number;
  /** Where errors and database reconnects are logged. @default JSON lines on stderr */
  logger?: ServerLogger;
  /** Log one line per request at info (request id, method, path, status, ms; never row data, names or tokens). @default false */
  requestLog?: boolean;
}

/** What the server holds open, for tests and diagnostics. */
export interface SyncServerStats extends LiveStreamStats {
  pokeSubscriptions: number;
}

/** A running sync server. */
export interface SyncServer {
  /** Base URL, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  readonly port: number;
  readonly storage: Storage;
  /** The database's epoch (see ensureEpoch). */
  readonly epoch: string;
  /** Live streams and poke subscriptions held open now. */
  stats(): SyncServerStats;
  /** Purges tombstones and op outcomes older than `retentionMs` now (the server also does it every hour). */
  purge(): Promise<PurgeStats>;
  /** Stops accepting requests, ends live streams and closes the database. */
  close(): Promise<void>;
}

/** Options of createSyncHandler: the server's, without what only a listening server has. */
export type SyncHandlerOptions = Omit<SyncServerOptions, 'port' | 'host' | 'requestTimeoutMs'>;

/** The sync server as a fetch handler, to mount in an app of your own (Hono, Node, any fetch server). */
export interface SyncHandler {
  /** Answers one request of the protocol (paths /sync/*, /healthz, /auth/dev-token in dev mode). */
  fetch(request: Request): Response | Promise<Response>;
  readonly storage: Storage;
  /** The database's epoch (see ensureEpoch). */
  readonly epoch: string;
  /** Live streams and poke subscriptions held open now. */
  stats(): SyncServerStats;
  /** Purges tombstones and op outcomes older than `retentionMs` now (also done every hour). */
  purge(): Promise<PurgeStats>;
  /** Ends live streams' subscriptions, stops purging and closes the database. */
  close(): Promise<void>;
}

/**
 * The reference sync server without a listening socket: opens the database (PGlite in `dataDir`, or
 * PostgreSQL with `databaseUrl`), runs migrations and returns the protocol's fetch handler. Mount it with
 * `app.mount('/', handler.fetch)` in Hono, or `serve({ fetch: handler.fetch })`.
 */
export async function createSyncHandler(options: SyncHandlerOptions): Promise<SyncHandler> {
  const policies = options.policies ?? {};
  assertPolicies(policies);
  const auth = createAuth(options.auth);
  const logger = options.logger ?? stderrLogger;
  const databaseUrl = options.databaseUrl === undefined ? process.env.DATABASE_URL : options.databaseUrl;
  const storage = databaseUrl
    ? await (await driver(() => import('./storage/postgresStorage'), 'pg', 'DATABASE_URL is set')).postgresStorage(databaseUrl, { logger })
    : await (await driver(() => import('./storage/pgliteStorage'), '@electric-sql/pglite', 'no DATABASE_URL is set')).pgliteStorage(options.dataDir);
  try {
    await migrate(storage);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const epoch = await ensureEpoch(storage);
  // PGlite runs no autovacuum: the planner's statistics are refreshed here, at start and with every purge
  // (without them it believes every table is empty and pulls scan the primary key instead of (org, v)).
  const analyze = () => (storage.kind === 'pglite' ? storage.query('analyze').then(() => undefined) : Promise.resolve());
  await analyze();
  const pokes = await createPokeHub(storage);
  const streams = createLiveStreams();
  const retentionMs = options.retentionMs ?? 30 * 24 * 3600_000;
  const app = createApp({
    logger,
    ...(options.requestLog ? { requestLog: true } : {}),
    streams,
    ...(options.maxClockSkewMs !== undefined ? { maxClockSkewMs: options.maxClockSkewMs } : {}),
    ...(options.maxStreamsPerToken !== undefined ? { maxStreamsPerToken: options.maxStreamsPerToken } : {}),
    storage,
    auth,
    pokes,
    policies,
    ...(options.tables ? { tables: options.tables } : {}),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    serverId: options.serverId ?? 'server',
    epoch,
    heartbeatMs: options.heartbeatMs ?? 15_000,
  });
  const purge = () => purgeExpired(storage, retentionMs);
  const purging = setInterval(
    () =>
      void purge()
        .then(analyze)
        .catch(() => undefined),
    Math.min(3600_000, Math.max(1000, retentionMs / 4)),
  );
  purging.unref();
  return {
    fetch: (request) => app.fetch(request),
    storage,
    epoch,
    stats: () => ({ ...streams.stats(), pokeSubscriptions: pokes.size() }),
    purge,
    async close() {
      clearInterval(purging);
      await pokes.close();
      await storage.close();
    },
  };
}

/**
 * Starts the reference sync server: Hono on Node, PGlite by default (in `dataDir`), PostgreSQL with
 * `databaseUrl`. Migrations run on start. Resolves once it accepts requests.
 */
export async function createSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const host = options.host ?? '127.0.0.1';
  if (options.auth.mode === 'dev' && !isLoopback(host)) {
    throw new ChartsyncError(
      'CONFIG',
      `Dev tokens are for local trials: anyone who can reach ${host} could mint a token for any org. Bind to loopback (127.0.0.1, ::1, localhost) or use JWT auth.`,
    );
  }
  const handler = await createSyncHandler(options);
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  // A client that trickles its headers or body is cut once the whole request took longer than this (live
  // streams are not affected: their request is complete; only the response goes on).
  const serverOptions = { requestTimeout, headersTimeout: Math.min(requestTimeout, 10_000), connectionsCheckingInterval: Math.min(1000, requestTimeout / 2) };
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve, reject) => {
    const s = serve({ fetch: handler.fetch, port: options.port ?? 8787, hostname: host, serverOptions }, (info: AddressInfo) =>
      resolve({ server: s, port: info.port }),
    );
    s.once('error', reject);
  }).catch(async (error: unknown) => {
    await handler.close();
    throw error;
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    storage: handler.storage,
    epoch: handler.epoch,
    stats: handler.stats,
    purge: handler.purge,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Live streams never end on their own: cut them.
        for (const socket of sockets) socket.destroy();
      });
      await handler.close();
    },
  };
}

// Loads a database driver module, which imports an optional peer dependency: when that package is not
// installed, says which one to install instead of a bare module-not-found stack.
async function driver<T>(load: () => Promise<T>, name: string, why: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!missingPackage(error, [name])) throw error;
    throw new ChartsyncError('CONFIG', `The sync server needs the package ${name} (${why}): npm install ${name}`, { cause: error });
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
