import { describe, expect, it } from 'vitest';
import { ABSENT, intendedRows, type Write } from './intent';

let seq = 0;
const w = (
  device: string,
  at: number,
  kind: Write['kind'],
  fields: Write['fields'] = {},
  rowAfter: Write['rowAfter'] = null,
  intent?: Write['intent'],
): Write => ({ seq: seq++, device, table: 't', rowId: 'r', kind, at, fields, rowAfter, ...(intent ? { intent } : {}) });

// The oracle is the fuzzer's statement of the README's guarantees: these pin what it says.
describe("the fuzzer's oracle of the users' intent", () => {
  it("field-merge: each field's latest write, the row's latest write deciding whether it exists", () => {
    const writes = [w('a', 1, 'put', { title: 'a', note: 'a' }), w('b', 3, 'update', { title: 'b' }), w('a', 2, 'update', { note: 'a2', status: 'x' })];
    expect(intendedRows('field-merge', writes).get('r')).toEqual({ id: 'r', title: 'b', note: 'a2', status: 'x' });
    expect(intendedRows('field-merge', [...writes, w('c', 4, 'delete')]).has('r')).toBe(false);
    // An edit later than the delete brings the row back with every field's latest value.
    expect(intendedRows('field-merge', [...writes, w('c', 4, 'delete'), w('a', 5, 'update', { n: 1 })]).get('r')).toEqual({
      id: 'r',
      title: 'b',
      note: 'a2',
      status: 'x',
      n: 1,
    });
    // A put that removes a field removes it when it is the field's latest write.
    expect(intendedRows('field-merge', [...writes, w('c', 4, 'put', { title: 'c', note: ABSENT, status: ABSENT })]).get('r')).toEqual({ id: 'r', title: 'c' });
  });

  it('ties of write time go to the larger device id, then to the later write of one device', () => {
    expect(intendedRows('field-merge', [w('a', 1, 'put', { title: 'a' }), w('b', 1, 'update', { title: 'b' })]).get('r')!.title).toBe('b');
    expect(intendedRows('field-merge', [w('b', 1, 'put', { title: 'first' }), w('b', 1, 'update', { title: 'second' })]).get('r')!.title).toBe('second');
  });

  it("last-write-wins: the latest writer's version of the row, losing a concurrent edit of another field", () => {
    const writes = [
      w('a', 1, 'update', { title: 'a' }, { id: 'r', title: 'a', note: 'base' }),
      w('b', 2, 'update', { note: 'b' }, { id: 'r', title: 'base', note: 'b' }),
    ];
    expect(intendedRows('last-write-wins', writes).get('r')).toEqual({ id: 'r', title: 'base', note: 'b' });
  });

  it('merge rules: every element added and not removed, every increment, the largest value raised to', () => {
    const writes = [
      w('a', 1, 'put', {}, { id: 'r', tags: ['x'], count: 10, prio: 1 }),
      w('a', 2, 'update', {}, null, { added: ['y'], removed: ['x'], increment: 2, raisedTo: 3 }),
      w('b', 2, 'update', {}, null, { added: ['z'], increment: 1, raisedTo: 2 }),
    ];
    expect(intendedRows('merge-rules', writes).get('r')).toEqual({ id: 'r', tags: ['y', 'z'], count: 13, prio: 3 });
  });
});
