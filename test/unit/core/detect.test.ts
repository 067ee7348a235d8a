import { describe, expect, it } from 'vitest';
import { incrementClock } from '../../../src/core/clock/vectorClock';
import { classifyPush, fieldsChangedSince, threeWayDiff, versionMatches } from '../../../src/core/conflict/detect';
import { resolvedClock } from '../../../src/core/conflict/resolvedClock';
import { compareClocks } from '../../../src/core/clock/vectorClock';

describe('conflict detection', () => {
  it('fast-forwards an op whose clock dominates or equals the stored one', () => {
    expect(classifyPush({ a: 2 }, { a: 1 })).toBe('fast-forward');
    expect(classifyPush({ a: 2 }, { a: 2 })).toBe('fast-forward');
    expect(classifyPush({ a: 1 }, undefined)).toBe('fast-forward');
  });

  it('does not call a device\'s second in-flight write a conflict, though its base version is stale', () => {
    // Device a wrote twice: op1 (clock a:1) was applied and made the row v7; op2 (clock a:2) was written
    // against v6, the last version a had seen.
    const stored = { a: 1 };
    const op2 = incrementClock({ a: 1 }, 'a');
    expect(versionMatches(6, 7)).toBe(false);
    expect(classifyPush(op2, stored)).toBe('fast-forward');
  });

  it('calls an op stale when the stored row has already seen it', () => {
    expect(classifyPush({ a: 1 }, { a: 2, b: 1 })).toBe('stale');
  });

  it('calls concurrent writes of two devices a conflict', () => {
    const base = { s: 3 };
    expect(classifyPush(incrementClock(base, 'a'), incrementClock(base, 'b'))).toBe('conflict');
  });

  it('lists fields the server changed after the op\'s base version', () => {
    expect(fieldsChangedSince({ title: 3, status: 9, tags: 5 }, 5)).toEqual(['status']);
    expect(fieldsChangedSince({ title: 3 }, 0)).toEqual(['title']);
  });

  it('splits a three-way diff into one-sided changes, agreements and collisions', () => {
    const base = { id: 'r', title: 'a', status: 'todo', tags: ['x'], note: 'n', _v: 1 };
    const local = { id: 'r', title: 'b', status: 'done', tags: ['x'], note: 'n' };
    const remote = { id: 'r', title: 'c', status: 'done', tags: ['y'], due: '2026-01-01' };
    expect(threeWayDiff(base, local, remote)).toEqual({
      localOnly: [],
      remoteOnly: ['due', 'note', 'tags'],
      agreed: ['status'],
      collisions: ['title'],
    });
  });

  it('gives a resolved row a clock that dominates both sides', () => {
    const stored = { a: 2, s: 1 };
    const op = { b: 1, s: 1 };
    const clock = resolvedClock(stored, op, 's');
    expect(compareClocks(clock, stored)).toBe('after');
    expect(compareClocks(clock, op)).toBe('after');
    expect(clock).toEqual({ a: 2, b: 1, s: 2 });
  });
});
