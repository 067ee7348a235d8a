// Public surface of `chartsync/server`. The server itself lands in its own issue; what it shares with the
// client (protocol version, schemas, cursor encoding) is exported here so both ends speak one protocol.

export { PROTOCOL_VERSION } from '../protocol/version';
export { createProtocolSchemas, protocolSchemas } from '../protocol/schemas';
export { decodeCursor, encodeCursor } from '../protocol/cursor';
