// Public surface of `chartsync/server`: the reference sync server, and what it shares with the client.

export { createSyncServer } from './createSyncServer';
export type { SyncServer, SyncServerOptions } from './createSyncServer';
export type { AuthConfig } from './auth/createAuth';
export { DEFAULT_LIMITS } from './createApp';
export type { ServerLimits } from './createApp';
export type { Storage, SqlExecutor } from './storage/types';
export { PROTOCOL_VERSION } from '../protocol/version';
export { createProtocolSchemas, protocolSchemas } from '../protocol/schemas';
export { decodeCursor, encodeCursor } from '../protocol/cursor';
