import { encodeCursor } from '../../protocol/cursor';
import { HttpError } from '../http/httpError';
import type { Storage } from '../storage/types';

interface PullRecord {
  head: string | number;
  purged: string | number;
  last_v: string | number | null;
  more: boolean;
  changes: string;
}

/** A pull page, ready to send: the response body as JSON text (the rows are never parsed on the server). */
export interface PulledPage {
  /** `{ changes, cursor, epoch, hasMore, remaining }` as JSON text. */
  json: string;
}

/**
 * The changes of an org after sequence `after`, in sequence order, tombstones included, at most `limit`.
 * One statement, so the head and the page come from one snapshot: when the page is the last one, the
 * cursor jumps to the head — everything up to it has been seen (see pushOps for why no change below the
 * head can commit later). The database builds the page's JSON itself and reads only the page's rows (the
 * (org, v) index, stopped at `limit`, one more probe for `hasMore`): the cost follows the page, not the
 * table. `remaining` is an upper bound (head − the page's last sequence: each change takes one sequence
 * number, a row changed twice is sent once). A cursor past the head was issued by this database before it
 * lost changes (restored from an older backup): answered RESET_REQUIRED, never silently "nothing new".
 */
export async function pullChanges(
  storage: Storage,
  epoch: string,
  org: string,
  after: number,
  tables: readonly string[] | null,
  limit: number,
): Promise<PulledPage> {
  const [record] = await storage.query<PullRecord>(
    `with page as (
       select tbl, id, data, v, deleted from chartsync_rows
       where org = $1 and v > $2 and ($3::text[] is null or tbl = any($3::text[]))
       order by v
       limit $4
     ), last as (select max(v) as v, count(*) as n from page)
     select coalesce((select seq from chartsync_orgs where org = $1), 0) as head,
       coalesce((select purged_seq from chartsync_orgs where org = $1), 0) as purged,
       (select v from last) as last_v,
       (select n = $4 from last) and exists (
         select 1 from chartsync_rows where org = $1 and v > (select v from last) and ($3::text[] is null or tbl = any($3::text[]))
       ) as more,
       coalesce((
         select json_agg(json_build_object('table', tbl, 'row',
           case when deleted then '{}'::jsonb else data end || jsonb_build_object('id', id, '_v', v, '_deleted', deleted)) order by v)
         from page
       )::text, '[]') as changes`,
    [org, after, tables, limit],
  );
  const head = Number(record?.head ?? 0);
  if (after > head)
    throw new HttpError(
      409,
      'RESET_REQUIRED',
      `The cursor is ahead of this server's changes (${after} > ${head}): its data was restored or replaced. Download everything again (the engine does this by itself).`,
    );
  // A cursor behind a purged tombstone may have missed that deletion: the client must start over.
  const purged = Number(record?.purged ?? 0);
  if (after > 0 && after < purged)
    throw new HttpError(
      409,
      'RESET_REQUIRED',
      `The cursor (${after}) is older than this server keeps deletions for (purged up to ${purged}): download everything again (the engine does this by itself).`,
    );
  const hasMore = record?.more === true;
  const lastV = record?.last_v === null || record?.last_v === undefined ? after : Number(record.last_v);
  const cursor = encodeCursor(epoch, hasMore ? lastV : Math.max(head, after));
  const remaining = hasMore ? Math.max(0, head - lastV) : 0;
  const changes = record?.changes ?? '[]';
  return {
    json: `{"changes":${changes},"cursor":${JSON.stringify(cursor)},"epoch":${JSON.stringify(epoch)},"hasMore":${hasMore},"remaining":${remaining}}`,
  };
}
