import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { assertPolicies } from '../core/conflict/resolveConflict';
import type { ConflictPolicies } from '../core/conflict/types';
import { createAuth, type AuthConfig } from './auth/createAuth';
import { createApp, DEFAULT_LIMITS, type ServerLimits } from './createApp';
import { ensureEpoch, migrate } from './storage/migrate';
import { pgliteStorage } from './storage/pgliteStorage';
import { postgresStorage } from './storage/postgresStorage';
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
  /** This server's entry in resolved rows' clocks. @default 'server' */
  serverId?: string;
}

/** A running sync server. */
export interface SyncServer {
  /** Base URL, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  readonly port: number;
  readonly storage: Storage;
  /** The database's epoch (see ensureEpoch). */
  readonly epoch: string;
  /** Stops accepting requests, ends live streams and closes the database. */
  close(): Promise<void>;
}

/**
 * Starts the reference sync server: Hono on Node, PGlite by default (in `dataDir`), PostgreSQL with
 * `databaseUrl`. Migrations run on start. Resolves once it accepts requests.
 */
export async function createSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const policies = options.policies ?? {};
  assertPolicies(policies);
  const auth = createAuth(options.auth);
  const databaseUrl = options.databaseUrl === undefined ? process.env.DATABASE_URL : options.databaseUrl;
  const storage = databaseUrl ? await postgresStorage(databaseUrl) : await pgliteStorage(options.dataDir);
  await migrate(storage);
  const epoch = await ensureEpoch(storage);
  const pokes = await createPokeHub(storage);
  const app = createApp({
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
  const host = options.host ?? '127.0.0.1';
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 8787, hostname: host }, (info: AddressInfo) => resolve({ server: s, port: info.port }));
    s.once('error', reject);
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    storage,
    epoch,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Live streams never end on their own: cut them.
        for (const socket of sockets) socket.destroy();
      });
      await pokes.close();
      await storage.close();
    },
  };
}
