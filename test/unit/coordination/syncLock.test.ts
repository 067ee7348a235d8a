import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSyncLock, type LockHandle } from '../../../src/coordination/createSyncLock';
import { isChartsyncError } from '../../../src/core/errors';
import { freshIndexedDb, openTestStore, task } from '../local/helpers';
import { memoryLocks } from './memoryLocks';

const LEASE = 10_000;

async function twoTabs() {
  const browser = freshIndexedDb();
  const a = await openTestStore(browser);
  const b = await openTestStore(browser);
  return { a, b };
}

describe('the cross-tab sync lock', () => {
  it('never lets two tabs hold it, one with Web Locks and one without, across 1,000 random steps', async () => {
    const { a, b } = await twoTabs();
    const step = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), tab: fc.constantFrom(0, 1) }),
      fc.record({ kind: fc.constant('release' as const), tab: fc.constantFrom(0, 1) }),
      fc.record({ kind: fc.constant('renew' as const), tab: fc.constantFrom(0, 1) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 15_000 }) }),
      fc.record({ kind: fc.constant('kill' as const), tab: fc.constantFrom(0, 1) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1000, maxLength: 1000 }), async (steps) => {
        let now = 1_000_000;
        const locks = memoryLocks();
        let generation = 0;
        const make = (tab: number) =>
          createSyncLock({
            db: tab === 0 ? a.db : b.db,
            ownerId: `tab${tab}-${generation++}`,
            locks: tab === 0 ? locks : null,
            leaseMs: LEASE,
            now: () => now,
            autoRenew: false,
            name: 'prop',
          });
        const tabs = [make(0), make(1)];
        const held: Array<LockHandle | null> = [null, null];
        // Until when each tab may rightly assume it still holds the lock without asking (its lease).
        const believedUntil = [0, 0];
        let lastToken = 0;
        for (const s of steps) {
          if (s.kind === 'advance') now += s.ms;
          else if (s.kind === 'acquire' && !held[s.tab]) {
            const h = await tabs[s.tab]!.tryAcquire();
            if (h) {
              expect(h.token).toBeGreaterThan(lastToken);
              lastToken = h.token;
              believedUntil[s.tab] = now + LEASE;
            }
            held[s.tab] = h;
          } else if (s.kind === 'release' && held[s.tab]) {
            await held[s.tab]!.release();
            held[s.tab] = null;
          } else if (s.kind === 'renew' && held[s.tab]) {
            if (await held[s.tab]!.renew()) believedUntil[s.tab] = now + LEASE;
            else held[s.tab] = null;
          } else if (s.kind === 'kill') {
            // The tab dies: nothing is released by it; the browser frees its Web Lock; it comes back as a new tab.
            if (s.tab === 0) locks.kill(`chartsync:${a.db.name}:prop`);
            held[s.tab] = null;
            tabs[s.tab] = make(s.tab);
          }
          // Mutual exclusion: never two live tabs inside their lease at once...
          const believing = held.filter((h, i) => h !== null && now < believedUntil[i]!);
          expect(believing.length).toBeLessThanOrEqual(1);
          // ...and the lease record agrees with at most one of them.
          const valid = await Promise.all(held.map((h) => (h ? h.isValid() : false)));
          expect(valid.filter(Boolean).length).toBeLessThanOrEqual(1);
        }
        await Promise.all(held.map((h) => h?.release()));
        locks.kill(`chartsync:${a.db.name}:prop`);
      }),
      { numRuns: 3 },
    );
  }, 60_000);

  it("lets another tab take over a frozen owner's lease only after it expires", async () => {
    const { a, b } = await twoTabs();
    let now = 0;
    const frozen = await createSyncLock({ db: a.db, ownerId: 'A', locks: null, leaseMs: LEASE, now: () => now, autoRenew: false }).tryAcquire();
    const other = createSyncLock({ db: b.db, ownerId: 'B', locks: null, leaseMs: LEASE, now: () => now, autoRenew: false });
    expect(frozen).not.toBeNull();
    now = LEASE - 1;
    expect(await other.tryAcquire()).toBeNull();
    now = LEASE + 1;
    const taken = await other.tryAcquire();
    expect(taken?.token).toBe(frozen!.token + 1);
    // The frozen tab wakes up: its renewal fails and its token is refused.
    expect(await frozen!.isValid()).toBe(false);
    expect(await frozen!.renew()).toBe(false);
    await a.put('tasks', task('t1'));
    const [op] = await a.outbox.list();
    const error = await a.outbox.markInflight([op!.opId], frozen!.token).catch((e: unknown) => e);
    expect(isChartsyncError(error, 'STALE_LOCK')).toBe(true);
    await a.outbox.markInflight([op!.opId], taken!.token);
  });

  it("frees a dead Web-Locks holder's lock at once", async () => {
    const { a, b } = await twoTabs();
    const locks = memoryLocks();
    const first = await createSyncLock({ db: a.db, ownerId: 'A', locks, leaseMs: LEASE, now: () => 0, autoRenew: false }).tryAcquire();
    const other = createSyncLock({ db: b.db, ownerId: 'B', locks, leaseMs: LEASE, now: () => 0, autoRenew: false });
    expect(first).not.toBeNull();
    expect(await other.tryAcquire()).toBeNull();
    locks.kill(`chartsync:${a.db.name}:sync`);
    expect(await other.tryAcquire()).not.toBeNull();
  });

  it('ends a Web-Locks lease without a write: another Web-Locks tab takes the lock at once', async () => {
    const { a, b } = await twoTabs();
    const locks = memoryLocks();
    const first = await createSyncLock({ db: a.db, ownerId: 'A', locks, leaseMs: LEASE, now: () => 0, autoRenew: false }).tryAcquire();
    const lease = await a.db.table('_meta').get('lease:sync');
    await first!.release();
    // The lease record is left as it was (one IndexedDB transaction less per sync cycle)...
    expect(await a.db.table('_meta').get('lease:sync')).toEqual(lease);
    // ...and means nothing once its Web Lock is free.
    const second = await createSyncLock({ db: b.db, ownerId: 'B', locks, leaseMs: LEASE, now: () => 0, autoRenew: false }).tryAcquire();
    expect(second?.token).toBe(first!.token + 1);
    expect(await first!.isValid()).toBe(false);
  });

  it('renews a held lease automatically', async () => {
    const { a, b } = await twoTabs();
    const held = await createSyncLock({ db: a.db, ownerId: 'A', locks: null, leaseMs: 150 }).tryAcquire();
    await new Promise((r) => setTimeout(r, 400));
    expect(await held!.isValid()).toBe(true);
    expect(await createSyncLock({ db: b.db, ownerId: 'B', locks: null, leaseMs: 150 }).tryAcquire()).toBeNull();
    await held!.release();
    const next = await createSyncLock({ db: b.db, ownerId: 'B', locks: null, leaseMs: 150 }).tryAcquire();
    expect(next).not.toBeNull();
    await next!.release();
  });
});
