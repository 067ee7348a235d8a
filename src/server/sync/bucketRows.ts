import { bucketOf } from '../../core/checksum/bucketHashes';
import { encodeCursor } from '../../protocol/cursor';
import type { WireRow } from '../../protocol/schemas';
import type { Storage } from '../storage/types';
import { headSeq } from './headSeq';

/**
 * The live rows of one bucket of a table, and the head cursor they were read at (one transaction): a client
 * repairs that bucket from them, and leaves alone what changed after `cursor`.
 */
export async function bucketRows(
  storage: Storage,
  epoch: string,
  org: string,
  table: string,
  buckets: number,
  bucket: number,
): Promise<{ rows: WireRow[]; cursor: string }> {
  return storage.transaction(async (tx) => {
    const head = await headSeq(tx, org);
    const ids = (await tx.query<{ id: string }>(`select id from chartsync_rows where org = $1 and tbl = $2 and not deleted`, [org, table]))
      .map((r) => r.id)
      .filter((id) => bucketOf(id, buckets) === bucket);
    const rows = await tx.query<{ id: string; data: Record<string, unknown>; v: string | number }>(
      `select id, data, v from chartsync_rows where org = $1 and tbl = $2 and id = any($3::text[]) and not deleted`,
      [org, table, ids],
    );
    return {
      rows: rows.map((r) => ({ ...r.data, id: r.id, _v: Number(r.v), _deleted: false }) as WireRow),
      cursor: encodeCursor(epoch, head),
    };
  });
}
