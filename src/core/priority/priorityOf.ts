import type { JsonObject } from '../json/types';
import type { OpKind } from '../outbox/types';

/** 1 is sent first, 5 last. */
export type Priority = 1 | 2 | 3 | 4 | 5;

/** Per-table overrides: a field name → its priority, checked before the default rules. */
export type PriorityRules = Readonly<Record<string, Priority>>;

// The seed's table, by field name. Matching is case-insensitive on the whole name.
const DEFAULT_FIELD_PRIORITY: ReadonlyArray<readonly [RegExp, Priority]> = [
  [/^(status|state)$/i, 1],
  [/^(assignee|assignees|owner|assignedto)$/i, 2],
  [/^(title|name)$/i, 2],
  [/^(description|content|body|notes?)$/i, 3],
  [/^(due|duedate|dueat|dueon|completed|completedat|completedon|completiondate)$/i, 3],
  [/^(tags|labels|custom|customfields|fields|meta)$/i, 4],
];

/** Priority of one changed field under the default rules and the table's overrides. */
export function fieldPriority(field: string, overrides: PriorityRules = {}): Priority {
  const own = overrides[field];
  if (own !== undefined) return own;
  for (const [pattern, priority] of DEFAULT_FIELD_PRIORITY) if (pattern.test(field)) return priority;
  return 5;
}

/**
 * Priority of an op: creates and deletes are 1 (they change whether the row exists at all); an update
 * takes the most urgent priority of the fields it changes (status 1; assignee, title/name 2;
 * description/content, due/completed dates 3; tags/custom fields 4; anything else 5).
 */
export function priorityOf(kind: OpKind, patch: JsonObject | undefined, overrides: PriorityRules = {}): Priority {
  if (kind !== 'update') return 1;
  let best: Priority = 5;
  for (const field of Object.keys(patch ?? {})) {
    const p = fieldPriority(field, overrides);
    if (p < best) best = p;
  }
  return best;
}
