// Public surface of `chartsync`: the engine, its types and what an app needs to declare policies and read
// merged values. Every export is named here; the building blocks (charts, store, lock, protocol) are in
// `chartsync/internal`, without the stability promise.

export { createSyncEngine } from './engine';
export type {
  AnyRow,
  BucketRepair,
  EngineDiagnostics,
  EngineLogger,
  EngineStatus,
  EngineTable,
  RowPatch,
  SyncEngine,
  SyncEngineEvents,
  SyncEngineOptions,
  SyncRow,
  TableName,
  TableTypes,
  TransitionRecord,
  UntypedTables,
  VerifyReport,
} from './engine';
export { newId } from './core/ids/newId';

export { ChartsyncError, isChartsyncError } from './core/errors';
export type { ChartsyncErrorCode, ChartsyncErrorOptions } from './core/errors';
export type { JsonObject, JsonValue } from './core/json/types';

export { CONFLICT_STRATEGIES } from './core/conflict/resolveConflict';
export { counterAdd, counterValue, isPNCounter } from './core/conflict/fieldRules';
export type { PNCounter } from './core/conflict/fieldRules';
export type {
  ConflictInput,
  ConflictPolicies,
  ConflictPolicy,
  ConflictSide,
  ConflictSideName,
  ConflictStrategy,
  FieldMergeContext,
  FieldMergeFunction,
  FieldRule,
  FieldSource,
  Resolution,
} from './core/conflict/types';
export type { Priority, PriorityRules } from './core/priority/priorityOf';

export type { RowWrite, WriteResult } from './local/writeRows';
export type { TableSchemas } from './local/schema';
export type { LocalMigration, LocalMigrations } from './local/migrations';
export type { ConflictRecord, DeadLetter, MetaEntry, OutboxEntry, Tombstone } from './local/types';
export type { TokenSource } from './transport/types';
export { START_STATE, SYNC_STATUSES } from '../machines/transitions';
export type { SyncStatus, SyncTopState } from '../machines/transitions';

// Types the options and diagnostics above refer to, so an app can name them.
export type { SyncConfig, SyncMetrics, SyncProgress } from '../machines/syncMachine';
export type { SyncFailure } from '../machines/failure';
export type { ConnectionContext, ConnectionQuality } from '../machines/connectionMachine';
export type { FieldTransform } from './local/migrations';
export type { LocalDb } from './local/db';
export type { OpBase, OpKind, BaseValue } from './core/outbox/types';
export type { ChannelLike } from './coordination/createLeaderElection';
export type { LockManagerLike } from './coordination/lockManager';
export type { EnvironmentTarget } from './actors/watchEnvironment';
export { PROTOCOL_VERSION } from './protocol/version';
