import { fromPromise } from 'xstate';
import type { PushBatchOutput } from '../../machines/syncMachine';
import { ChartsyncError, isChartsyncError } from '../core/errors';
import type { LocalStore } from '../local/openLocalStore';
import type { ConflictRecord, DeadLetter, OutboxEntry } from '../local/types';
import type { PushResult, WireOp } from '../protocol/schemas';
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
  const { opId, table, rowId, kind, patch, base, clock, at } = op;
  return { opId, table, rowId, kind, ...(patch ? { patch } : {}), ...(base ? { base } : {}), clock, at } as WireOp;
}

/**
 * One push batch, run by the chart in `pushing` under the sync lock's fencing token: claims the next batch
 * (read and marked in flight in one transaction; refused if the token is stale), pushes it, and files each result — applied and
 * duplicate ops are acknowledged with the server's row, `conflict` ones stored for people, `rejected` ones
 * dead-lettered. A failed request puts the ops back: network trouble costs them nothing, 5xx counts an
 * attempt (a poison op ends in the dead letters), a final 4xx of the whole batch is narrowed down to the
 * op that caused it by sending the ops one by one. Reports whether more ops are waiting.
 */
export function createPushBatchActor(deps: PushBatchDeps) {
  const { store, transport } = deps;
  const maxOps = deps.maxOps ?? 500;

  async function send(batch: OutboxEntry[], signal: AbortSignal): Promise<{ pushed: number; bytes: number }> {
    let results: PushResult[];
    let bytes: number;
    try {
      const answer = await transport.push({ protocol: PROTOCOL_VERSION, deviceId: store.deviceId, ops: batch.map(toWire) }, signal);
      results = answer.response.results;
      bytes = answer.bytes;
    } catch (error) {
      await handleFailure(error, batch);
      if (isChartsyncError(error, 'REJECTED')) return { pushed: 0, bytes: 0 };
      throw error;
    }
    await fileResults(results, batch);
    return { pushed: results.length, bytes };
  }

  async function handleFailure(error: unknown, batch: OutboxEntry[]): Promise<void> {
    const ids = batch.map((op) => op.opId);
    if (isChartsyncError(error, 'REJECTED')) {
      const opId = (error.message.match(/op ([^\s),]+)\)/) ?? [])[1];
      if (batch.length === 1 || (opId && ids.includes(opId))) {
        const bad = batch.length === 1 ? ids : [opId!];
        const dead = await store.outbox.fail(bad, { final: true, reason: error.message, code: String(error.context.wireCode ?? error.context.status ?? 'REJECTED') });
        if (dead.length) deps.onDeadLetters?.(dead);
        // The rest of the batch was not at fault: back to pending as it was.
        await store.outbox.resetInflight();
        return;
      }
      // The whole batch was refused for a reason we cannot pin on one op: narrow it down one op at a time.
      await store.outbox.resetInflight();
      throw new ChartsyncError('REJECTED', error.message, { cause: error, context: { ...error.context, split: true } });
    }
    if (isChartsyncError(error, 'SERVER')) {
      const dead = await store.outbox.fail(ids, { final: false, reason: error.message, code: String(error.context.status ?? 'SERVER') });
      if (dead.length) deps.onDeadLetters?.(dead);
      return;
    }
    // Network trouble, timeouts, 429, auth: not the ops' fault; they go back as they were.
    await store.outbox.resetInflight();
  }

  async function fileResults(results: readonly PushResult[], batch: readonly OutboxEntry[]): Promise<void> {
    const seqOf = new Map(batch.map((op) => [op.opId, op.seq]));
    const acks = results
      .filter((r) => r.status === 'applied' || r.status === 'duplicate')
      .map((r) => ({ opId: r.opId, ...(seqOf.get(r.opId) !== undefined ? { seq: seqOf.get(r.opId)! } : {}), ...(r.row ? { row: r.row } : {}) }));
    await store.outbox.ack(acks);
    const conflicts = results.filter((r) => r.status === 'conflict' && r.row).map((r) => ({ opId: r.opId, row: r.row! }));
    if (conflicts.length) deps.onConflicts?.(await store.conflicts.record(conflicts));
    for (const rejected of results.filter((r) => r.status === 'rejected')) {
      const dead = await store.outbox.fail([rejected.opId], { final: true, reason: rejected.reason ?? 'rejected by the server', code: (rejected.reason ?? 'REJECTED').split(':')[0]! });
      if (dead.length) deps.onDeadLetters?.(dead);
    }
  }

  return fromPromise<PushBatchOutput, { lockToken: number }>(async ({ input, signal }) => {
    const started = performance.now();
    const batch = await store.outbox.claimBatch(input.lockToken, { maxOps });
    let pushed = 0;
    let bytes = 0;
    if (batch.length > 0) {
      try {
        ({ pushed, bytes } = await send(batch, signal));
      } catch (error) {
        if (!(isChartsyncError(error, 'REJECTED') && error.context.split)) throw error;
        // The batch went back to pending; claim and send its ops one by one.
        for (let i = 0; i < batch.length; i++) {
          const one = await store.outbox.claimBatch(input.lockToken, { maxOps: 1 });
          if (one.length === 0) break;
          const sent = await send(one, signal);
          pushed += sent.pushed;
          bytes += sent.bytes;
        }
      }
    }
    const remaining = (await store.outbox.peekBatch({ maxOps: 1 })).length;
    return { pushed, bytes, durationMs: performance.now() - started, remaining };
  });
}
