import pg from 'pg';
import { describeError, stderrLogger, type ServerLogger } from '../logger';
import type { SqlExecutor, Storage } from './types';

/** Options of postgresStorage. */
export interface PostgresStorageOptions {
  /** Where lost connections are reported. @default JSON lines on stderr */
  logger?: ServerLogger;
  /** Pool size. @default 10 */
  max?: number;
}

/**
 * A real PostgreSQL through `pg`: a pool for queries, one dedicated connection for LISTEN.
 *
 * Connections get lost (a database restart, a failover, `idle_session_timeout`, `pg_terminate_backend`):
 * the pool drops a broken idle connection and opens a new one on demand; the LISTEN connection reconnects
 * with backoff, listens again, and then calls every `onRestored` callback — notifications sent while it was
 * away are lost, so the callers catch up from the database.
 */
export async function postgresStorage(connectionString: string, options: PostgresStorageOptions = {}): Promise<Storage> {
  const logger = options.logger ?? stderrLogger;
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
  // Without a handler, an idle connection's error ends the process.
  pool.on('error', (error) => logger.error({ msg: 'database connection lost (idle pool connection); the pool opens a new one', ...describeError(error) }));
  // Fail fast with a clear error when the database cannot be reached.
  await pool.query('select 1');
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const restored = new Set<() => void>();
  let listener: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const wrap = (client: { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> }): SqlExecutor => ({
    async query<T>(sql: string, params: readonly unknown[] = []) {
      return (await client.query(sql, [...params])).rows as T[];
    },
  });

  async function connectListener(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString });
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client));
    client.on('notification', (message) => {
      for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of handlers.keys()) await client.query(`listen ${channel}`);
    } catch (error) {
      client.removeAllListeners('end');
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  function listening(): Promise<pg.Client> {
    if (listener) return Promise.resolve(listener);
    connecting ??= connectListener().then(
      (client) => {
        listener = client;
        connecting = null;
        return client;
      },
      (error: unknown) => {
        connecting = null;
        throw error;
      },
    );
    return connecting;
  }

  function lost(client: pg.Client, error?: unknown): void {
    if (closed || listener !== client) return;
    listener = null;
    logger.error({ msg: 'database LISTEN connection lost; reconnecting', ...describeError(error) });
    reconnect(1);
  }

  function reconnect(attempt: number): void {
    if (closed) return;
    const delay = Math.min(5000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
    retry = setTimeout(() => {
      listening().then(
        () => {
          logger.info({ msg: 'database LISTEN connection restored', attempt });
          for (const fn of restored) fn();
        },
        (error: unknown) => {
          logger.error({ msg: 'database LISTEN reconnect failed; retrying', attempt, ...describeError(error) });
          reconnect(attempt + 1);
        },
      );
    }, delay);
  }

  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('begin');
        const result = await fn(wrap(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        // A connection that could not even roll back is dropped, not handed to the next request.
        client.release(broken);
      }
    },
    async listen(channel, fn, onRestored) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
      let set = handlers.get(channel);
      const fresh = !set;
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
      }
      set.add(fn);
      if (onRestored) restored.add(onRestored);
      const client = await listening();
      if (fresh) await client.query(`listen ${channel}`);
      return async () => {
        set!.delete(fn);
        if (onRestored) restored.delete(onRestored);
      };
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
