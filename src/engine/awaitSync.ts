import type { SyncActorRef } from '../../machines/syncMachine';
import { topStateOf } from '../../machines/transitions';
import type { LeaderElection } from '../coordination/createLeaderElection';
import { deadline } from '../core/deadline';
import { ChartsyncError } from '../core/errors';

/** Resolves once the actor has left `rehydrating` (counters are restored then). */
export function afterRehydration(actor: SyncActorRef): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = () => {
      if (topStateOf(actor.getSnapshot().value) === 'rehydrating') return false;
      sub?.unsubscribe();
      resolve();
      return true;
    };
    let sub: { unsubscribe(): void } | undefined;
    if (!check()) sub = actor.subscribe(check);
  });
}

/**
 * Resolves `done` when cycle number `target` or a later one completes (context.completedCycle): a cycle that
 * fails and is retried counts as a new cycle, so a caller never waits for a cycle that will not come. Resolves
 * `lost-lead` when the tab, having led, stops leading (another tab took a frozen tab's lease): its cycles
 * stop, the new leader's are the ones to wait for. Rejects when the chart lands in `error` or `offline`, or
 * after `timeoutMs`.
 */
export async function waitForCycle(actor: SyncActorRef, target: number, timeoutMs: number): Promise<'done' | 'lost-lead'> {
  const limit = deadline(
    timeoutMs,
    () =>
      new ChartsyncError(
        'TIMEOUT',
        `sync() did not finish within ${timeoutMs} ms (status ${topStateOf(actor.getSnapshot().value)}); your writes are safe in the outbox and will sync later.`,
      ),
  );
  let sub: { unsubscribe(): void } | undefined;
  // The chart may learn that it leads a moment after the election says so: only a lead it had can be lost.
  let led = false;
  const outcome = new Promise<'done' | 'lost-lead'>((resolve, reject) => {
    const check = () => {
      const snapshot = actor.getSnapshot();
      const status = topStateOf(snapshot.value);
      if (snapshot.context.completedCycle >= target) return resolve('done');
      if (snapshot.context.isLeader) led = true;
      else if (led) return resolve('lost-lead');
      if (status === 'error')
        return reject(
          new ChartsyncError(
            snapshot.context.errorReason === 'auth' ? 'AUTH' : 'SERVER',
            `sync() failed: ${snapshot.context.lastError?.message ?? 'unknown error'}`,
            { context: { reason: snapshot.context.errorReason } },
          ),
        );
      if (status === 'offline')
        return reject(
          new ChartsyncError('NETWORK', 'sync() cannot finish while offline; your writes are safe in the outbox and will sync when the connection is back.'),
        );
    };
    sub = actor.subscribe(check);
    check();
  });
  try {
    return await Promise.race([outcome, limit.expired]);
  } finally {
    limit.cancel();
    sub?.unsubscribe();
  }
}

/** What a follower tab's sync needs from the engine. */
export interface FollowerSyncDeps {
  actor: SyncActorRef;
  election: LeaderElection;
  /** Registers a callback for each "the leader finished a cycle" announcement; returns its removal. */
  onPeerSynced(fn: () => void): () => void;
  outboxCount(): Promise<number>;
  /** The tab's own sync, for when it becomes the leader while waiting. */
  syncAsLeader(timeoutMs: number): Promise<void>;
}

/**
 * A follower's sync: asks the leader, then waits for a cycle of the leader's that started after the request
 * (its second announcement — the first may be of a cycle already running — or the first when the outbox is
 * then empty), or, if this tab becomes the leader meanwhile, for a cycle of its own. Event-driven: no polling.
 */
export async function waitForFollowerSync(deps: FollowerSyncDeps, timeoutMs: number): Promise<void> {
  const started = Date.now();
  const limit = deadline(
    timeoutMs,
    () =>
      new ChartsyncError('TIMEOUT', `sync() did not finish within ${timeoutMs} ms: no leader tab has synced since; this tab's writes are safe in the outbox.`),
  );
  const cleanups: Array<() => void> = [limit.cancel];
  try {
    const outcome = new Promise<'done' | 'leader'>((resolve, reject) => {
      let announced = 0;
      cleanups.push(
        deps.onPeerSynced(() => {
          announced += 1;
          if (announced >= 2) return resolve('done');
          deps.outboxCount().then((n) => n === 0 && resolve('done'), reject);
        }),
      );
      const leaderSub = deps.actor.subscribe((snapshot) => snapshot.context.isLeader && resolve('leader'));
      cleanups.push(() => leaderSub.unsubscribe());
      if (deps.election.isLeader) resolve('leader');
    });
    deps.election.requestSync();
    const how = await Promise.race([outcome, limit.expired]);
    if (how === 'leader') await deps.syncAsLeader(Math.max(1, timeoutMs - (Date.now() - started)));
  } finally {
    for (const cleanup of cleanups) cleanup();
  }
}
