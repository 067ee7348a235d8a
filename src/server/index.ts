// Public surface of `chartsync/server`: the reference sync server, and what it shares with the client.

export { createSyncHandler, createSyncServer } from './createSyncServer';
export type { SyncHandler, SyncHandlerOptions, SyncServer, SyncServerOptions, SyncServerStats } from './createSyncServer';
export type { ServerLogger, LogFields } from './logger';
export type { PurgeStats } from './sync/purgeExpired';
export type { AuthConfig } from './auth/createAuth';
export { DEFAULT_LIMITS } from './createApp';
export type { ServerLimits } from './createApp';
export type { Storage, SqlExecutor } from './storage/types';
export { PROTOCOL_VERSION } from '../protocol/version';
export { createProtocolSchemas, protocolSchemas } from '../protocol/schemas';
export { decodeCursor, encodeCursor } from '../protocol/cursor';
export type { CursorPosition } from '../protocol/cursor';
export type { ProtocolLimits } from '../protocol/limits';
