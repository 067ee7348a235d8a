import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/core/ids/newId';

describe('newId', () => {
  it('makes UUIDv7s that never repeat, across many pool refills, and sort by their time', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => newId(1_790_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const times = ids.map((id) => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBe(1_790_000_000_000);
  });
});
