import type { Storage } from '../storage/types';
import { POKE_CHANNEL } from './pushOps';

/** Fans commits' pokes out to the live streams of their org. */
export interface PokeHub {
  subscribe(org: string, fn: (seq: number) => void): () => void;
  /** How many subscriptions are open (for tests and diagnostics). */
  size(): number;
  close(): Promise<void>;
}

/**
 * Listens on the database's poke channel: every commit of any server process on the same database NOTIFYs
 * it, so each process pokes its own clients — two servers on one PostgreSQL serve clients together. When
 * the LISTEN connection was lost and is back, every subscribed org is poked with its head read from the
 * database: commits made meanwhile sent notifications no one heard.
 */
export async function createPokeHub(storage: Storage): Promise<PokeHub> {
  const subscribers = new Map<string, Set<(seq: number) => void>>();
  const poke = (org: string, seq: number) => {
    for (const fn of subscribers.get(org) ?? []) fn(seq);
  };
  const catchUp = async () => {
    const orgs = [...subscribers.keys()];
    if (orgs.length === 0) return;
    const heads = await storage.query<{ org: string; seq: string | number }>(`select org, seq from chartsync_orgs where org = any($1::text[])`, [orgs]);
    const seqs = new Map(heads.map((h) => [h.org, Number(h.seq)]));
    for (const org of orgs) poke(org, seqs.get(org) ?? 0);
  };
  const unlisten = await storage.listen(
    POKE_CHANNEL,
    (payload) => {
      let message: { org?: unknown; seq?: unknown };
      try {
        message = JSON.parse(payload) as { org?: unknown; seq?: unknown };
      } catch {
        return;
      }
      if (typeof message.org === 'string' && typeof message.seq === 'number') poke(message.org, message.seq);
    },
    () => void catchUp().catch(() => undefined),
  );
  return {
    subscribe(org, fn) {
      const set = subscribers.get(org) ?? new Set();
      set.add(fn);
      subscribers.set(org, set);
      return () => {
        set.delete(fn);
        if (set.size === 0) subscribers.delete(org);
      };
    },
    size: () => [...subscribers.values()].reduce((n, set) => n + set.size, 0),
    close: () => unlisten(),
  };
}
