import type { SqlExecutor } from '../storage/types';

/** The org's head change sequence number (0 before its first change). */
export async function headSeq(db: SqlExecutor, org: string): Promise<number> {
  const [row] = await db.query<{ seq: string | number }>(`select seq from chartsync_orgs where org = $1`, [org]);
  return Number(row?.seq ?? 0);
}
