import { jsonEqual } from '../json/jsonEqual';
import { isMetaField } from '../json/metaFields';
import type { JsonObject } from '../json/types';

/**
 * When and by whom a field last changed on the server: `[v, device, at, writes?]` — the change sequence
 * number of the write, the device that made it (or the server, for a merge), that write's own wall-clock
 * time, and how many local writes the op folded together (when more than one; for `version-wins`).
 */
export type FieldStamp = [v: number, device: string, at: number, writes?: number];

/**
 * A row's stamps: one per field it has had since its last whole-row put, ROW_STAMP for its creation,
 * deletion and re-creation, and PUT_STAMP for its last whole-row put (a field with no stamp of its own was
 * written by that put: set, or removed).
 */
export type RowStamps = Record<string, FieldStamp>;

/** The stamp key of a row's existence (app fields never start with `_`). */
export const ROW_STAMP = '_row';

/** The stamp key of a row's last whole-row put: it stands for every field without a stamp of its own. */
export const PUT_STAMP = '_put';

/** The stamp of the last write of `field`: its own, or the whole-row put's that covers it. */
export function fieldStamp(stamps: Readonly<RowStamps>, field: string): FieldStamp | undefined {
  return stamps[field] ?? stamps[PUT_STAMP];
}

/**
 * What a pushed op did not see: the fields (and ROW_STAMP) that devices other than `device` changed after
 * version `baseV`, the server version the op was written against.
 *
 * This is the whole of conflict detection. The server hands out one change sequence, so "what the writer
 * had seen" is exactly `baseV` plus its own writes — a device's second write while its first is in flight
 * has a stale `baseV` but sees only its own change after it, and fast-forwards. Stamps are bounded by the
 * row's fields, however many devices ever wrote it: no vector clock grows with the number of writers, and
 * no entry is ever folded away, so an edit made offline for months is still judged against exactly the
 * changes it did not see.
 */
export function changedByOthers(stamps: Readonly<RowStamps>, baseV: number, device: string): string[] {
  const out: string[] = [];
  for (const [field, [v, writer]] of Object.entries(stamps)) if (v > baseV && writer !== device) out.push(field);
  return out.sort();
}

/** How many writes made the given stamps: each op counted once, with the local writes it folded together. */
export function writesOf(stamps: Readonly<RowStamps>, fields: readonly string[]): number {
  const byVersion = new Map<number, number>();
  for (const field of fields) {
    const stamp = stamps[field];
    if (stamp) byVersion.set(stamp[0], Math.max(byVersion.get(stamp[0]) ?? 1, stamp[3] ?? 1));
  }
  let total = 0;
  for (const writes of byVersion.values()) total += writes;
  return total;
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
