import { sha256Hex } from '../json/sha256Hex';
import { stableStringify } from '../json/stableStringify';
import type { ConflictPolicies } from './types';

/**
 * A short hash of a policy set, so the engine can warn when its policies differ from the server's.
 * Functions (custom resolvers and field rules) hash as their presence, not their source.
 */
export async function policiesHash(policies: ConflictPolicies): Promise<string> {
  const hex = await sha256Hex(stableStringify(functionsAsMarkers(policies)));
  return hex.slice(0, 16);
}

function functionsAsMarkers(value: unknown): unknown {
  if (typeof value === 'function') return '[function]';
  if (Array.isArray(value)) return value.map(functionsAsMarkers);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, functionsAsMarkers(v)]));
  }
  return value;
}
