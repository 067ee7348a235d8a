import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonEqual } from '../../../src/core/json/jsonEqual';
import { rowChecksum, stripMeta } from '../../../src/core/json/rowChecksum';
import { stableStringify } from '../../../src/core/json/stableStringify';
import { rowChecksumSync } from '../../../src/server/sync/rowChecksumSync';

function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i));
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (seed % 2) entries.reverse();
    return Object.fromEntries(entries.map(([k, v], i) => [k, shuffleKeys(v, seed + i + 1)]));
  }
  return value;
}

describe('stable JSON', () => {
  it('gives one string per value whatever the key order, and parses back to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        const text = stableStringify(value);
        expect(stableStringify(shuffleKeys(value, seed))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('sorts keys at every depth and keeps array order', () => {
    expect(stableStringify({ b: [3, { z: 1, a: 2 }], a: null, c: undefined })).toBe('{"a":null,"b":[3,{"a":2,"z":1}]}');
    expect(stableStringify(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
  });

  it('refuses what JSON cannot carry, naming the path', () => {
    expect(() => stableStringify({ a: { b: NaN } })).toThrowError(/\$\.a\.b is NaN/);
    expect(() => stableStringify({ n: 10n })).toThrowError(/\$\.n is a bigint/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stableStringify(cyclic)).toThrowError(/\$\.self refers back to itself/);
  });

  it('compares JSON values deeply', () => {
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual(undefined, null)).toBe(false);
  });
});

describe('row checksums', () => {
  it('is the SHA-256 of the stable JSON of the data', async () => {
    const row = { title: 'Fix pump', id: 't1', tags: ['a'] };
    const expected = createHash('sha256').update('{"id":"t1","tags":["a"],"title":"Fix pump"}').digest('hex');
    expect(await rowChecksum(row)).toBe(expected);
  });

  it('ignores sync metadata and key order but not data', async () => {
    const a = await rowChecksum({ id: 't1', title: 'x', _v: 3, _clock: { d: 1 }, _deleted: false });
    const b = await rowChecksum({ title: 'x', id: 't1', _v: 9 });
    const c = await rowChecksum({ title: 'y', id: 't1' });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(stripMeta({ id: 1, _v: 2 })).toEqual({ id: 1 });
  });

  it("the server's synchronous checksum equals the client's for any row (verification compares the two)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (row) => {
        expect(rowChecksumSync(row)).toBe(await rowChecksum(row));
      }),
      { numRuns: 200 },
    );
  });
});
