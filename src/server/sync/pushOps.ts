import { createHash } from 'node:crypto';
import { bucketOf, MAX_BUCKETS } from '../../core/checksum/bucketHashes';
import { rowBucketHashSql } from './bucketSql';
import { stableStringify } from '../../core/json/stableStringify';
import type { PushResult, WireChange, WireOp } from '../../protocol/schemas';
import { HttpError } from '../http/httpError';
import type { Storage } from '../storage/types';
import { rowChecksumSync } from './rowChecksumSync';
import { applyOps, rowKey, toWireChange, type ApplyContext, type OpOutcome } from './applyOps';
import type { Caller, StoredRow } from './types';

/**
 * The channel of head-cursor pokes. Payload: `{"org", "seq", "from", "changes"?}` — `from` is the head the
 * commit started from; `changes` (every row it changed, as a pull after `from` would send them) only when
 * they fit in POKE_CHANGES_MAX_BYTES (PostgreSQL refuses payloads of 8000 bytes or more).
 */
export const POKE_CHANNEL = 'chartsync_poke';

/** The most bytes of changes a poke carries inline. */
export const POKE_CHANGES_MAX_BYTES = 6000;

/** The NOTIFY payload of a commit that moved an org's head from `from` to `seq`. */
export function pokePayload(org: string, from: number, seq: number, changes: readonly WireChange[]): string {
  const inline = JSON.stringify(changes);
  return inline.length <= POKE_CHANGES_MAX_BYTES
    ? `{"org":${JSON.stringify(org)},"seq":${seq},"from":${from},"changes":${inline}}`
    : JSON.stringify({ org, seq, from });
}

interface RowRecord {
  tbl: string;
  id: string;
  data: StoredRow['data'];
  v: string | number;
  fv: StoredRow['stamps'];
  deleted: boolean;
  last_at: string | number;
  last_device: string;
  last_role: string | null;
}

/**
 * What makes an op the same op when it is sent again: its device, kind, row and patch (its base and times
 * may be refreshed while it was never sent, and do not count).
 */
export function opHash(deviceId: string, op: WireOp): string {
  return createHash('sha256')
    .update(stableStringify([deviceId, op.kind, op.table, op.rowId, op.kind === 'delete' ? null : op.patch]))
    .digest('base64url');
}

// Remembers the outcomes of fresh ops ($1 the org, `json` the parameter holding them): a replay is answered with them.
const rememberOutcomesSql = (json: string) => `insert into chartsync_ops (org, op_id, result, hash)
           select $1, x.op_id, x.result, x.hash from jsonb_to_recordset(${json}::jsonb) as x(op_id text, result jsonb, hash text)
           on conflict do nothing`;

function outcomesJson(outcomes: readonly OpOutcome[], hashes: readonly string[]): string {
  return JSON.stringify(outcomes.map((r, i) => ({ op_id: r.opId, result: r, hash: hashes[i] })));
}

/** Options of pushOps beyond storage, caller and ops. */
export type PushOptions = Omit<ApplyContext, 'deviceId' | 'role' | 'nextV'>;

/** What a push did: one result per op, every touched row once (as it is now), and the org's head. */
export interface PushOutcome {
  results: PushResult[];
  rows: WireChange[];
  head: number;
}

/**
 * Applies a push in ONE SQL transaction with set-based statements: a per-org advisory lock, one read (the
 * org's head, the remembered op ids, the touched rows), the algorithm in memory (applyOps), one upsert of the
 * changed rows, one insert of the outcomes, one sequence update and a NOTIFY that fires on commit.
 *
 * Why pulls never skip a change: every push of an org first takes `pg_advisory_xact_lock(org)`, held to
 * commit, and only then reads and advances the org's sequence. So sequence numbers are handed out and
 * committed strictly in order — a transaction can never commit number n after another committed n+1 — and
 * any snapshot a pull reads sees a gap-free prefix of the sequence. A pull's cursor can therefore safely be
 * "the largest number I have seen": nothing below it can appear later.
 *
 * `seenSeq`: the change sequence of the client's furthest cursor (0: it never pulled).
 *
 * Idempotent: every op's outcome (status and reason, not its row) is remembered by (org, op id); an op sent
 * again is answered with that first outcome and `replayed: true`, and changes nothing. Rows are answered as
 * they are after this push — never as they were when an op first applied, which a later change may have
 * superseded.
 */
export async function pushOps(
  storage: Storage,
  caller: Caller,
  deviceId: string,
  ops: readonly WireOp[],
  options: PushOptions,
  seenSeq = 0,
): Promise<PushOutcome> {
  return storage.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [caller.org]);
    // One read for all: the org's head and purge point, the ops' remembered outcomes and the rows they touch.
    const touched = [...new Map(ops.map((op) => [rowKey(op.table, op.rowId), op])).values()];
    const [read] = await tx.query<{
      head: string | number | null;
      purged: string | number | null;
      stored: Array<{ op_id: string; result: OpOutcome; hash: string | null }>;
      records: RowRecord[];
    }>(
      `select
         (select seq from chartsync_orgs where org = $1) as head,
         (select purged_seq from chartsync_orgs where org = $1) as purged,
         (select coalesce(json_agg(json_build_object('op_id', op_id, 'result', result, 'hash', hash)), '[]')
            from chartsync_ops where org = $1 and op_id = any($2::text[])) as stored,
         (select coalesce(json_agg(json_build_object('tbl', tbl, 'id', id, 'data', data, 'v', v, 'fv', fv, 'deleted', deleted,
                 'last_at', last_at, 'last_device', last_device, 'last_role', last_role)), '[]')
            from chartsync_rows where org = $1 and (tbl, id) in (select * from unnest($3::text[], $4::text[]))) as records`,
      [caller.org, ops.map((op) => op.opId), touched.map((op) => op.table), touched.map((op) => op.rowId)],
    );
    const head = Number(read?.head ?? 0);
    const purged = Number(read?.purged ?? 0);
    // Tombstones the client never saw may be gone (older than the retention): its view cannot be trusted.
    if (seenSeq > 0 && seenSeq < purged)
      throw new HttpError(
        409,
        'RESET_REQUIRED',
        `The ops were written against changes older than this server keeps deletions for (seen ${seenSeq}, purged up to ${purged}): download everything again and then push (the engine does this by itself).`,
      );
    // The client has seen changes this database does not have (restored from an older backup): its base
    // versions refer to a history that is gone. It must download again before its ops can be judged.
    if (seenSeq > head)
      throw new HttpError(
        409,
        'RESET_REQUIRED',
        `The ops were written after changes this server no longer has (seen ${seenSeq}, head ${head}): its data was restored. Download everything again and then push (the engine does this by itself).`,
      );
    const stored = read?.stored ?? [];
    const records = read?.records ?? [];
    const remembered = new Map(stored.map((r) => [r.op_id, r.result]));
    const hashes = new Map<string, string | null>(stored.map((r) => [r.op_id, r.hash]));
    const fresh: WireOp[] = [];
    const freshHashes: string[] = [];
    for (const op of ops) {
      const hash = opHash(deviceId, op);
      const known = hashes.get(op.opId);
      // A replay is the same op sent again; an op id reused for another write is a client bug (or another
      // device's id): acknowledging it with the first op's outcome would lose that write silently.
      if (known !== undefined && known !== null && known !== hash) {
        throw new HttpError(
          409,
          'OP_ID_REUSED',
          `Op id "${op.opId}" (${op.table}/${op.rowId}) was already used for another op${remembered.has(op.opId) ? '' : ' in this push'}: give every op a unique id (newId()).`,
          op.opId,
        );
      }
      if (known === undefined) {
        fresh.push(op);
        freshHashes.push(hash);
        hashes.set(op.opId, hash);
      }
    }
    const rows = new Map<string, StoredRow>();
    for (const r of records)
      rows.set(rowKey(r.tbl, r.id), {
        tbl: r.tbl,
        id: r.id,
        data: r.data,
        v: Number(r.v),
        stamps: r.fv,
        deleted: r.deleted,
        at: Number(r.last_at),
        device: r.last_device,
        role: r.last_role,
      });
    let seq = head;
    const { results: outcomes, changed } = applyOps(fresh, rows, { ...options, deviceId, role: caller.role, nextV: () => ++seq });
    const byOpId = new Map(outcomes.map((r) => [r.opId, r]));
    const answered = new Set<string>();
    const results = ops.map((op): PushResult => {
      const first = remembered.get(op.opId) ?? (answered.has(op.opId) ? byOpId.get(op.opId) : undefined);
      answered.add(op.opId);
      if (first) return { opId: op.opId, status: first.status, ...(first.reason ? { reason: first.reason } : {}), replayed: true };
      return byOpId.get(op.opId)!;
    });
    if (changed.size > 0) {
      const changedRows = [...changed].map((key) => {
        const row = rows.get(key)!;
        return {
          tbl: row.tbl,
          id: row.id,
          b: bucketOf(row.id, MAX_BUCKETS),
          data: row.data,
          v: row.v,
          fv: row.stamps,
          deleted: row.deleted,
          checksum: row.deleted ? '' : rowChecksumSync(row.data),
          last_at: row.at,
          last_device: row.device,
          last_role: row.role,
        };
      });
      const changes = [...changed]
        .map((key) => rows.get(key)!)
        .sort((a, b) => a.v - b.v)
        .map(toWireChange);
      // One statement writes everything: the rows' upsert, their buckets' hashes moved by the old shares out
      // and the new ones in (data-modifying CTEs all see the rows as they were before it), the org's head,
      // the ops' outcomes, and the poke (delivered at commit).
      await tx.query(
        `with incoming as (
           select * from jsonb_to_recordset($2::jsonb) as x(tbl text, id text, b int, data jsonb, v bigint, fv jsonb, deleted boolean, checksum text, last_at bigint, last_device text, last_role text)
         ), old as (
           select r.tbl, r.id, r.checksum from chartsync_rows r join incoming i on r.org = $1 and r.tbl = i.tbl and r.id = i.id where not r.deleted
         ), up as (
           insert into chartsync_rows (org, tbl, id, data, v, fv, deleted, checksum, last_at, last_device, last_role)
           select $1, tbl, id, data, v, fv, deleted, checksum, last_at, last_device, last_role from incoming
           on conflict (org, tbl, id) do update set data = excluded.data, v = excluded.v, fv = excluded.fv, deleted = excluded.deleted,
             checksum = excluded.checksum, last_at = excluded.last_at, last_device = excluded.last_device, last_role = excluded.last_role, changed_at = now()
         ), deltas as (
           select i.tbl, i.b, ${rowBucketHashSql('o.id', 'o.checksum')} as h from incoming i join old o on o.tbl = i.tbl and o.id = i.id
           union all
           select tbl, b, ${rowBucketHashSql('id', 'checksum')} from incoming where not deleted
         ), buckets as (
           insert into chartsync_buckets (org, tbl, b, hash)
           select $1, tbl, b, bit_xor(h) from deltas group by tbl, b
           on conflict (org, tbl, b) do update set hash = chartsync_buckets.hash # excluded.hash
         ), head as (
           insert into chartsync_orgs (org, seq) values ($1, $3) on conflict (org) do update set seq = excluded.seq
         ), outcomes as (
           ${rememberOutcomesSql('$4')}
         )
         select pg_notify($5, $6)`,
        [caller.org, JSON.stringify(changedRows), seq, outcomesJson(outcomes, freshHashes), POKE_CHANNEL, pokePayload(caller.org, head, seq, changes)],
      );
    } else if (outcomes.length > 0) {
      await tx.query(rememberOutcomesSql('$2'), [caller.org, outcomesJson(outcomes, freshHashes)]);
    }
    const answeredRows = touched.map((op) => rows.get(rowKey(op.table, op.rowId))).filter((row): row is StoredRow => row !== undefined && row.v > 0);
    return { results, rows: answeredRows.map(toWireChange), head: seq };
  });
}
