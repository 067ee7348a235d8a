import { fromPromise } from 'xstate';
import type { PushBatchInput, PushBatchOutput } from '../../machines/syncMachine';
import { ChartsyncError, isChartsyncError } from '../core/errors';
import type { LocalStore } from '../local/openLocalStore';
import type { Claim } from '../local/outbox/claimBatch';
import { coveredRange, type CursorAdvance } from '../local/outbox/ackOps';
import type { ConflictRecord, DeadLetter, OutboxEntry } from '../local/types';
import type { PushResponse, WireChange, WireOp } from '../protocol/schemas';
import { furthestCursor } from '../protocol/cursor';
import { PROTOCOL_VERSION } from '../protocol/version';
import type { Transport } from '../transport/types';

/** What the push actor needs. */
export interface PushBatchDeps {
  store: LocalStore;
  transport: Transport;
  /** Most ops per push. @default 500 */
  maxOps?: number;
  onConflicts?: (records: ConflictRecord[]) => void;
  onDeadLetters?: (letters: DeadLetter[]) => void;
}

function toWire(op: OutboxEntry): WireOp {
  const { opId, table, rowId, kind, patch, row, base, at, fieldAt, putAt, writes } = op;
  return {
    opId,
    table,
    rowId,
    kind,
    ...(patch ? { patch } : {}),
    ...(row && kind === 'update' ? { row } : {}),
    ...(base ? { base } : {}),
    at,
    ...(fieldAt ? { fieldAt } : {}),
    ...(putAt !== undefined && kind === 'create' ? { putAt } : {}),
    ...(writes && writes > 1 ? { writes } : {}),
  } as WireOp;
}

/**
 * One push batch, run by the chart in `pushing` under the sync lock's fencing token: claims the next batch
 * of the ops that were waiting when the cycle began (read and marked in flight in one transaction; refused
 * if the token is stale), pushes it, and files each outcome — first outcomes of replayed ops included:
 * `applied` ops are acknowledged and the rows the server answered with merged in, `conflict` ones stored
 * for people, `rejected` ones dead-lettered. Every outbox change is fenced by the token.
 *
 * A failed request puts the ops back: network trouble and 429 cost them nothing; a 5xx counts an attempt
 * (backoff per op, dead-lettered after the attempt limit); a timeout splits the batch — its ops go out one
 * by one from then on, so an op whose request always times out backs off and dead-letters alone; a final
 * 4xx of the whole batch is pinned on the op it names, or narrowed down by sending the ops one by one;
 * RESET_REQUIRED goes to the chart, which downloads everything again.
 */
export function createPushBatchActor(deps: PushBatchDeps) {
  const { store, transport } = deps;
  const maxOps = deps.maxOps ?? 500;

  async function send(
    batch: OutboxEntry[],
    token: number,
    signal: AbortSignal,
    cursors?: Record<string, string | null>,
  ): Promise<{ pushed: number; bytes: number; allApplied: boolean; advanced: boolean }> {
    let response: PushResponse;
    let bytes: number;
    try {
      const cursor = furthestCursor(Object.values(cursors ?? (await store.meta.cursors())));
      ({ response, bytes } = await transport.push(
        { protocol: PROTOCOL_VERSION, deviceId: store.deviceId, ...(cursor ? { cursor } : {}), ops: batch.map(toWire) },
        signal,
      ));
    } catch (error) {
      await handleFailure(error, batch, token);
      if (isChartsyncError(error, 'REJECTED') && error.context.wireCode !== 'RESET_REQUIRED')
        return { pushed: 0, bytes: 0, allApplied: false, advanced: false };
      throw error;
    }
    const allApplied = response.results.length === batch.length && response.results.every((r) => r.status === 'applied');
    const advance = allApplied ? coveredRange(response.cursor, response.rows) : null;
    await fileResults(response, batch, token, advance);
    return { pushed: response.results.length, bytes, allApplied, advanced: advance !== null };
  }

  async function deadLetter(opIds: readonly string[], reason: string, code: string, token: number, final: boolean): Promise<void> {
    const dead = await store.outbox.fail(opIds, { final, reason, code }, token);
    if (dead.length) deps.onDeadLetters?.(dead);
  }

  async function handleFailure(error: unknown, batch: OutboxEntry[], token: number): Promise<void> {
    const ids = batch.map((op) => op.opId);
    if (isChartsyncError(error, 'REJECTED') && error.context.wireCode !== 'RESET_REQUIRED') {
      const named = typeof error.context.opId === 'string' && ids.includes(error.context.opId) ? error.context.opId : undefined;
      if (batch.length === 1 || named) {
        await deadLetter(named ? [named] : ids, error.message, String(error.context.wireCode ?? error.context.status ?? 'REJECTED'), token, true);
        // The rest of the batch was not at fault: back to pending as it was.
        await store.outbox.resetInflight(token, { opIds: ids });
        return;
      }
      // The whole batch was refused for a reason we cannot pin on one op: narrow it down one op at a time.
      await store.outbox.resetInflight(token, { opIds: ids });
      throw new ChartsyncError('REJECTED', error.message, { cause: error, context: { ...error.context, split: true } });
    }
    if (isChartsyncError(error, 'SERVER') || (isChartsyncError(error, 'TIMEOUT') && batch.length === 1)) {
      await deadLetter(ids, error.message, String(error.context.status ?? error.code), token, false);
      return;
    }
    // A batch that timed out: one of its ops may be what the network cannot carry. Send them alone.
    if (isChartsyncError(error, 'TIMEOUT')) return void (await store.outbox.resetInflight(token, { opIds: ids, alone: true }));
    // Network trouble, 429, auth, a reset: not the ops' fault; they go back as they were.
    await store.outbox.resetInflight(token, { opIds: ids }).catch(() => undefined);
  }

  async function fileResults(response: PushResponse, batch: readonly OutboxEntry[], token: number, advance: CursorAdvance | null): Promise<void> {
    const byOpId = new Map(batch.map((op) => [op.opId, op]));
    const rowOf = new Map<string, WireChange>(response.rows.map((change) => [`${change.table}\u0000${change.row.id}`, change]));
    const acks: Array<{ opId: string; seq?: number }> = [];
    const conflicts: Array<{ opId: string; row: WireChange['row'] }> = [];
    for (const result of response.results) {
      const op = byOpId.get(result.opId);
      if (!op) continue;
      const row = rowOf.get(`${op.table}\u0000${op.rowId}`)?.row;
      if (result.status === 'applied' || (result.status === 'conflict' && !row)) acks.push({ opId: op.opId, ...(op.seq !== undefined ? { seq: op.seq } : {}) });
      else if (result.status === 'conflict') conflicts.push({ opId: op.opId, row: row! });
    }
    await store.outbox.ack(acks, response.rows, token, advance);
    if (conflicts.length) deps.onConflicts?.(await store.conflicts.record(conflicts, token));
    for (const rejected of response.results.filter((r) => r.status === 'rejected' && byOpId.has(r.opId))) {
      await deadLetter([rejected.opId], rejected.reason ?? 'rejected by the server', (rejected.reason ?? 'REJECTED').split(':')[0]!, token, true);
    }
  }

  // The cycle's next batch, claimed while this one was pushed (see claimAhead): the next run of the actor
  // sends it when it reads on from `after` under the same lock; otherwise it is released, unsent.
  let ahead: { token: number; after: number; claim: Promise<Claim | null> } | null = null;

  async function release(claim: Promise<Claim | null>, token: number): Promise<void> {
    const claimed = await claim;
    if (claimed) await store.outbox.resetInflight(token, { opIds: claimed.batch.map((op) => op.opId), unsent: true }).catch(() => undefined);
  }

  // The batch claimed ahead for this run, confirmed sendable; null (having released it, if any) otherwise.
  async function takeAhead(token: number, after: number | null): Promise<Claim | null> {
    const held = ahead;
    ahead = null;
    // Under another token the lock was taken again since: its take put every op in flight back.
    if (!held || held.token !== token) return null;
    if (held.after === after) {
      const claimed = await held.claim;
      const confirmed = claimed && (await store.outbox.confirmAhead(token, claimed));
      if (confirmed) return confirmed;
    }
    await release(held.claim, token);
    return null;
  }

  return fromPromise<PushBatchOutput, PushBatchInput>(async ({ input, signal }) => {
    const started = performance.now();
    const token = input.lockToken;
    // A cycle pushes what was waiting when it began (the first claim fixes the bound); writes made meanwhile
    // go in the next cycle, after a pull.
    const nothing = (bound: number) => ({
      pushed: 0,
      bytes: 0,
      durationMs: performance.now() - started,
      remaining: 0,
      bound,
      nextRetryAt: null,
      cursors: {},
      after: null,
    });
    const early = await takeAhead(token, input.after ?? null);
    if (input.bound === 0) return nothing(0);
    const claim = early ?? (await store.outbox.claim(token, { maxOps, after: input.after ?? null, ...(input.bound === null ? {} : { maxSeq: input.bound }) }));
    const { batch, outlook, bound, cursors: seen } = claim;
    // Nothing was queued when the cycle began (a poke's cycle, typically).
    if (bound === 0) return nothing(0);
    // In queue order with more to push: claim the next batch while this one is pushed.
    let next =
      claim.after !== null && outlook.ready > 0 && batch.length > 0
        ? store.outbox.claimAhead(token, { maxOps, after: claim.after, maxSeq: bound }).catch(() => null)
        : null;
    const releaseNext = async () => {
      if (next) await release(next, token);
      next = null;
    };
    let pushed = 0;
    let bytes = 0;
    // The outlook counted from the claim holds when every op of the batch was applied (acknowledged, gone);
    // anything else (backoff, dead letters, conflicts, a split) reads the queue again.
    let settled = true;
    let advanced = false;
    if (batch.length > 0) {
      try {
        let allApplied: boolean;
        ({ pushed, bytes, allApplied, advanced } = await send(batch, token, signal, seen));
        settled = allApplied;
      } catch (error) {
        settled = false;
        await releaseNext();
        if (!(isChartsyncError(error, 'REJECTED') && error.context.split)) throw error;
        // The batch went back to pending; claim and send its ops one by one.
        for (let i = 0; i < batch.length; i++) {
          const one = await store.outbox.claimBatch(token, { maxOps: 1, maxSeq: bound });
          if (one.length === 0) break;
          const sent = await send(one, token, signal);
          pushed += sent.pushed;
          advanced ||= sent.advanced;
          bytes += sent.bytes;
        }
      }
    }
    if (!settled) await releaseNext();
    const { ready: remaining, nextRetryAt } = settled ? outlook : await store.outbox.outlook(bound);
    // An answer that covered every change since a table's cursor may have moved that cursor (see CursorAdvance):
    // only then are the cursors read again.
    const cursors = advanced ? await store.meta.cursors() : {};
    // The next batch of the cycle reads on from this one only when every op of this one is gone.
    const after = settled ? claim.after : null;
    if (after !== null && next) ahead = { token, after, claim: next };
    return { pushed, bytes, durationMs: performance.now() - started, remaining, bound, nextRetryAt, cursors, after };
  });
}
