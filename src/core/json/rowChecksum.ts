import { isMetaField } from './metaFields';
import { sha256Hex } from './sha256Hex';
import { stableStringify } from './stableStringify';

/**
 * SHA-256 (hex) of a row's data in stable JSON, without sync metadata (`_v`, `_deleted`, `_op`, ... —
 * every key that starts with `_`). Two replicas holding the same data get the same checksum whatever their
 * versions, which is what a bucket comparison for self-healing resync needs.
 */
export function rowChecksum(row: Readonly<Record<string, unknown>>): Promise<string> {
  return sha256Hex(stableStringify(stripMeta(row)));
}

/** A copy of `row` without its sync metadata fields. */
export function stripMeta(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Keys, not entries: no [key, value] pair allocated per field (this runs for every row pulled, pushed or checksummed).
  for (const key of Object.keys(row)) if (!isMetaField(key)) out[key] = row[key];
  return out;
}
