import { rowChecksum } from '../../core/json/rowChecksum';
import type { PushResult, WireOp } from '../../protocol/schemas';
import type { Storage } from '../storage/types';
import { applyOps, rowKey, type ApplyContext } from './applyOps';
import type { Caller, StoredRow } from './types';

/** The channel of head-cursor pokes (payload: {"org":…,"seq":…}). */
export const POKE_CHANNEL = 'chartsync_poke';

interface RowRecord {
  tbl: string;
  id: string;
  data: StoredRow['data'];
  v: string | number;
  clock: StoredRow['clock'];
  fv: StoredRow['fv'];
  deleted: boolean;
  last_at: string | number;
  last_device: string;
  last_role: string | null;
}

/** Options of pushOps beyond storage, caller and ops. */
export type PushOptions = Omit<ApplyContext, 'deviceId' | 'role' | 'nextV'>;

/**
 * Applies a push in ONE SQL transaction with set-based statements: a per-org advisory lock, one read of the
 * remembered op ids, one read of the touched rows, the algorithm in memory (applyOps), one upsert of the
 * changed rows, one insert of the results, one sequence update and a NOTIFY that fires on commit.
 *
 * Why pulls never skip a change: every push of an org first takes `pg_advisory_xact_lock(org)`, held to
 * commit, and only then reads and advances the org's sequence. So sequence numbers are handed out and
 * committed strictly in order — a transaction can never commit number n after another committed n+1 — and
 * any snapshot a pull reads sees a gap-free prefix of the sequence. A pull's cursor can therefore safely be
 * "the largest number I have seen": nothing below it can appear later.
 *
 * Idempotent: every op's result is remembered by (org, op id); a replayed op answers `duplicate` with its
 * first result and changes nothing.
 */
export async function pushOps(storage: Storage, caller: Caller, deviceId: string, ops: readonly WireOp[], options: PushOptions): Promise<{ results: PushResult[]; head: number }> {
  return storage.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [caller.org]);
    const opIds = ops.map((op) => op.opId);
    const remembered = new Map(
      (await tx.query<{ op_id: string; result: PushResult }>(`select op_id, result from chartsync_ops where org = $1 and op_id = any($2::text[])`, [caller.org, opIds])).map((r) => [r.op_id, r.result]),
    );
    const seen = new Set<string>();
    const fresh: WireOp[] = [];
    for (const op of ops) {
      if (!remembered.has(op.opId) && !seen.has(op.opId)) fresh.push(op);
      seen.add(op.opId);
    }
    const head = Number((await tx.query<{ seq: string | number }>(`select seq from chartsync_orgs where org = $1`, [caller.org]))[0]?.seq ?? 0);
    const rows = new Map<string, StoredRow>();
    if (fresh.length > 0) {
      const records = await tx.query<RowRecord>(
        `select tbl, id, data, v, clock, fv, deleted, last_at, last_device, last_role from chartsync_rows
         where org = $1 and (tbl, id) in (select * from unnest($2::text[], $3::text[]))`,
        [caller.org, fresh.map((op) => op.table), fresh.map((op) => op.rowId)],
      );
      for (const r of records) rows.set(rowKey(r.tbl, r.id), { tbl: r.tbl, id: r.id, data: r.data, v: Number(r.v), clock: r.clock, fv: r.fv, deleted: r.deleted, at: Number(r.last_at), device: r.last_device, role: r.last_role });
    }
    let seq = head;
    const { results: freshResults, changed } = applyOps(fresh, rows, { ...options, deviceId, role: caller.role, nextV: () => ++seq });
    const byOpId = new Map(freshResults.map((r) => [r.opId, r]));
    const results = ops.map((op, i): PushResult => {
      const earlier = remembered.get(op.opId) ?? (ops.findIndex((o) => o.opId === op.opId) < i ? byOpId.get(op.opId) : undefined);
      return earlier ? { ...earlier, status: 'duplicate' } : byOpId.get(op.opId)!;
    });
    if (changed.size > 0) {
      const changedRows = await Promise.all(
        [...changed].map(async (key) => {
          const row = rows.get(key)!;
          return { tbl: row.tbl, id: row.id, data: row.data, v: row.v, clock: row.clock, fv: row.fv, deleted: row.deleted, checksum: row.deleted ? '' : await rowChecksum(row.data), last_at: row.at, last_device: row.device, last_role: row.role };
        }),
      );
      await tx.query(
        `insert into chartsync_rows (org, tbl, id, data, v, clock, fv, deleted, checksum, last_at, last_device, last_role)
         select $1, x.tbl, x.id, x.data, x.v, x.clock, x.fv, x.deleted, x.checksum, x.last_at, x.last_device, x.last_role
         from jsonb_to_recordset($2::jsonb) as x(tbl text, id text, data jsonb, v bigint, clock jsonb, fv jsonb, deleted boolean, checksum text, last_at bigint, last_device text, last_role text)
         on conflict (org, tbl, id) do update set data = excluded.data, v = excluded.v, clock = excluded.clock, fv = excluded.fv, deleted = excluded.deleted,
           checksum = excluded.checksum, last_at = excluded.last_at, last_device = excluded.last_device, last_role = excluded.last_role`,
        [caller.org, JSON.stringify(changedRows)],
      );
      await tx.query(`insert into chartsync_orgs (org, seq) values ($1, $2) on conflict (org) do update set seq = excluded.seq`, [caller.org, seq]);
      await tx.query(`select pg_notify($1, $2)`, [POKE_CHANNEL, JSON.stringify({ org: caller.org, seq })]);
    }
    if (freshResults.length > 0) {
      await tx.query(
        `insert into chartsync_ops (org, op_id, result) select $1, x.op_id, x.result from jsonb_to_recordset($2::jsonb) as x(op_id text, result jsonb) on conflict do nothing`,
        [caller.org, JSON.stringify(freshResults.map((r) => ({ op_id: r.opId, result: r })))],
      );
    }
    return { results, head: seq };
  });
}
