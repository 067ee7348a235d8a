import type { SqlExecutor } from '../storage/types';

/** The org's head change sequence number (0 before its first change). */
export async function headSeq(db: SqlExecutor, org: string): Promise<number> {
  return (await orgSequence(db, org)).head;
}

/** The org's head and the newest change sequence number of a purged tombstone (both 0 before any). */
export async function orgSequence(db: SqlExecutor, org: string): Promise<{ head: number; purged: number }> {
  const [row] = await db.query<{ seq: string | number; purged_seq: string | number }>(`select seq, purged_seq from chartsync_orgs where org = $1`, [org]);
  return { head: Number(row?.seq ?? 0), purged: Number(row?.purged_seq ?? 0) };
}
