/** The part of the Web Locks API (navigator.locks) the sync lock uses. */
export interface LockManagerLike {
  /** Runs `callback` holding the named lock (as navigator.locks.request). */
  request(
    name: string,
    options: { ifAvailable?: boolean; steal?: boolean; mode?: 'exclusive' | 'shared' },
    callback: (lock: unknown) => Promise<unknown> | unknown,
  ): Promise<unknown>;
}

/** navigator.locks where the environment has it (browsers, happy-dom), else null (Node, jsdom). */
export function defaultLockManager(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks && typeof nav.locks.request === 'function' ? nav.locks : null;
}
