import { describe, expect, it } from 'vitest';
import { isChartsyncError } from '../../../src/core/errors';
import { decodeCursor, encodeCursor } from '../../../src/protocol/cursor';
import { isRetryableStatus } from '../../../src/protocol/errorCodes';
import { parseMessage } from '../../../src/protocol/parseMessage';
import { createProtocolSchemas, protocolSchemas } from '../../../src/protocol/schemas';
import { PROTOCOL_VERSION } from '../../../src/protocol/version';

const op = { opId: 'o1', table: 'tasks', rowId: 'r1', kind: 'update', patch: { title: 'x' }, base: { v: 3, fields: { title: ['old'] } }, at: 1 };
const push = (ops: unknown[]) => ({ protocol: PROTOCOL_VERSION, deviceId: 'dev-1', ops });

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isChartsyncError(error, 'INVALID_MESSAGE')) return error.message;
    throw error;
  }
  throw new Error('expected an INVALID_MESSAGE error');
}

describe('push request validation', () => {
  it('accepts a well-formed push of every op kind', () => {
    const ops = [
      op,
      { ...op, opId: 'o2', kind: 'create', patch: { id: 'r1', title: 'x' } },
      { opId: 'o3', table: 'tasks', rowId: 'r1', kind: 'delete', at: 2 },
    ];
    expect(parseMessage(protocolSchemas.pushRequest, push(ops), 'push request').ops).toHaveLength(3);
  });

  it('rejects an unknown op kind, naming the op', () => {
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, kind: 'upsert' }]), 'push request'))).toMatch(
      /^Invalid push request: ops\[0\]\.kind: kind must be one of create, update, delete/,
    );
  });

  it('rejects non-string and empty ids', () => {
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, rowId: 42 }]), 'push request'))).toContain(
      'ops[0].rowId: rowId must be a string',
    );
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, opId: '' }]), 'push request'))).toContain(
      'ops[0].opId: opId must not be empty',
    );
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, rowId: 'x'.repeat(300) }]), 'push request'))).toContain(
      'rowId is longer than 256 characters',
    );
  });

  it('rejects malformed base values and field times with the path of the bad entry', () => {
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, fieldAt: { title: -1 } }]), 'push request'))).toContain(
      'ops[0].fieldAt.title: times must not be negative',
    );
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, base: { v: 1, fields: { title: 'old' } } }]), 'push request'))).toContain(
      'ops[0].base.fields.title: a base value is [] (the field was absent) or [value]',
    );
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, base: { v: 1, fields: { _v: [1] } } }]), 'push request'))).toContain(
      'reserved for sync metadata',
    );
    expect(
      parseMessage(protocolSchemas.pushRequest, push([{ ...op, base: { v: 1, fields: { title: [], status: [null] } } }]), 'push request').ops[0]!.base?.fields,
    ).toEqual({ title: [], status: [null] });
  });

  it('rejects oversize batches, with a configurable limit', () => {
    const small = createProtocolSchemas({ maxOps: 2 });
    expect(messageOf(() => parseMessage(small.pushRequest, push([op, op, op]), 'push request'))).toContain('ops: a push carries at most 2 ops');
    expect(parseMessage(small.pushRequest, push([op, op]), 'push request').ops).toHaveLength(2);
  });

  it('rejects reserved fields, id changes, empty updates and another protocol version', () => {
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, patch: { _v: 9 } }]), 'push request'))).toContain(
      'ops[0].patch._v: field "_v" starts with _',
    );
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, patch: { id: 'other' } }]), 'push request'))).toContain(
      'ops[0].patch.id: patch.id must equal rowId',
    );
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push([{ ...op, patch: {} }]), 'push request'))).toContain(
      'an update must change at least one field',
    );
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, { ...push([]), protocol: 99 }, 'push request'))).toContain(
      `protocol: protocol must be ${PROTOCOL_VERSION}`,
    );
  });

  it('lists at most five issues and counts the rest', () => {
    const bad = Array.from({ length: 8 }, () => ({ ...op, rowId: 1 }));
    expect(messageOf(() => parseMessage(protocolSchemas.pushRequest, push(bad), 'push request'))).toMatch(/\(and 3 more\)\.$/);
  });
});

describe('responses and events', () => {
  it('validates pull responses, rows with metadata and tombstones', () => {
    const pull = {
      changes: [
        { table: 'tasks', row: { id: 'r1', title: 'x', _v: 4, _deleted: false } },
        { table: 'tasks', row: { id: 'r2', _v: 5, _deleted: true } },
      ],
      cursor: encodeCursor('e1', 5),
      epoch: 'e1',
      hasMore: false,
    };
    expect(parseMessage(protocolSchemas.pullResponse, pull, 'pull response').changes[1]?.row._deleted).toBe(true);
    expect(messageOf(() => parseMessage(protocolSchemas.pullResponse, { ...pull, hasMore: 'no' }, 'pull response'))).toContain('hasMore');
  });

  it('validates error bodies and SSE events', () => {
    expect(parseMessage(protocolSchemas.errorBody, { error: { code: 'UNAUTHORIZED', message: 'Token expired' } }, 'error body').error.code).toBe(
      'UNAUTHORIZED',
    );
    expect(messageOf(() => parseMessage(protocolSchemas.errorBody, { error: { code: 'NOPE', message: '' } }, 'error body'))).toContain('error.code');
    expect(parseMessage(protocolSchemas.liveEvent, { type: 'poke', cursor: 'c1.5' }, 'event').type).toBe('poke');
  });
});

describe('cursors', () => {
  it('round-trip a database epoch and a change sequence, and treat no cursor as the start', () => {
    for (const seq of [0, 1, 35, 36, 123_456_789, Number.MAX_SAFE_INTEGER]) expect(decodeCursor(encodeCursor('5f3a9c', seq))).toEqual({ epoch: '5f3a9c', seq });
    expect(decodeCursor(undefined)).toBeNull();
    expect(decodeCursor('')).toBeNull();
  });

  it('refuse cursors the server never issued, and cursors without an epoch', () => {
    for (const bad of ['42', 'c1.5', 'c2.', 'c2.e1.-3', 'c2.5', 'c2.E1.5', 'c2.e1.zzzzzzzzzzzz'])
      expect(() => decodeCursor(bad)).toThrowError(/is not one this server issued/);
    expect(() => encodeCursor('e1', -1)).toThrowError(/non-negative/);
    expect(() => encodeCursor('Not-An-Epoch', 1)).toThrowError(/epoch/);
  });
});

describe('retry classification', () => {
  it('retries network-ish statuses only', () => {
    expect([408, 429, 500, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 413].some(isRetryableStatus)).toBe(false);
  });
});
