import { ChartsyncError } from '../errors';
import type { VectorClock } from './vectorClock';

/** The entry that folded devices are summed into. It sorts first and is no valid device id of ours. */
export const FOLDED_ENTRY = '~folded';

/** Options of foldClock. */
export interface FoldClockOptions {
  /** When each device was last seen by the server (ms since epoch). Devices not listed are kept. */
  lastSeen: Readonly<Record<string, number>>;
  /** Now, in ms since epoch. */
  now: number;
  /** Devices not seen for this long are folded. @default 90 days */
  horizonMs?: number;
}

const DEFAULT_HORIZON_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * Bounds a clock's size by folding the entries of devices not seen for `horizonMs` into one `~folded`
 * entry (their sum).
 *
 * Why this stays safe: a sum is monotone, so if clock a ≤ b entry-wise before folding, it still is after
 * folding the same devices in both — folding never turns a "happened before" into a false conflict, and a
 * fast-forward stays a fast-forward. It can only hide concurrency *between retired devices*, and a device
 * is retired only when it has not written for the whole horizon, so it has no op in flight whose
 * concurrency could matter. The server must fold every clock it compares with the same `lastSeen` table
 * (it is the one authority that has it); a device that comes back after the horizon gets a fresh entry and
 * is compared like any other writer.
 */
export function foldClock(clock: VectorClock, options: FoldClockOptions): VectorClock {
  const horizon = options.horizonMs ?? DEFAULT_HORIZON_MS;
  if (!(horizon > 0)) throw new ChartsyncError('INVALID_VALUE', `foldClock horizonMs must be positive, got ${horizon}.`);
  const out: Record<string, number> = {};
  let folded = clock[FOLDED_ENTRY] ?? 0;
  for (const [device, counter] of Object.entries(clock)) {
    if (device === FOLDED_ENTRY) continue;
    const seen = options.lastSeen[device];
    if (seen !== undefined && options.now - seen > horizon) folded += counter;
    else out[device] = counter;
  }
  if (folded > 0) out[FOLDED_ENTRY] = folded;
  return out;
}
