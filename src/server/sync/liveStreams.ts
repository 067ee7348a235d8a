/** One open live stream: its timers are released with it. */
export interface LiveStreamLease {
  /** Runs `fn` every `ms` until the lease is released. */
  every(fn: () => void, ms: number): void;
  /** Runs `fn` once after `ms` (at most ~24 days; longer waits are not armed), unless released first. */
  after(fn: () => void, ms: number): void;
  /** Clears the timers and frees the stream's place. Idempotent. */
  release(): void;
}

/** Counts of what live streams hold, for tests and diagnostics. */
export interface LiveStreamStats {
  liveStreams: number;
  streamTimers: number;
}

/** The registry of open live streams: caps them per token and owns their timers, so none outlives its stream. */
export interface LiveStreams {
  /** A lease for a new stream of `key` (a token), or null when `key` already holds `max` streams. */
  acquire(key: string, max: number): LiveStreamLease | null;
  stats(): LiveStreamStats;
}

const LONGEST_TIMER = 2 ** 31 - 1;

/** Makes an empty registry. */
export function createLiveStreams(): LiveStreams {
  const perKey = new Map<string, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let open = 0;
  return {
    acquire(key, max) {
      const held = perKey.get(key) ?? 0;
      if (held >= max) return null;
      perKey.set(key, held + 1);
      open += 1;
      const mine = new Set<ReturnType<typeof setTimeout>>();
      let released = false;
      const track = (timer: ReturnType<typeof setTimeout>) => {
        mine.add(timer);
        timers.add(timer);
      };
      return {
        every(fn, ms) {
          if (!released) track(setInterval(fn, ms));
        },
        after(fn, ms) {
          if (released || ms > LONGEST_TIMER) return;
          const timer = setTimeout(
            () => {
              mine.delete(timer);
              timers.delete(timer);
              fn();
            },
            Math.max(0, ms),
          );
          track(timer);
        },
        release() {
          if (released) return;
          released = true;
          for (const timer of mine) {
            clearTimeout(timer);
            timers.delete(timer);
          }
          mine.clear();
          open -= 1;
          const left = (perKey.get(key) ?? 1) - 1;
          if (left > 0) perKey.set(key, left);
          else perKey.delete(key);
        },
      };
    },
    stats: () => ({ liveStreams: open, streamTimers: timers.size }),
  };
}
