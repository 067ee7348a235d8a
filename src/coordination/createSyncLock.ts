import type { Table } from 'dexie';
import type { LocalDb } from '../local/db';
import { META_KEYS } from '../local/meta';
import { defaultLockManager, type LockManagerLike } from './lockManager';

/** The lease a lock holder keeps in `_meta`: the source of truth every tab checks. */
export interface Lease {
  owner: string;
  /** Fencing token: grows with every acquisition by any tab. */
  token: number;
  expiresAt: number;
  /** True when the owner also holds the Web Lock (so its death frees the lock at once). */
  webLocks: boolean;
}

/** A held lock. */
export interface LockHandle {
  /** The fencing token of this acquisition; pushes made under it are refused once it is stale. */
  readonly token: number;
  /** What `onTake` found in the lease's transaction, when it returns a number (the outbox lock: the newest outbox key). */
  readonly taken?: number;
  /** Extends the lease; resolves false (and the handle is lost) when another tab has taken it over. */
  renew(): Promise<boolean>;
  /** True while the lease is still ours and unexpired. */
  isValid(): Promise<boolean>;
  /** Gives the lock up (idempotent). */
  release(): Promise<void>;
}

/** Options of createSyncLock. */
export interface SyncLockOptions {
  db: LocalDb;
  /** This tab's id (unique per tab). */
  ownerId: string;
  /** Lock name: one lock per name per database. @default 'sync' */
  name?: string;
  /** How long a lease lives without renewal, ms. @default 10000 */
  leaseMs?: number;
  /** Web Locks; null to use the lease alone. @default navigator.locks when present */
  locks?: LockManagerLike | null;
  /** Clock. @default Date.now */
  now?: () => number;
  /** Renew automatically every leaseMs / 3 while held. @default true */
  autoRenew?: boolean;
  /** Called when a held lock is lost to another tab (found at renewal). */
  onLost?: () => void;
  /**
   * Work done in the lease's own transaction whenever the lock is taken, over `tables` as well as `_meta`
   * (the sync lock resets in-flight ops there: one IndexedDB transaction instead of two per cycle). A number
   * it returns is the handle's `taken`.
   */
  onTake?: { tables: readonly Table[]; run(token: number): Promise<number | undefined> };
}

/** A cross-tab lock over one IndexedDB database. */
export interface SyncLock {
  /** Takes the lock if no live tab holds it; null otherwise. Never waits. */
  tryAcquire(): Promise<LockHandle | null>;
  /** Takes the lock, polling until it is free or `signal` aborts. */
  acquire(signal?: AbortSignal, pollMs?: number): Promise<LockHandle>;
}

/**
 * A cross-tab lock: a lease in `_meta` (owner, fencing token, expiry), renewed while held and taken over
 * once expired, so a frozen or killed tab cannot hold it forever. Where Web Locks exist, a holder also holds
 * the Web Lock of the same name: the browser frees it the moment the tab dies, and a tab that then gets the
 * Web Lock may take over a Web-Locks lease at once instead of waiting for it to expire. Tabs with and
 * without Web Locks share the lease, so they exclude each other too. Every acquisition takes a new, larger
 * fencing token; `markInflight` refuses a push under any older one.
 */
export function createSyncLock(options: SyncLockOptions): SyncLock {
  const { db, ownerId } = options;
  const name = options.name ?? 'sync';
  const leaseMs = options.leaseMs ?? 10_000;
  const locks = options.locks === undefined ? defaultLockManager() : options.locks;
  const now = options.now ?? Date.now;
  const meta = db._meta;
  const leaseKey = META_KEYS.lease(name);

  // Holds the Web Lock until `release` is called; resolves null when it is taken.
  const holdWebLock = (): Promise<(() => void) | null> =>
    new Promise((resolve, reject) => {
      locks!
        .request(`chartsync:${db.name}:${name}`, { ifAvailable: true }, (lock) => {
          if (!lock) {
            resolve(null);
            return undefined;
          }
          return new Promise<void>((release) => resolve(release));
        })
        .catch(reject);
    });

  const takeLease = (webLocks: boolean): Promise<{ token: number; taken: number | undefined } | null> =>
    db.transaction('rw', [meta, ...(options.onTake?.tables ?? [])], async () => {
      const lease = (await meta.get(leaseKey))?.value as Lease | undefined;
      const t = now();
      const heldByOther = lease !== undefined && lease.owner !== ownerId && lease.expiresAt > t;
      // Holding the Web Lock proves a Web-Locks owner is gone: its lease may be taken before it expires.
      if (heldByOther && !(webLocks && lease.webLocks)) return null;
      const fence = (((await meta.get(META_KEYS.fence))?.value as number | undefined) ?? 0) + 1;
      await meta.bulkPut([
        { key: META_KEYS.fence, value: fence },
        { key: leaseKey, value: { owner: ownerId, token: fence, expiresAt: t + leaseMs, webLocks } satisfies Lease },
      ]);
      const taken = await options.onTake?.run(fence);
      return { token: fence, taken };
    });

  async function tryAcquire(): Promise<LockHandle | null> {
    const releaseWebLock = locks ? await holdWebLock() : null;
    if (locks && !releaseWebLock) return null;
    let lease: { token: number; taken: number | undefined } | null;
    try {
      lease = await takeLease(releaseWebLock !== null);
    } catch (error) {
      releaseWebLock?.();
      throw error;
    }
    if (lease === null) {
      releaseWebLock?.();
      return null;
    }
    return handle(lease.token, lease.taken, releaseWebLock);
  }

  function handle(token: number, taken: number | undefined, releaseWebLock: (() => void) | null): LockHandle {
    let released = false;
    let timer: ReturnType<typeof setInterval> | undefined;
    const ours = (lease: Lease | undefined): lease is Lease => lease !== undefined && lease.owner === ownerId && lease.token === token;
    const stop = (): void => {
      released = true;
      if (timer !== undefined) clearInterval(timer);
      releaseWebLock?.();
    };
    const self: LockHandle = {
      token,
      ...(taken === undefined ? {} : { taken }),
      async renew() {
        if (released) return false;
        const kept = await db.transaction('rw', meta, async () => {
          const lease = (await meta.get(leaseKey))?.value as Lease | undefined;
          if (!ours(lease)) return false;
          await meta.put({ key: leaseKey, value: { ...lease, expiresAt: now() + leaseMs } });
          return true;
        });
        if (!kept) {
          stop();
          options.onLost?.();
        }
        return kept;
      },
      async isValid() {
        if (released) return false;
        const lease = (await meta.get(leaseKey))?.value as Lease | undefined;
        return ours(lease) && lease.expiresAt > now();
      },
      async release() {
        if (released) return;
        const webLocks = releaseWebLock !== null;
        stop();
        // A Web-Locks lease needs no write to end: whoever gets the Web Lock now may take it over at once.
        if (webLocks) return;
        await db.transaction('rw', meta, async () => {
          const lease = (await meta.get(leaseKey))?.value as Lease | undefined;
          if (ours(lease)) await meta.delete(leaseKey);
        });
      },
    };
    if (options.autoRenew !== false) {
      timer = setInterval(() => void self.renew().catch(() => undefined), Math.max(50, Math.floor(leaseMs / 3)));
      (timer as { unref?: () => void }).unref?.();
    }
    return self;
  }

  return {
    tryAcquire,
    async acquire(signal, pollMs = Math.max(50, Math.floor(leaseMs / 4))) {
      for (;;) {
        signal?.throwIfAborted();
        const held = await tryAcquire();
        if (held) return held;
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, pollMs);
          signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
        });
      }
    },
  };
}

/** What createOutboxLock needs of a local store. */
export interface OutboxLockStore {
  db: LocalDb;
  outbox: { resetInflight(lockToken: number): Promise<number>; lastSeq(): Promise<number> };
}

/**
 * The sync lock of a store: whoever takes it resets the store's in-flight ops, in the lease's own
 * transaction — any op still in flight then was sent by a holder that will never hear back, and the server
 * dedups the re-send. The same transaction reads the newest outbox key (the handle's `taken`): the bound
 * of the cycle the lock begins, so a cycle that begins with nothing queued needs no outbox transaction.
 */
export function createOutboxLock(store: OutboxLockStore, options: Omit<SyncLockOptions, 'db' | 'onTake'>): SyncLock {
  const run = async (token: number) => {
    await store.outbox.resetInflight(token);
    return store.outbox.lastSeq();
  };
  return createSyncLock({ ...options, db: store.db, onTake: { tables: [store.db._outbox], run } });
}
