import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPullResponse } from '../../../src/protocol/isPullResponse';
import { protocolSchemas } from '../../../src/protocol/schemas';

// What a pull response's fields may be: good values and every kind of bad one the schema refuses.
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));
const version = fc.oneof(fc.nat(), fc.constantFrom(-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 2 ** 53 + 2, '3'), anyValue);
const id = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.constantFrom('', 'x'.repeat(256), 'x'.repeat(257), 'a\u0000b', '\ud800', 'ok\udc00'),
  anyValue,
);
const table = fc.oneof(fc.constantFrom('tasks', 'notes_2', 'T'), fc.constantFrom('', '_x', '1a', 'a-b', 'x'.repeat(64)), anyValue);
const row = fc.oneof(fc.record({ id, _v: version, _deleted: fc.oneof(fc.boolean(), anyValue), title: fc.string() }, { requiredKeys: [] }), anyValue);
const change = fc.oneof(fc.record({ table, row }, { requiredKeys: [] }), fc.record({ table, row, extra: anyValue }), anyValue);
const response = fc.record(
  {
    changes: fc.oneof(fc.array(change, { maxLength: 4 }), anyValue),
    cursor: fc.oneof(fc.string(), anyValue),
    epoch: fc.oneof(fc.constantFrom('e1', 'abc123', 'x'.repeat(32)), fc.constantFrom('', 'E1', 'x'.repeat(33), 'a.b'), anyValue),
    hasMore: fc.oneof(fc.boolean(), anyValue),
    remaining: fc.oneof(version, fc.constant(undefined)),
    other: anyValue,
  },
  { requiredKeys: [] },
);
// Mostly valid pages, so the check is tested where it matters: one bad field among good ones.
const validChange = fc.record({
  table: fc.constantFrom('tasks', 'notes'),
  row: fc.record({ id: fc.string({ minLength: 1, maxLength: 8 }), _v: fc.nat(), _deleted: fc.boolean() }),
});
const nearlyValid = fc.tuple(fc.array(validChange, { maxLength: 5 }), fc.option(change), fc.nat({ max: 5 }), fc.boolean()).map(([changes, bad, at, more]) => ({
  changes: bad === null ? changes : [...changes.slice(0, at), bad, ...changes.slice(at)],
  cursor: 'c2.e1.5',
  epoch: 'e1',
  hasMore: more,
  remaining: 0,
}));

describe('isPullResponse', () => {
  it('gives the same verdict as the zod schema on valid, nearly valid and malformed pages', () => {
    fc.assert(
      fc.property(fc.oneof(response, nearlyValid, anyValue), (value) => {
        expect(isPullResponse(JSON.parse(JSON.stringify(value ?? null)))).toBe(
          protocolSchemas.pullResponse.safeParse(JSON.parse(JSON.stringify(value ?? null))).success,
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts a real page and refuses one bad row in it', () => {
    const page = { changes: [{ table: 'tasks', row: { id: 'a', title: 'x', _v: 3, _deleted: false } }], cursor: 'c2.e1.3', epoch: 'e1', hasMore: false };
    expect(isPullResponse(page)).toBe(true);
    expect(isPullResponse({ ...page, changes: [...page.changes, { table: 'tasks', row: { id: 'b', _v: -1, _deleted: false } }] })).toBe(false);
  });
});
