/** A wait's time limit: `expired` rejects with `error()` after `ms`, unless `cancel()` came first. */
export interface Deadline {
  expired: Promise<never>;
  cancel(): void;
}

/** Starts a time limit of `ms` for a caller's wait (never for the charts' own timing: those are chart delays). */
export function deadline(ms: number, error: () => Error): Deadline {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  expired.catch(() => undefined);
  return { expired, cancel: () => clearTimeout(timer) };
}
