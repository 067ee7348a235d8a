import { describe, expect, it } from 'vitest';
import { createLeaderElection, type ChannelLike } from '../../../src/coordination/createLeaderElection';
import { freshIndexedDb, openTestStore } from '../local/helpers';
import { memoryLocks } from './memoryLocks';

/** BroadcastChannel between "tabs" of one test (Node's real BroadcastChannel is process-wide). */
function channels() {
  const all = new Set<{ listeners: Set<(e: { data: unknown }) => void> }>();
  return (): ChannelLike => {
    const self = { listeners: new Set<(e: { data: unknown }) => void>() };
    all.add(self);
    return {
      postMessage: (data) => queueMicrotask(() => all.forEach((other) => other !== self && other.listeners.forEach((l) => l({ data })))),
      addEventListener: (_type, listener) => self.listeners.add(listener),
      removeEventListener: (_type, listener) => self.listeners.delete(listener),
      close: () => all.delete(self),
    };
  };
}

const until = async (check: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('leader election', () => {
  it("elects one leader, forwards followers' sync requests to it, and fails over when it leaves", async () => {
    const browser = freshIndexedDb();
    const [a, b] = [await openTestStore(browser), await openTestStore(browser)];
    const channel = channels();
    const requests: string[] = [];
    const events: string[] = [];
    const tab = (name: string, db: typeof a.db) =>
      createLeaderElection({
        db,
        tabId: name,
        leaseMs: 200,
        locks: null,
        channel: channel(),
        onChange: (leader) => events.push(`${name}:${leader}`),
        onSyncRequest: (from) => requests.push(`${name}<-${from}`),
      });
    const first = tab('A', a.db);
    const second = tab('B', b.db);
    await first.start();
    await second.start();
    expect([first.isLeader, second.isLeader]).toEqual([true, false]);
    second.requestSync();
    first.requestSync();
    await until(() => requests.length === 2);
    expect(requests.sort()).toEqual(['A<-A', 'A<-B']);
    await first.stop();
    await until(() => second.isLeader);
    expect(events).toEqual(['A:true', 'A:false', 'B:true']);
    await second.stop();
  });

  it('replaces a leader that died without a word within the lease time', async () => {
    const browser = freshIndexedDb();
    const [a, b] = [await openTestStore(browser), await openTestStore(browser)];
    const locks = memoryLocks();
    const channel = channels();
    const dead = createLeaderElection({ db: a.db, tabId: 'A', leaseMs: 300, locks, channel: channel() });
    const survivor = createLeaderElection({ db: b.db, tabId: 'B', leaseMs: 300, locks: null, channel: channel() });
    await dead.start();
    await survivor.start();
    expect(survivor.isLeader).toBe(false);
    // Kill tab A: its timers stop (a frozen tab renews nothing) and the browser frees its Web Lock.
    const started = Date.now();
    (dead as unknown as { stop(): Promise<void> }).stop = async () => undefined;
    locks.kill(`chartsync:${a.db.name}:leader`);
    a.db.close();
    await until(() => survivor.isLeader, 3000);
    expect(Date.now() - started).toBeLessThan(1500);
    await survivor.stop();
  });
});
