import { z } from 'zod';
import { WIRE_ERROR_CODES } from './errorCodes';
import { PROTOCOL_VERSION } from './version';

/** Bounds the schemas enforce; the server may tighten them. */
export interface ProtocolLimits {
  /** Most ops in one push. @default 1000 */
  maxOps: number;
  /** Longest row, op and device id. @default 256 */
  maxIdLength: number;
  /** Most entries in one vector clock. @default 256 */
  maxClockEntries: number;
}

/** The limits used when none are given. */
export const DEFAULT_PROTOCOL_LIMITS: ProtocolLimits = { maxOps: 1000, maxIdLength: 256, maxClockEntries: 256 };

/** What a table name may be, on the wire, in the local store and on the server: a letter, then letters, digits or _. */
export const TABLE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/** Builds every wire schema for the given limits. */
export function createProtocolSchemas(limits: Partial<ProtocolLimits> = {}) {
  const { maxOps, maxIdLength, maxClockEntries } = { ...DEFAULT_PROTOCOL_LIMITS, ...limits };

  const id = (what: string) =>
    z
      .string({ error: `${what} must be a string` })
      .min(1, { error: `${what} must not be empty` })
      .max(maxIdLength, { error: `${what} is longer than ${maxIdLength} characters` });

  const tableName = z.string({ error: 'table must be a string' }).regex(TABLE_NAME_PATTERN, { error: 'table must start with a letter and hold only letters, digits and _ (at most 63)' });

  const clock = z
    .record(id('device id'), z.number({ error: 'clock counters must be numbers' }).int({ error: 'clock counters must be integers' }).nonnegative({ error: 'clock counters must not be negative' }))
    .refine((c) => Object.keys(c).length <= maxClockEntries, { error: `a clock has at most ${maxClockEntries} entries` });

  const version = z.number().int().nonnegative();

  const patch = z
    .record(z.string(), z.json())
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (key.startsWith('_')) ctx.addIssue({ code: 'custom', path: [key], message: `field "${key}" starts with _, which is reserved for sync metadata` });
      }
    });

  const base = z.strictObject({ v: version, clock });

  const opCommon = {
    opId: id('opId'),
    table: tableName,
    rowId: id('rowId'),
    base: base.optional(),
    clock,
    at: z.number().int().nonnegative(),
  };

  const op = z
    .discriminatedUnion(
      'kind',
      [
        z.strictObject({ ...opCommon, kind: z.literal('create'), patch }),
        z.strictObject({ ...opCommon, kind: z.literal('update'), patch: patch.refine((p) => Object.keys(p).length > 0, { error: 'an update must change at least one field' }) }),
        z.strictObject({ ...opCommon, kind: z.literal('delete') }),
      ],
      { error: 'kind must be one of create, update, delete' },
    )
    .superRefine((value, ctx) => {
      if (value.kind !== 'delete' && 'id' in value.patch && value.patch.id !== value.rowId) {
        ctx.addIssue({ code: 'custom', path: ['patch', 'id'], message: 'patch.id must equal rowId (a row id cannot change)' });
      }
    });

  const pushRequest = z.strictObject({
    protocol: z.literal(PROTOCOL_VERSION, { error: `protocol must be ${PROTOCOL_VERSION}` }),
    deviceId: id('deviceId'),
    ops: z.array(op).max(maxOps, { error: `a push carries at most ${maxOps} ops: send them in batches` }),
  });

  const wireRow = z.looseObject({
    id: id('id'),
    _v: version,
    _clock: clock,
    _deleted: z.boolean(),
  });

  const pushResult = z.strictObject({
    opId: z.string(),
    status: z.enum(['applied', 'duplicate', 'conflict', 'rejected']),
    row: wireRow.optional(),
    reason: z.string().optional(),
  });

  const pushResponse = z.strictObject({ results: z.array(pushResult), cursor: z.string() });

  const pullResponse = z.strictObject({
    changes: z.array(z.strictObject({ table: tableName, row: wireRow })),
    cursor: z.string(),
    hasMore: z.boolean(),
    /** Changes left after this page, when the server counts them (for progress bars). */
    remaining: z.number().int().nonnegative().optional(),
  });

  const status = z.strictObject({
    protocol: z.number().int(),
    serverTime: z.number(),
    cursor: z.string(),
    policiesHash: z.string(),
  });

  const errorBody = z.strictObject({ error: z.strictObject({ code: z.enum(WIRE_ERROR_CODES), message: z.string() }) });

  const syncEvent = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('poke'), cursor: z.string() }),
    z.strictObject({ type: z.literal('heartbeat'), serverTime: z.number() }),
  ]);

  return { clock, patch, op, pushRequest, wireRow, pushResult, pushResponse, pullResponse, status, errorBody, syncEvent };
}

/** The wire schemas with the default limits. */
export const protocolSchemas = createProtocolSchemas();

/** A vector clock on the wire. */
export type WireClock = z.infer<typeof protocolSchemas.clock>;
/** One op in a push. */
export type WireOp = z.infer<typeof protocolSchemas.op>;
/** `POST /sync/push` body. */
export type PushRequest = z.infer<typeof protocolSchemas.pushRequest>;
/** A row on the wire: data plus `_v`, `_clock`, `_deleted`. */
export type WireRow = z.infer<typeof protocolSchemas.wireRow>;
/** The server's verdict on one op. */
export type PushResult = z.infer<typeof protocolSchemas.pushResult>;
/** `POST /sync/push` response. */
export type PushResponse = z.infer<typeof protocolSchemas.pushResponse>;
/** `GET /sync/pull` response. */
export type PullResponse = z.infer<typeof protocolSchemas.pullResponse>;
/** `GET /sync/status` response. */
export type SyncStatusResponse = z.infer<typeof protocolSchemas.status>;
/** Every error response body. */
export type ErrorBody = z.infer<typeof protocolSchemas.errorBody>;
/** One Server-Sent Event of `GET /sync/events`. */
export type SyncEvent = z.infer<typeof protocolSchemas.syncEvent>;
