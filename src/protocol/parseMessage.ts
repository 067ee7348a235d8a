import type { z } from 'zod';
import { ChartsyncError } from '../core/errors';

/** One problem found in a message, with the path to the bad field ("ops[2].clock.dev1"). */
export interface MessageIssue {
  path: string;
  message: string;
}

/**
 * Validates a wire message. Returns the parsed value, or throws INVALID_MESSAGE whose message names every
 * bad field by path (at most 5) and whose context carries all issues.
 */
export function parseMessage<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: MessageIssue[] = result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
  const shown = issues.slice(0, 5).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  throw new ChartsyncError('INVALID_MESSAGE', `Invalid ${what}: ${shown.join('; ')}${more}.`, { context: { issues } });
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
