import type { LockManagerLike } from '../../../src/coordination/lockManager';

/**
 * An in-memory Web Locks stand-in (Node has no navigator.locks): exclusive locks with `ifAvailable`, and
 * `kill(name)` to free a lock the way a browser does when the holding tab dies.
 */
export function memoryLocks(): LockManagerLike & { kill(name: string): void; isHeld(name: string): boolean } {
  const held = new Map<string, () => void>();
  return {
    async request(name, options, callback) {
      if (held.has(name)) {
        if (options.ifAvailable) return callback(null);
        throw new Error('memoryLocks: waiting requests are not supported; use ifAvailable');
      }
      let free!: () => void;
      const killed = new Promise<void>((resolve) => (free = resolve));
      held.set(name, free);
      try {
        return await Promise.race([callback({ name }), killed]);
      } finally {
        if (held.get(name) === free) held.delete(name);
      }
    },
    kill(name) {
      held.get(name)?.();
      held.delete(name);
    },
    isHeld: (name) => held.has(name),
  };
}
