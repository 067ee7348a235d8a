/**
 * The wire protocol version. A server answers UNSUPPORTED_PROTOCOL to any other.
 * History:
 * - 1: push/pull with opaque sequence cursors, vector clocks, tombstones, SSE pokes.
 */
export const PROTOCOL_VERSION = 1;
