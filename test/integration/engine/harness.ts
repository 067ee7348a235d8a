import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createSyncEngine, type SyncEngine, type SyncEngineOptions } from '../../../src/engine';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { tokenFor } from '../server/harness';

export { freshOrg, startServer } from '../server/harness';

/** Engine options for tests: fake IndexedDB, no window, no Web Locks, quick leases and backoff. */
export async function engineFor(
  server: SyncServer,
  org: string,
  overrides: Partial<SyncEngineOptions> & { user?: string; role?: string } = {},
): Promise<SyncEngine> {
  const { user, role, ...rest } = overrides;
  const token = await tokenFor({ org, user: user ?? 'user', role: role ?? 'worker' });
  return createSyncEngine({
    name: `db-${Math.random().toString(36).slice(2)}`,
    url: server.url,
    tables: { tasks: 'id, status, assignee', notes: 'id' },
    token,
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    window: null,
    locks: null,
    intervalMs: 0,
    debounceMs: 0,
    live: false,
    leaderLeaseMs: 300,
    lockLeaseMs: 300,
    timeoutMs: 3000,
    backoff: { backoffBaseMs: 20, backoffMaxMs: 200, circuitThreshold: 1000, circuitCooldownMs: 1000 },
    retry: { retryBaseMs: 20, retryMaxMs: 200, maxAttempts: 50 },
    ...rest,
  });
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
