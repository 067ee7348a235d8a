import pg from 'pg';
import type { SqlExecutor, Storage } from './types';

/** A real PostgreSQL through `pg`: a pool for queries, one dedicated connection for LISTEN. */
export async function postgresStorage(connectionString: string): Promise<Storage> {
  const pool = new pg.Pool({ connectionString, max: 10 });
  // Fail fast with a clear error when the database cannot be reached.
  await pool.query('select 1');
  let listener: pg.Client | null = null;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const wrap = (client: { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> }): SqlExecutor => ({
    async query<T>(sql: string, params: readonly unknown[] = []) {
      return (await client.query(sql, [...params])).rows as T[];
    },
  });
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn(wrap(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, fn) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
      if (!listener) {
        listener = new pg.Client({ connectionString });
        await listener.connect();
        listener.on('notification', (message) => {
          for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
        });
      }
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        await listener.query(`listen ${channel}`);
      }
      set.add(fn);
      return async () => {
        set!.delete(fn);
      };
    },
    async close() {
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
