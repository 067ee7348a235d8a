import { ChartsyncError } from '../errors';

/**
 * A vector clock: one counter per device (or server) that has changed a row. Missing entries count as 0.
 * Clocks are plain JSON objects so they travel and persist as they are.
 */
export type VectorClock = Readonly<Record<string, number>>;

/** How two clocks relate: `before` means a happened before b, `concurrent` means neither saw the other. */
export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent';

/** The empty clock (no device has changed the row). */
export const EMPTY_CLOCK: VectorClock = Object.freeze({});

/** Throws INVALID_CLOCK unless every counter is a non-negative safe integer under a non-empty key. */
export function assertClock(clock: unknown, what = 'clock'): asserts clock is VectorClock {
  if (typeof clock !== 'object' || clock === null || Array.isArray(clock)) {
    throw new ChartsyncError('INVALID_CLOCK', `${what} must be an object of device id → counter, got ${Array.isArray(clock) ? 'an array' : String(clock)}.`);
  }
  for (const [device, counter] of Object.entries(clock)) {
    if (device.length === 0) throw new ChartsyncError('INVALID_CLOCK', `${what} has an empty device id: every entry needs the id of the device that wrote it.`);
    if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 0) {
      throw new ChartsyncError('INVALID_CLOCK', `${what}.${device} is ${String(counter)}: counters must be non-negative integers.`, { context: { device } });
    }
  }
}

/** The clock after one more change by `device`. */
export function incrementClock(clock: VectorClock, device: string): VectorClock {
  if (device.length === 0) throw new ChartsyncError('INVALID_CLOCK', 'incrementClock needs a non-empty device id.');
  return normalize({ ...clock, [device]: (clock[device] ?? 0) + 1 });
}

/** The least clock that has seen everything both have seen (entry-wise maximum). */
export function mergeClocks(a: VectorClock, b: VectorClock): VectorClock {
  const out: Record<string, number> = { ...a };
  for (const [device, counter] of Object.entries(b)) {
    if (counter > (out[device] ?? 0)) out[device] = counter;
  }
  return normalize(out);
}

/** Compares two clocks entry by entry. */
export function compareClocks(a: VectorClock, b: VectorClock): ClockOrder {
  let aAhead = false;
  let bAhead = false;
  for (const device of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[device] ?? 0;
    const y = b[device] ?? 0;
    if (x > y) aAhead = true;
    else if (y > x) bAhead = true;
    if (aAhead && bAhead) return 'concurrent';
  }
  if (aAhead) return 'after';
  if (bAhead) return 'before';
  return 'equal';
}

/** True when `a` has seen everything `b` has (a is after or equal to b). */
export function dominates(a: VectorClock, b: VectorClock): boolean {
  const order = compareClocks(a, b);
  return order === 'after' || order === 'equal';
}

/** Sum of all counters: the number of changes a clock has seen. */
export function clockSum(clock: VectorClock): number {
  let total = 0;
  for (const counter of Object.values(clock)) total += counter;
  return total;
}

/** Stable text form: entries sorted by device id, zero entries dropped, so equal clocks serialize equally. */
export function serializeClock(clock: VectorClock): string {
  const normal = normalize(clock);
  // An array replacer fixes the key order (plain insertion order would put numeric-looking ids first).
  return JSON.stringify(normal, Object.keys(normal).sort());
}

/** Parses what serializeClock wrote; throws INVALID_CLOCK on anything else. */
export function parseClock(text: string): VectorClock {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ChartsyncError('INVALID_CLOCK', `Cannot parse clock ${JSON.stringify(text.slice(0, 80))}: expected JSON from serializeClock().`, { cause });
  }
  assertClock(value);
  return normalize(value);
}

// Zero entries carry no information; dropping them keeps equal clocks structurally equal.
function normalize(clock: Readonly<Record<string, number>>): VectorClock {
  const out: Record<string, number> = {};
  for (const device of Object.keys(clock).sort()) {
    const counter = clock[device] ?? 0;
    if (counter > 0) out[device] = counter;
  }
  return out;
}
