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
export type { ConflictRecord, DeadLetter, OutboxEntry } from './local/types';
export type { TokenSource } from './transport/types';
export type { SyncStatus } from '../machines/transitions';
export { PROTOCOL_VERSION } from './protocol/version';
