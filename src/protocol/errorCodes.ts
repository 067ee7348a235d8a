/** Every `error.code` a sync server can answer with. 4xx codes are final; the client never retries them. */
export const WIRE_ERROR_CODES = [
  'BAD_REQUEST',
  'INVALID_BODY',
  'UNSUPPORTED_PROTOCOL',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_OPS',
  'ROW_TOO_LARGE',
  'UNKNOWN_TABLE',
  'INVALID_CURSOR',
  'RESET_REQUIRED',
  'OP_ID_REUSED',
  'RATE_LIMITED',
  'INTERNAL',
  'UNAVAILABLE',
] as const;

/** A wire error code. */
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

/** True when an HTTP status should be retried with backoff (network-ish), false when it is final. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
