import { ChartsyncError } from '../core/errors';
import { isPlainObject, unstorableString } from './jsonSafety';
import { DEFAULT_PROTOCOL_LIMITS, EPOCH_PATTERN, TABLE_NAME_PATTERN } from './limits';
import type { MessageIssue } from './parseMessage';
import type { ChecksumsResponse, BucketResponse, LiveEvent, PullResponse, PushResponse, SyncStatusResponse } from './schemas';

/**
 * The client's checks of the server's answers, without zod: the same verdicts as `protocolSchemas` (a
 * property test holds them to it), in a few hundred bytes instead of zod's tens of kilobytes in every app's
 * bundle. The server validates requests with the zod schemas; the client only reads answers.
 */

type Check = (value: unknown, path: string, issues: MessageIssue[]) => void;
type Field = { check: Check; optional?: true };

const at = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

const string: Check = (value, path, issues) => {
  if (typeof value !== 'string') issues.push({ path, message: 'expected a string' });
};
const matching =
  (pattern: RegExp, what: string): Check =>
  (value, path, issues) => {
    if (typeof value !== 'string' || !pattern.test(value)) issues.push({ path, message: `expected ${what}` });
  };
const boolean: Check = (value, path, issues) => {
  if (typeof value !== 'boolean') issues.push({ path, message: 'expected a boolean' });
};
const number: Check = (value, path, issues) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) issues.push({ path, message: 'expected a number' });
};
const integer =
  (min: number | null): Check =>
  (value, path, issues) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || (min !== null && value < min))
      issues.push({ path, message: min === null ? 'expected an integer' : `expected an integer of at least ${min}` });
  };
const literal =
  (expected: string | boolean): Check =>
  (value, path, issues) => {
    if (value !== expected) issues.push({ path, message: `expected ${JSON.stringify(expected)}` });
  };
const oneOf =
  (values: readonly string[]): Check =>
  (value, path, issues) => {
    if (typeof value !== 'string' || !values.includes(value)) issues.push({ path, message: `expected one of ${values.join(', ')}` });
  };
const arrayOf =
  (item: Check): Check =>
  (value, path, issues) => {
    if (!Array.isArray(value)) return void issues.push({ path, message: 'expected an array' });
    value.forEach((element, i) => item(element, at(path, i), issues));
  };
// strict: other keys are refused, as zod's strictObject does; loose: they pass, as looseObject.
const object =
  (fields: Record<string, Field>, strict: boolean): Check =>
  (value, path, issues) => {
    if (!isPlainObject(value)) return void issues.push({ path, message: 'expected an object' });
    for (const [key, field] of Object.entries(fields)) {
      if (value[key] === undefined) {
        if (!field.optional) issues.push({ path: at(path, key), message: 'required' });
      } else field.check(value[key], at(path, key), issues);
    }
    if (strict) for (const key of Object.keys(value)) if (!(key in fields)) issues.push({ path: at(path, key), message: 'unexpected field' });
  };
const required = (check: Check): Field => ({ check });
const optional = (check: Check): Field => ({ check, optional: true });

const id: Check = (value, path, issues) => {
  const max = DEFAULT_PROTOCOL_LIMITS.maxIdLength;
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    return void issues.push({ path, message: `expected a string of 1-${max} characters` });
  const why = unstorableString(value);
  if (why) issues.push({ path, message: `id ${why}` });
};
const table = matching(TABLE_NAME_PATTERN, 'a table name');
const epoch = matching(EPOCH_PATTERN, 'an epoch (1-32 lowercase letters or digits)');
const wireRow = object({ id: required(id), _v: required(integer(0)), _deleted: required(boolean) }, false);
const change = object({ table: required(table), row: required(wireRow) }, true);

const CHECKS = {
  pushResponse: object(
    {
      results: required(
        arrayOf(
          object(
            {
              opId: required(string),
              status: required(oneOf(['applied', 'conflict', 'rejected'])),
              reason: optional(string),
              replayed: optional(literal(true)),
            },
            true,
          ),
        ),
      ),
      rows: required(arrayOf(change)),
      cursor: required(string),
      epoch: required(epoch),
    },
    true,
  ),
  pullResponse: object(
    { changes: required(arrayOf(change)), cursor: required(string), epoch: required(epoch), hasMore: required(boolean), remaining: optional(integer(0)) },
    true,
  ),
  status: object(
    { protocol: required(integer(null)), serverTime: required(number), cursor: required(string), epoch: required(epoch), policiesHash: required(string) },
    true,
  ),
  checksums: object({ table: required(table), buckets: required(integer(1)), hashes: required(arrayOf(string)) }, true),
  bucket: object(
    { table: required(table), buckets: required(integer(1)), bucket: required(integer(0)), rows: required(arrayOf(wireRow)), cursor: required(string) },
    true,
  ),
  liveEvent: (value, path, issues) => {
    const type = isPlainObject(value) ? value.type : undefined;
    if (type === 'poke')
      object({ type: required(literal('poke')), cursor: required(string), from: optional(string), changes: optional(arrayOf(change)) }, true)(
        value,
        path,
        issues,
      );
    else if (type === 'heartbeat') object({ type: required(literal('heartbeat')), serverTime: required(number) }, true)(value, path, issues);
    else issues.push({ path: at(path, 'type'), message: 'expected poke or heartbeat' });
  },
} satisfies Record<string, Check>;

/** The answers the client checks, by name, and what each is once checked. */
export interface CheckedResponses {
  pushResponse: PushResponse;
  pullResponse: PullResponse;
  status: SyncStatusResponse;
  checksums: ChecksumsResponse;
  bucket: BucketResponse;
  liveEvent: LiveEvent;
}

/** The problems of `value` as the answer `kind` (empty: it is one). */
export function responseIssues(kind: keyof CheckedResponses, value: unknown): MessageIssue[] {
  const issues: MessageIssue[] = [];
  CHECKS[kind](value, '', issues);
  return issues;
}

/**
 * Checks a server's answer. Returns it typed, or throws INVALID_MESSAGE whose message names every bad
 * field by path (at most 5) and whose context carries all issues.
 */
export function checkResponse<K extends keyof CheckedResponses>(kind: K, value: unknown, what: string): CheckedResponses[K] {
  const issues = responseIssues(kind, value);
  if (issues.length === 0) return value as CheckedResponses[K];
  const shown = issues.slice(0, 5).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  throw new ChartsyncError('INVALID_MESSAGE', `Invalid ${what}: ${shown.join('; ')}${more}.`, { context: { issues } });
}
