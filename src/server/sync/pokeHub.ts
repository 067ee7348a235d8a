import type { WireChange } from '../../protocol/schemas';
import type { Storage } from '../storage/types';
import { POKE_CHANNEL } from './pushOps';

/** A commit's poke: the org's new head, and when known the head it started from and its changes. */
export interface Poke {
  seq: number;
  from?: number;
  changes?: WireChange[];
}

/** Fans commits' pokes out to the live streams of their org. */
export interface PokeHub {
  subscribe(org: string, fn: (poke: Poke) => void): () => void;
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
  const subscribers = new Map<string, Set<(poke: Poke) => void>>();
  const poke = (org: string, message: Poke) => {
    for (const fn of subscribers.get(org) ?? []) fn(message);
  };
  const catchUp = async () => {
    const orgs = [...subscribers.keys()];
    if (orgs.length === 0) return;
    const heads = await storage.query<{ org: string; seq: string | number }>(`select org, seq from chartsync_orgs where org = any($1::text[])`, [orgs]);
    const seqs = new Map(heads.map((h) => [h.org, Number(h.seq)]));
    for (const org of orgs) poke(org, { seq: seqs.get(org) ?? 0 });
  };
  const unlisten = await storage.listen(
    POKE_CHANNEL,
    (payload) => {
      let message: { org?: unknown; seq?: unknown; from?: unknown; changes?: unknown };
      try {
        message = JSON.parse(payload) as typeof message;
      } catch {
        return;
      }
      if (typeof message.org !== 'string' || typeof message.seq !== 'number') return;
      const inline = typeof message.from === 'number' && Array.isArray(message.changes) ? { from: message.from, changes: message.changes as WireChange[] } : {};
      poke(message.org, { seq: message.seq, ...inline });
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
