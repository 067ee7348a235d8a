// The engine: wiring of the charts, the local store and the transport, behind one facade.
export { createSyncEngine } from './createSyncEngine';
export type {
  AnyRow,
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
} from './types';
export type { VerifyReport } from './verify';
export type { BucketRepair } from '../local/verifyBuckets';
