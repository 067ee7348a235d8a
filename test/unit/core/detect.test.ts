import { describe, expect, it } from 'vitest';
import { changedByOthers, ROW_STAMP, threeWayDiff, type RowStamps } from '../../../src/core/conflict/detect';

describe('conflict detection by stamps', () => {
  const stamps: RowStamps = { title: [7, 'a', 100], status: [9, 'b', 120], tags: [5, 'b', 90] };

  it("finds nothing unseen when every change after the base is the device's own", () => {
    // Device a wrote twice: op1 was applied at v7; op2 was written against v6, the last version a had seen.
    expect(changedByOthers({ title: [7, 'a', 100], tags: [5, 'b', 90] }, 6, 'a')).toEqual([]);
  });

  it('lists fields other devices changed after the base version, in order', () => {
    expect(changedByOthers(stamps, 6, 'a')).toEqual(['status']);
    expect(changedByOthers(stamps, 0, 'a')).toEqual(['status', 'tags']);
    expect(changedByOthers(stamps, 9, 'a')).toEqual([]);
  });

  it('counts a deletion or re-creation by another device as an unseen change of the row', () => {
    expect(changedByOthers({ ...stamps, [ROW_STAMP]: [10, 'c', 130] }, 9, 'a')).toEqual([ROW_STAMP]);
  });

  it("stays bounded by the row's fields however many devices wrote it", () => {
    let row: RowStamps = {};
    for (let device = 0; device < 10_000; device++) row = { ...row, title: [device + 1, `d${device}`, device] };
    expect(Object.keys(row)).toEqual(['title']);
    expect(changedByOthers(row, 9_999, 'd9999')).toEqual([]);
    expect(changedByOthers(row, 9_998, 'anyone')).toEqual(['title']);
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
});
