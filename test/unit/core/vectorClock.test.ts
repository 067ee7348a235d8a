import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FOLDED_ENTRY, foldClock } from '../../../src/core/clock/foldClock';
import { assertClock, compareClocks, dominates, incrementClock, mergeClocks, parseClock, serializeClock, type VectorClock } from '../../../src/core/clock/vectorClock';
import { isChartsyncError } from '../../../src/core/errors';

const clockArb: fc.Arbitrary<VectorClock> = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', '10', '2'), fc.nat({ max: 6 }), { maxKeys: 6 });
const inverse = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;

describe('vector clocks', () => {
  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
        expect(mergeClocks(a, b)).toEqual(mergeClocks(b, a));
        expect(mergeClocks(mergeClocks(a, b), c)).toEqual(mergeClocks(a, mergeClocks(b, c)));
        expect(mergeClocks(a, a)).toEqual(mergeClocks(a, {}));
      }),
    );
  });

  it('compare is consistent with merge', () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        const order = compareClocks(a, b);
        const merged = mergeClocks(a, b);
        expect(compareClocks(b, a)).toBe(inverse[order]);
        // a ≤ b exactly when merging a into b changes nothing.
        expect(order === 'before' || order === 'equal').toBe(serializeClock(merged) === serializeClock(b));
        expect(order === 'after' || order === 'equal').toBe(serializeClock(merged) === serializeClock(a));
        expect(['before', 'equal']).toContain(compareClocks(a, merged));
      }),
    );
  });

  it('an increment happens after the clock it came from', () => {
    fc.assert(
      fc.property(clockArb, fc.constantFrom('a', 'x'), (a, device) => {
        const next = incrementClock(a, device);
        expect(compareClocks(next, a)).toBe('after');
        expect(next[device]).toBe((a[device] ?? 0) + 1);
        expect(dominates(next, a)).toBe(true);
        expect(dominates(a, next)).toBe(false);
      }),
    );
  });

  it('detects concurrent writes of two devices', () => {
    const base = { a: 1 };
    expect(compareClocks(incrementClock(base, 'a'), incrementClock(base, 'b'))).toBe('concurrent');
    expect(compareClocks({ a: 0 }, {})).toBe('equal');
  });

  it('serializes equal clocks identically, whatever the key order, and parses back', () => {
    fc.assert(
      fc.property(clockArb, (a) => {
        const reversed = Object.fromEntries(Object.entries(a).reverse());
        expect(serializeClock(reversed)).toBe(serializeClock(a));
        expect(serializeClock(parseClock(serializeClock(a)))).toBe(serializeClock(a));
      }),
    );
    expect(serializeClock({ b: 1, '10': 2, a: 0 })).toBe('{"10":2,"b":1}');
  });

  it('refuses malformed clocks with a message naming the bad entry', () => {
    expect(() => assertClock({ a: -1 })).toThrowError(/clock\.a is -1: counters must be non-negative integers/);
    expect(() => assertClock({ a: 1.5 })).toThrowError(/clock\.a is 1\.5/);
    expect(() => assertClock([1])).toThrowError(/got an array/);
    expect(() => parseClock('nope')).toThrowError(/Cannot parse clock/);
    try {
      incrementClock({}, '');
    } catch (error) {
      expect(isChartsyncError(error, 'INVALID_CLOCK')).toBe(true);
    }
    expect.assertions(5);
  });

  it('folding retired devices keeps every happened-before relation', () => {
    const lastSeen = { c: 0, d: 0, a: 1_000_000 };
    const fold = (c: VectorClock) => foldClock(c, { lastSeen, now: 1_000_000, horizonMs: 1000 });
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        const order = compareClocks(a, b);
        const folded = compareClocks(fold(a), fold(b));
        // An ordered pair stays ordered the same way (or becomes equal when only retired entries differed).
        if (order !== 'concurrent') expect([order, 'equal']).toContain(folded);
        // Folding never creates concurrency that was not there.
        if (folded === 'concurrent') expect(order).toBe('concurrent');
      }),
    );
    expect(fold({ a: 2, c: 3, d: 4 })).toEqual({ a: 2, [FOLDED_ENTRY]: 7 });
    expect(Object.keys(fold({ a: 2, b: 1 }))).toEqual(['a', 'b']);
  });
});
