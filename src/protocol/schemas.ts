import * as z from 'zod';
import { WIRE_ERROR_CODES } from './errorCodes';
import { isReservedFieldName, unstorableString } from './jsonSafety';
import { PROTOCOL_VERSION } from './version';

import { DEFAULT_PROTOCOL_LIMITS, EPOCH_PATTERN, type ProtocolLimits, TABLE_NAME_PATTERN } from './limits';

export { DEFAULT_PROTOCOL_LIMITS, TABLE_NAME_PATTERN, type ProtocolLimits } from './limits';

/** Builds every wire schema for the given limits. */
export function createProtocolSchemas(limits: Partial<ProtocolLimits> = {}) {
  const { maxOps, maxIdLength } = { ...DEFAULT_PROTOCOL_LIMITS, ...limits };

  const id = (what: string) =>
    z
      .string({ error: `${what} must be a string` })
      .min(1, { error: `${what} must not be empty` })
      .max(maxIdLength, { error: `${what} is longer than ${maxIdLength} characters` })
      .superRefine((text, ctx) => {
        const why = unstorableString(text);
        if (why) ctx.addIssue({ code: 'custom', message: `${what} ${why}` });
      });

  const tableName = z
    .string({ error: 'table must be a string' })
    .regex(TABLE_NAME_PATTERN, { error: 'table must start with a letter and hold only letters, digits and _ (at most 63)' });

  const version = z.number().int().nonnegative();
  const time = z.number({ error: 'times must be numbers' }).int({ error: 'times must be integer ms' }).nonnegative({ error: 'times must not be negative' });

  // Field names starting with _ are sync metadata, in patches and in everything keyed by field; names of
  // Object.prototype members would read inherited functions as values and stamps.
  const byField = <V extends z.ZodType>(value: V) =>
    z.record(z.string(), value).superRefine((record, ctx) => {
      for (const key of Object.keys(record)) {
        if (key.startsWith('_')) ctx.addIssue({ code: 'custom', path: [key], message: `field "${key}" starts with _, which is reserved for sync metadata` });
        else if (isReservedFieldName(key))
          ctx.addIssue({ code: 'custom', path: [key], message: `field "${key}" is reserved (a member of every JavaScript object): rename it` });
      }
    });

  const patch = byField(z.json());

  // A field's base value: [] when the field was absent, [value] otherwise.
  const baseValue = z.union([z.tuple([]), z.tuple([z.json()])], { error: 'a base value is [] (the field was absent) or [value]' });
  const base = z.strictObject({ v: version, fields: byField(baseValue).optional() });

  const opCommon = {
    opId: id('opId'),
    table: tableName,
    rowId: id('rowId'),
    base: base.optional(),
    at: time,
    fieldAt: byField(time).optional(),
    writes: z.number().int().min(1).optional(),
  };

  const op = z
    .discriminatedUnion(
      'kind',
      [
        z.strictObject({ ...opCommon, kind: z.literal('create'), patch, putAt: time.optional() }),
        z.strictObject({
          ...opCommon,
          kind: z.literal('update'),
          patch: patch.refine((p) => Object.keys(p).length > 0, { error: 'an update must change at least one field' }),
          row: patch.optional(),
        }),
        z.strictObject({ ...opCommon, kind: z.literal('delete') }),
      ],
      { error: 'kind must be one of create, update, delete' },
    )
    .superRefine((value, ctx) => {
      if (value.kind !== 'delete' && 'id' in value.patch && value.patch.id !== value.rowId) {
        ctx.addIssue({ code: 'custom', path: ['patch', 'id'], message: 'patch.id must equal rowId (a row id cannot change)' });
      }
      if (value.kind === 'update' && value.row && 'id' in value.row && value.row.id !== value.rowId) {
        ctx.addIssue({ code: 'custom', path: ['row', 'id'], message: 'row.id must equal rowId (a row id cannot change)' });
      }
    });

  const epoch = z.string().regex(EPOCH_PATTERN, { error: 'epoch must be 1-32 lowercase letters or digits, as the server sent it' });

  const pushRequest = z.strictObject({
    protocol: z.literal(PROTOCOL_VERSION, { error: `protocol must be ${PROTOCOL_VERSION}` }),
    deviceId: id('deviceId'),
    /**
     * The furthest cursor the client has (absent: it has never pulled): its ops' base versions refer to
     * that database and change sequence, so a server with another epoch, or behind it, answers
     * RESET_REQUIRED instead of judging the ops against data they never saw.
     */
    cursor: z.string().optional(),
    ops: z.array(op).max(maxOps, { error: `a push carries at most ${maxOps} ops: send them in batches` }),
  });

  const wireRow = z.looseObject({
    id: id('id'),
    _v: version,
    _deleted: z.boolean(),
  });

  const change = z.strictObject({ table: tableName, row: wireRow });

  const pushResult = z.strictObject({
    opId: z.string(),
    status: z.enum(['applied', 'conflict', 'rejected']),
    reason: z.string().optional(),
    /** True when the op was applied by an earlier request: this is its first outcome, replayed. */
    replayed: z.literal(true).optional(),
  });

  /** `rows`: every row the push touched, once, as it is after the push. */
  const pushResponse = z.strictObject({ results: z.array(pushResult), rows: z.array(change), cursor: z.string(), epoch });

  const pullResponse = z.strictObject({
    changes: z.array(change),
    cursor: z.string(),
    epoch,
    hasMore: z.boolean(),
    /** Changes left after this page, when the server counts them (for progress bars). */
    remaining: z.number().int().nonnegative().optional(),
  });

  const status = z.strictObject({
    protocol: z.number().int(),
    serverTime: z.number(),
    cursor: z.string(),
    epoch,
    policiesHash: z.string(),
  });

  /** `GET /sync/checksums`: one hash per bucket of the table's live rows (see bucketHashes). */
  const checksums = z.strictObject({ table: tableName, buckets: z.number().int().positive(), hashes: z.array(z.string()) });
  /** `GET /sync/bucket`: the live rows of one bucket, read at `cursor`. */
  const bucket = z.strictObject({
    table: tableName,
    buckets: z.number().int().positive(),
    bucket: z.number().int().nonnegative(),
    rows: z.array(wireRow),
    cursor: z.string(),
  });

  const errorBody = z.strictObject({ error: z.strictObject({ code: z.enum(WIRE_ERROR_CODES), message: z.string(), opId: z.string().optional() }) });

  const liveEvent = z.discriminatedUnion('type', [
    // `from` and `changes` only to a client that asked for them: the changes between the two cursors.
    z.strictObject({ type: z.literal('poke'), cursor: z.string(), from: z.string().optional(), changes: z.array(change).optional() }),
    z.strictObject({ type: z.literal('heartbeat'), serverTime: z.number() }),
  ]);

  return { patch, op, pushRequest, wireRow, pushResult, pushResponse, pullResponse, status, checksums, bucket, errorBody, liveEvent };
}

/** The wire schemas with the default limits. */
export const protocolSchemas = createProtocolSchemas();

/** One op in a push. */
export type WireOp = z.infer<typeof protocolSchemas.op>;
/** `POST /sync/push` body. */
export type PushRequest = z.infer<typeof protocolSchemas.pushRequest>;
/** A row on the wire: data plus `_v` and `_deleted`. */
export type WireRow = z.infer<typeof protocolSchemas.wireRow>;
/** A row of a table, as pulls and pushes carry it. */
export type WireChange = z.infer<typeof protocolSchemas.pullResponse>['changes'][number];
/** The server's verdict on one op. */
export type PushResult = z.infer<typeof protocolSchemas.pushResult>;
/** `POST /sync/push` response. */
export type PushResponse = z.infer<typeof protocolSchemas.pushResponse>;
/** `GET /sync/pull` response. */
export type PullResponse = z.infer<typeof protocolSchemas.pullResponse>;
/** `GET /sync/status` response. */
export type SyncStatusResponse = z.infer<typeof protocolSchemas.status>;
/** `GET /sync/checksums` response. */
export type ChecksumsResponse = z.infer<typeof protocolSchemas.checksums>;
/** `GET /sync/bucket` response. */
export type BucketResponse = z.infer<typeof protocolSchemas.bucket>;
/** Every error response body. */
export type ErrorBody = z.infer<typeof protocolSchemas.errorBody>;
/** One Server-Sent Event of the live stream, `GET /sync/events`. */
export type LiveEvent = z.infer<typeof protocolSchemas.liveEvent>;
