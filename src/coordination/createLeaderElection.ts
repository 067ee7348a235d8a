import type { LocalDb } from '../local/db';
import { createSyncLock, type LockHandle } from './createSyncLock';
import type { LockManagerLike } from './lockManager';

/** The part of BroadcastChannel leader election uses. */
export interface ChannelLike {
  /** Sends a message to the other tabs. */
  postMessage(message: unknown): void;
  /** Listens to the other tabs' messages. */
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** Stops listening. */
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** Leaves the channel. */
  close(): void;
}

/** Options of createLeaderElection. */
export interface LeaderElectionOptions {
  db: LocalDb;
  /** This tab's id. */
  tabId: string;
  /** Lease of the leadership, ms: a dead leader is replaced within about this long. @default 5000 */
  leaseMs?: number;
  locks?: LockManagerLike | null;
  now?: () => number;
  /** The tabs' channel. @default new BroadcastChannel(`chartsync:${db.name}`) */
  channel?: ChannelLike;
  /** Called with true when this tab becomes the leader and false when it stops being one. */
  onChange?: (isLeader: boolean) => void;
  /** Called on the leader when some tab asks for a sync. */
  onSyncRequest?: (fromTab: string) => void;
  /** Called on every other tab when the leader announces a finished sync cycle. */
  onPeerSynced?: (fromTab: string) => void;
}

/** One tab's part in the election. */
export interface LeaderElection {
  readonly isLeader: boolean;
  /** Joins the election: takes the leadership if free, else retries until the leader is gone. */
  start(): Promise<void>;
  /** Asks the leader to sync (runs onSyncRequest here when this tab leads). */
  requestSync(): void;
  /** Tells the other tabs that this (leading) tab finished a sync cycle. */
  announceSynced(): void;
  /** Leaves the election, handing the leadership over at once. */
  stop(): Promise<void>;
}

type Message = { type: 'sync-request'; from: string } | { type: 'leader-left'; from: string } | { type: 'synced'; from: string };

/**
 * Leader election over the cross-tab lock: the leader holds the `leader` lock and renews it; every other tab
 * follows (Dexie's liveQuery already shows them every change) and retries every lease/2, so when the leader
 * dies another tab takes over within the lease time — at once where Web Locks free a dead tab's lock, or when
 * a leader leaves and says so. Followers hand their sync requests to the leader over BroadcastChannel.
 */
export function createLeaderElection(options: LeaderElectionOptions): LeaderElection {
  const leaseMs = options.leaseMs ?? 5000;
  const lock = createSyncLock({
    db: options.db,
    ownerId: options.tabId,
    name: 'leader',
    leaseMs,
    ...(options.locks !== undefined ? { locks: options.locks } : {}),
    ...(options.now ? { now: options.now } : {}),
    onLost: () => setLeader(null),
  });
  const channel: ChannelLike = options.channel ?? (new BroadcastChannel(`chartsync:${options.db.name}`) as unknown as ChannelLike);
  let held: LockHandle | null = null;
  let running = false;
  let retry: ReturnType<typeof setTimeout> | undefined;

  function setLeader(handle: LockHandle | null): void {
    const was = held !== null;
    held = handle;
    if (was !== (handle !== null)) options.onChange?.(handle !== null);
    if (!handle && running) schedule();
  }

  function schedule(delay = Math.max(50, Math.floor(leaseMs / 2))): void {
    if (retry !== undefined) clearTimeout(retry);
    retry = setTimeout(() => void attempt(), delay);
    (retry as { unref?: () => void }).unref?.();
  }

  async function attempt(): Promise<void> {
    if (!running || held) return;
    const handle = await lock.tryAcquire().catch(() => null);
    if (!running) {
      await handle?.release().catch(() => undefined);
      return;
    }
    if (handle) setLeader(handle);
    else schedule();
  }

  const onMessage = (event: { data: unknown }): void => {
    const message = event.data as Message | null;
    if (!message || typeof message !== 'object') return;
    if (message.type === 'sync-request' && held) options.onSyncRequest?.(message.from);
    if (message.type === 'leader-left' && !held && running) schedule(0);
    if (message.type === 'synced' && !held) options.onPeerSynced?.(message.from);
  };

  return {
    get isLeader() {
      return held !== null;
    },
    async start() {
      if (running) return;
      running = true;
      channel.addEventListener('message', onMessage);
      await attempt();
    },
    requestSync() {
      if (held) options.onSyncRequest?.(options.tabId);
      else channel.postMessage({ type: 'sync-request', from: options.tabId } satisfies Message);
    },
    announceSynced() {
      if (held) channel.postMessage({ type: 'synced', from: options.tabId } satisfies Message);
    },
    async stop() {
      running = false;
      if (retry !== undefined) clearTimeout(retry);
      channel.removeEventListener('message', onMessage);
      const handle = held;
      held = null;
      if (handle) {
        await handle.release();
        options.onChange?.(false);
        channel.postMessage({ type: 'leader-left', from: options.tabId } satisfies Message);
      }
      if (!options.channel) channel.close();
    },
  };
}
