import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkResponse, responseIssues, type CheckedResponses } from '../../../src/protocol/checkResponses';
import { isChartsyncError } from '../../../src/core/errors';
import { protocolSchemas } from '../../../src/protocol/schemas';

// A valid answer of each kind; the property test mutates one or two places in it.
const change = { table: 'tasks', row: { id: 'r1', title: 'x', _v: 3, _deleted: false } };
const VALID: { [K in keyof CheckedResponses]: unknown[] } = {
  pushResponse: [
    {
      results: [
        { opId: 'o1', status: 'applied' },
        { opId: 'o2', status: 'rejected', reason: 'why', replayed: true },
      ],
      rows: [change],
      cursor: 'c2.e1.3',
      epoch: 'e1',
    },
  ],
  pullResponse: [
    { changes: [change, { table: 'notes', row: { id: 'n', _v: 0, _deleted: true } }], cursor: 'c2.e1.3', epoch: 'e1', hasMore: true, remaining: 4 },
  ],
  status: [{ protocol: 2, serverTime: 1.5, cursor: 'c', epoch: 'abc', policiesHash: 'h' }],
  checksums: [{ table: 'tasks', buckets: 4, hashes: ['a', 'b'] }],
  bucket: [{ table: 'tasks', buckets: 4, bucket: 0, rows: [change.row], cursor: 'c' }],
  liveEvent: [
    { type: 'poke', cursor: 'c', from: 'b', changes: [change] },
    { type: 'heartbeat', serverTime: 5 },
  ],
};

const oddValue = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.constantFrom(-1, 0, 1, 1.5, 2 ** 53, '', 'E1', 'x'.repeat(33), 'x'.repeat(257), 'a\u0000b', '\ud800', 'poke', 'heartbeat', 'applied', '1a', 'tasks'),
);

/** Every path to a value in `value` (objects' keys, arrays' indexes). */
function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

type Mutation = { path: number; kind: 'set' | 'delete' | 'add'; value: unknown; key: string };
function mutate(value: unknown, mutation: Mutation): unknown {
  const copy = structuredClone(value);
  const paths = pathsOf(copy);
  const path = paths[mutation.path % paths.length]!;
  if (path.length === 0) return mutation.kind === 'set' ? mutation.value : copy;
  const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], copy) as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (mutation.kind === 'set') parent[last] = mutation.value;
  else if (mutation.kind === 'delete') Array.isArray(parent) ? parent.splice(Number(last), 1) : delete parent[last];
  else if (!Array.isArray(parent)) parent[mutation.key] = mutation.value;
  return copy;
}
const mutation = fc.record({
  path: fc.nat(),
  kind: fc.constantFrom('set', 'set', 'delete', 'add') as fc.Arbitrary<Mutation['kind']>,
  value: oddValue,
  key: fc.constantFrom('extra', 'reason', 'remaining', 'from', 'changes', 'replayed', 'type'),
});

describe('checkResponse: the client checks answers without zod, with zod’s verdicts', () => {
  it.each(Object.keys(VALID) as Array<keyof CheckedResponses>)('%s: the same verdict as the zod schema on valid and mutated answers', (kind) => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID[kind]), fc.array(mutation, { maxLength: 2 }), (valid, mutations) => {
        const value = JSON.parse(JSON.stringify(mutations.reduce(mutate, valid) ?? null));
        const zodOk = protocolSchemas[kind].safeParse(value).success;
        expect(responseIssues(kind, value).length === 0).toBe(zodOk);
      }),
      { numRuns: 3000 },
    );
  });

  it('names the bad fields by path in a typed error', () => {
    const bad = { results: [{ opId: 'o1', status: 'done' }], rows: [], cursor: 'c', epoch: 'E1', extra: 1 };
    try {
      checkResponse('pushResponse', bad, 'push response');
      expect.unreachable('a bad answer was accepted');
    } catch (error) {
      expect(isChartsyncError(error) && error.code).toBe('INVALID_MESSAGE');
      expect((error as Error).message).toMatch(/results\[0\]\.status: expected one of applied, conflict, rejected/);
      expect((error as Error).message).toMatch(/epoch: expected an epoch/);
      expect((error as Error).message).toMatch(/extra: unexpected field/);
    }
  });
});
