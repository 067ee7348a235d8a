import { encodeCursor } from '../../protocol/cursor';
import type { PullResponse, WireRow } from '../../protocol/schemas';
import { HttpError } from '../http/httpError';
import type { Storage } from '../storage/types';

interface PullRecord {
  head: string | number;
  purged: string | number;
  total: string | number | null;
  tbl: string | null;
  id: string;
  data: Record<string, unknown>;
  v: string | number;
  deleted: boolean;
}

/**
 * The changes of an org after sequence `after`, in sequence order, tombstones included, at most `limit`.
 * One statement, so the head, the count and the page come from one snapshot: when the page is the last
 * one, the cursor jumps to the head — everything up to it has been seen (see pushOps for why no change
 * below the head can commit later). A cursor past the head was issued by this database before it lost
 * changes (restored from an older backup): answered RESET_REQUIRED, never silently "nothing new".
 */
export async function pullChanges(
  storage: Storage,
  epoch: string,
  org: string,
  after: number,
  tables: readonly string[] | null,
  limit: number,
): Promise<PullResponse> {
  const records = await storage.query<PullRecord>(
    `select h.seq as head, h.purged, r.total, r.tbl, r.id, r.data, r.v, r.deleted
     from (select coalesce((select seq from chartsync_orgs where org = $1), 0) as seq, coalesce((select purged_seq from chartsync_orgs where org = $1), 0) as purged) h
     left join lateral (
       select tbl, id, data, v, deleted, count(*) over () as total
       from chartsync_rows
       where org = $1 and v > $2 and ($3::text[] is null or tbl = any($3::text[]))
       order by v
       limit $4
     ) r on true`,
    [org, after, tables, limit + 1],
  );
  const head = Number(records[0]?.head ?? 0);
  if (after > head)
    throw new HttpError(
      409,
      'RESET_REQUIRED',
      `The cursor is ahead of this server's changes (${after} > ${head}): its data was restored or replaced. Download everything again (the engine does this by itself).`,
    );
  // A cursor behind a purged tombstone may have missed that deletion: the client must start over.
  const purged = Number(records[0]?.purged ?? 0);
  if (after > 0 && after < purged)
    throw new HttpError(
      409,
      'RESET_REQUIRED',
      `The cursor (${after}) is older than this server keeps deletions for (purged up to ${purged}): download everything again (the engine does this by itself).`,
    );
  const rows = records.filter((r) => r.tbl !== null);
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  const total = Number(rows[0]?.total ?? 0);
  const lastV = page.length ? Number(page[page.length - 1]!.v) : after;
  return {
    changes: page.map((r) => ({ table: r.tbl!, row: { ...(r.deleted ? {} : r.data), id: r.id, _v: Number(r.v), _deleted: r.deleted } as WireRow })),
    cursor: encodeCursor(epoch, hasMore ? lastV : Math.max(head, after)),
    epoch,
    hasMore,
    remaining: Math.max(0, total - page.length),
  };
}
