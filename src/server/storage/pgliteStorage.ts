import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './dataDirLock';
import type { SqlExecutor, Storage } from './types';

/**
 * Embedded PostgreSQL (WASM): data in `dataDir` (kept across restarts; locked to this process while open),
 * or in memory without one.
 */
export async function pgliteStorage(dataDir?: string): Promise<Storage> {
  const unlock = dataDir ? await lockDataDir(dataDir) : async () => undefined;
  let db: PGlite;
  try {
    db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  } catch (error) {
    await unlock();
    throw error;
  }
  const run = (executor: { query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }> }): SqlExecutor => ({
    async query<T>(sql: string, params: readonly unknown[] = []) {
      return (await executor.query<T>(sql, [...params])).rows;
    },
  });
  return {
    kind: 'pglite',
    ...run(db),
    // PGlite runs one transaction at a time, which already serializes pushes.
    transaction: (fn) => db.transaction((tx) => fn(run(tx))),
    async listen(channel, fn) {
      const unlisten = await db.listen(channel, fn);
      return () => unlisten();
    },
    async close() {
      await db.close();
      await unlock();
    },
  };
}
