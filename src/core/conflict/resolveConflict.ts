import { ChartsyncError } from '../errors';
import { jsonEqual } from '../json/jsonEqual';
import { isMetaField } from '../json/metaFields';
import type { JsonObject, JsonValue } from '../json/types';
import { mergeField, ruleName } from './fieldRules';
import { lastFieldWriter, lastWriter } from './lastWriter';
import type { ConflictInput, ConflictPolicy, ConflictSide, ConflictSideName, FieldSource, Resolution } from './types';

/** The role ranking `role-based` uses unless the policy names its own (strongest first). */
export const DEFAULT_ROLE_RANKING: readonly string[] = ['owner', 'admin', 'manager', 'worker', 'viewer'];

/** The strategies a policy can name. */
export const CONFLICT_STRATEGIES = ['server-wins', 'client-wins', 'last-write-wins', 'version-wins', 'role-based', 'field-merge', 'manual', 'custom'] as const;

/**
 * Resolves one conflict by a table's policy. One implementation for both ends: the server runs it for
 * automatic policies so every replica converges on one row; the client runs it to propose merges. Pure and
 * deterministic: the same input always gives the same row, and the symmetric strategies (last-write-wins,
 * version-wins, role-based, field-merge with built-in rules) give the same row with the sides swapped.
 */
export function resolveConflict(policy: ConflictPolicy, input: ConflictInput): Resolution {
  switch (policy.strategy) {
    case 'server-wins':
      return wholeRow('server', input);
    case 'client-wins':
      return wholeRow('client', input);
    case 'last-write-wins':
      return wholeRow(lastWriter(input.client, input.server), input);
    case 'version-wins':
      return wholeRow(moreChanges(input) ?? lastWriter(input.client, input.server), input);
    case 'role-based':
      return wholeRow(strongerRole(input, policy.roles ?? DEFAULT_ROLE_RANKING) ?? lastWriter(input.client, input.server), input);
    case 'field-merge':
      return fieldMerge(input, policy);
    case 'manual':
      return { ...wholeRow('server', input), outcome: 'manual' };
    case 'custom':
      return custom(input, policy.resolve(input));
    default:
      throw invalidStrategy((policy as { strategy?: unknown }).strategy, input.table);
  }
}

/** Throws INVALID_POLICY unless every table's policy names a known strategy (and custom has a function). */
export function assertPolicies(policies: Readonly<Record<string, unknown>>): void {
  for (const [table, policy] of Object.entries(policies)) {
    const strategy = (policy as { strategy?: unknown } | null)?.strategy;
    if (!CONFLICT_STRATEGIES.includes(strategy as (typeof CONFLICT_STRATEGIES)[number])) throw invalidStrategy(strategy, table);
    if (strategy === 'custom' && typeof (policy as { resolve?: unknown }).resolve !== 'function') {
      throw new ChartsyncError('INVALID_POLICY', `The custom policy of table "${table}" needs a resolve(input) function.`, { context: { table } });
    }
  }
}

function invalidStrategy(strategy: unknown, table: string): ChartsyncError {
  return new ChartsyncError(
    'INVALID_POLICY',
    `Unknown conflict strategy ${JSON.stringify(strategy)} for table "${table}": use one of ${CONFLICT_STRATEGIES.join(', ')}.`,
    { context: { table } },
  );
}

function differingFields(input: ConflictInput): string[] {
  const fields = new Set([...Object.keys(input.client.row), ...Object.keys(input.server.row)]);
  return [...fields].filter((f) => !isMetaField(f) && !jsonEqual(input.client.row[f], input.server.row[f])).sort();
}

function wholeRow(winner: ConflictSideName, input: ConflictInput): Resolution {
  const fields: Record<string, FieldSource> = {};
  for (const field of differingFields(input)) fields[field] = { from: winner };
  return { outcome: 'resolved', winner, row: { ...input[winner].row }, fields };
}

// Writes each side made since the common base.
function moreChanges(input: ConflictInput): ConflictSideName | undefined {
  const client = input.client.writes ?? 1;
  const server = input.server.writes ?? 1;
  if (client === server) return undefined;
  return client > server ? 'client' : 'server';
}

function strongerRole(input: ConflictInput, ranking: readonly string[]): ConflictSideName | undefined {
  const rank = (side: ConflictSide): number => {
    const i = side.role === undefined ? -1 : ranking.indexOf(side.role);
    return i === -1 ? ranking.length : i;
  };
  const client = rank(input.client);
  const server = rank(input.server);
  if (client === server) return undefined;
  return client < server ? 'client' : 'server';
}

function changedSet(side: ConflictSide, baseRow: JsonObject | undefined): Set<string> | undefined {
  if (side.changed) return new Set(side.changed);
  if (!baseRow) return undefined;
  const fields = new Set([...Object.keys(baseRow), ...Object.keys(side.row)]);
  return new Set([...fields].filter((f) => !jsonEqual(side.row[f], baseRow[f])));
}

function fieldMerge(input: ConflictInput, policy: Extract<ConflictPolicy, { strategy: 'field-merge' }>): Resolution {
  const baseRow = input.base?.row;
  const clientChanged = changedSet(input.client, baseRow);
  const serverChanged = changedSet(input.server, baseRow);
  const row: JsonObject = {};
  const fields: Record<string, FieldSource> = {};
  let fromClient = 0;
  let fromServer = 0;
  const all = new Set([...Object.keys(input.client.row), ...Object.keys(input.server.row)]);
  for (const field of [...all].sort()) {
    const c = input.client.row[field];
    const s = input.server.row[field];
    let value: JsonValue | undefined;
    const rule = policy.fields?.[field] ?? policy.default ?? 'lww';
    // Equal values agree — except for a counter, where two sides that each added 2 mean +4.
    const counted = ruleName(rule) === 'counter' && (clientChanged?.has(field) ?? true) && (serverChanged?.has(field) ?? true);
    if (jsonEqual(c, s) && !counted) {
      value = s;
    } else {
      // Unknown change sets (no base) count as changed: the fields then collide and the rule decides.
      const cChanged = clientChanged?.has(field) ?? true;
      const sChanged = serverChanged?.has(field) ?? true;
      if (cChanged && !sChanged) {
        value = c;
        fields[field] = { from: 'client' };
        fromClient += 1;
      } else if (!cChanged) {
        value = s;
        fields[field] = { from: 'server' };
        fromServer += 1;
      } else {
        value = mergeField(rule, { field, base: baseRow?.[field], client: c, server: s, lwwWinner: lastFieldWriter(input.client, input.server, field), input });
        const source: FieldSource = jsonEqual(value, c)
          ? { from: 'client' }
          : jsonEqual(value, s)
            ? { from: 'server' }
            : { from: 'merged', rule: ruleName(rule) };
        // A merged value takes something from both sides.
        if (source.from !== 'server') fromClient += 1;
        if (source.from !== 'client') fromServer += 1;
        fields[field] = source;
      }
    }
    if (value !== undefined) row[field] = value;
  }
  const winner: Resolution['winner'] = fromClient > 0 && fromServer > 0 ? 'merged' : fromClient > 0 ? 'client' : 'server';
  return { outcome: 'resolved', winner, row, fields };
}

function custom(input: ConflictInput, row: JsonObject): Resolution {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    throw new ChartsyncError(
      'INVALID_POLICY',
      `The custom resolver of table "${input.table}" returned ${JSON.stringify(row)}: it must return the resolved row object.`,
      { context: { table: input.table, rowId: input.rowId } },
    );
  }
  const fields: Record<string, FieldSource> = {};
  for (const field of differingFields(input)) {
    const value = row[field];
    fields[field] = jsonEqual(value, input.client.row[field])
      ? { from: 'client' }
      : jsonEqual(value, input.server.row[field])
        ? { from: 'server' }
        : { from: 'merged', rule: 'custom' };
  }
  const froms = new Set(Object.values(fields).map((f) => f.from));
  const winner: Resolution['winner'] =
    froms.size === 1 && (froms.has('client') || froms.has('server')) ? ([...froms][0] as ConflictSideName) : froms.size === 0 ? 'server' : 'merged';
  return { outcome: 'resolved', winner, row: { ...row }, fields };
}
