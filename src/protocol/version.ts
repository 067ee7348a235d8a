/**
 * The wire protocol version. A server answers UNSUPPORTED_PROTOCOL to any other.
 * History:
 * - 1: push/pull with opaque sequence cursors, vector clocks, tombstones, SSE pokes.
 * - 2: per-field stamps instead of vector clocks (ops carry their base version, base values and field
 *   times); cursors carry the database epoch (RESET_REQUIRED); a push answers each touched row once and
 *   replays a repeated op's first outcome.
 */
export const PROTOCOL_VERSION = 2;
