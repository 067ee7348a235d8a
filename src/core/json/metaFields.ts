/**
 * Sync metadata lives beside a row's data under keys that start with `_` (`_v`, `_deleted`, `_op`,
 * ...). Application fields therefore must not start with `_`; the protocol refuses patches that try.
 */
export function isMetaField(key: string): boolean {
  return key.startsWith('_');
}
