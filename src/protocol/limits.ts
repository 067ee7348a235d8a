/** Bounds the schemas enforce; the server may tighten them. */
export interface ProtocolLimits {
  /** Most ops in one push. @default 1000 */
  maxOps: number;
  /** Longest row, op and device id. @default 256 */
  maxIdLength: number;
}

/** The limits used when none are given. */
export const DEFAULT_PROTOCOL_LIMITS: ProtocolLimits = { maxOps: 1000, maxIdLength: 256 };

/** What a table name may be, on the wire, in the local store and on the server: a letter, then letters, digits or _. */
export const TABLE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/** What an epoch may be: as the server sent it. */
export const EPOCH_PATTERN = /^[0-9a-z]{1,32}$/;
