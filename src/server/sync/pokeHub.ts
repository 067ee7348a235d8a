import type { Storage } from '../storage/types';
import { POKE_CHANNEL } from './pushOps';

/** Fans commits' pokes out to the live streams of their org. */
export interface PokeHub {
  subscribe(org: string, fn: (seq: number) => void): () => void;
  close(): Promise<void>;
}

/**
 * Listens on the database's poke channel: every commit of any server process on the same database NOTIFYs
 * it, so each process pokes its own clients — two servers on one PostgreSQL serve clients together.
 */
export async function createPokeHub(storage: Storage): Promise<PokeHub> {
  const subscribers = new Map<string, Set<(seq: number) => void>>();
  const unlisten = await storage.listen(POKE_CHANNEL, (payload) => {
    let message: { org?: unknown; seq?: unknown };
    try {
      message = JSON.parse(payload) as { org?: unknown; seq?: unknown };
    } catch {
      return;
    }
    if (typeof message.org !== 'string' || typeof message.seq !== 'number') return;
    for (const fn of subscribers.get(message.org) ?? []) fn(message.seq);
  });
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
    close: () => unlisten(),
  };
}
