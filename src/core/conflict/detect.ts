import { compareClocks, type VectorClock } from '../clock/vectorClock';
import { jsonEqual } from '../json/jsonEqual';
import { isMetaField } from '../json/metaFields';
import type { JsonObject } from '../json/types';

/**
 * What the server does with a pushed op, judged by clocks alone:
 * - `fast-forward`: the op's clock dominates or equals the stored clock — apply it (this includes a
 *   device's second write while its first is in flight: a stale base version, but no concurrency);
 * - `stale`: the stored clock dominates the op's — its effects are already superseded, change nothing;
 * - `conflict`: neither saw the other — resolve by the table's policy.
 */
export type PushVerdict = 'fast-forward' | 'stale' | 'conflict';

/** Classifies an op against the stored row's clock (a row the server does not have always fast-forwards). */
export function classifyPush(opClock: VectorClock, storedClock: VectorClock | undefined): PushVerdict {
  if (storedClock === undefined) return 'fast-forward';
  switch (compareClocks(opClock, storedClock)) {
    case 'after':
    case 'equal':
      return 'fast-forward';
    case 'before':
      return 'stale';
    case 'concurrent':
      return 'conflict';
  }
}

/**
 * The version check alone: is the row still at the version the writer saw? Cheap, but it calls a
 * device's own second in-flight write a conflict; classifyPush is the authority.
 */
export function versionMatches(baseV: number, storedV: number): boolean {
  return baseV === storedV;
}

/** Fields the server changed after version `baseV`, from its per-field versions `_fv`. */
export function fieldsChangedSince(fieldVersions: Readonly<Record<string, number>>, baseV: number): string[] {
  return Object.keys(fieldVersions).filter((field) => (fieldVersions[field] ?? 0) > baseV).sort();
}

/** The field-level three-way diff of a row. */
export interface ThreeWayDiff {
  /** Changed by the local side only: merge cleanly. */
  localOnly: string[];
  /** Changed by the remote side only: merge cleanly. */
  remoteOnly: string[];
  /** Changed by both sides to the same value: no collision. */
  agreed: string[];
  /** Changed by both sides to different values: the policy decides. */
  collisions: string[];
}

/**
 * Compares base, local and remote versions of a row field by field (sync metadata excluded). A field absent
 * from a side counts as changed when it was present in base (a removal).
 */
export function threeWayDiff(base: Readonly<JsonObject> | undefined, local: Readonly<JsonObject>, remote: Readonly<JsonObject>): ThreeWayDiff {
  const diff: ThreeWayDiff = { localOnly: [], remoteOnly: [], agreed: [], collisions: [] };
  const fields = new Set([...Object.keys(base ?? {}), ...Object.keys(local), ...Object.keys(remote)]);
  for (const field of [...fields].sort()) {
    if (isMetaField(field)) continue;
    const b = base?.[field];
    const l = local[field];
    const r = remote[field];
    const localChanged = !jsonEqual(l, b);
    const remoteChanged = !jsonEqual(r, b);
    if (localChanged && remoteChanged) (jsonEqual(l, r) ? diff.agreed : diff.collisions).push(field);
    else if (localChanged) diff.localOnly.push(field);
    else if (remoteChanged) diff.remoteOnly.push(field);
  }
  return diff;
}
