// The engine: wiring of the charts, the local store and the transport, behind one facade.
export { createSyncEngine } from './createSyncEngine';
export type { EngineDiagnostics, EngineLogger, EngineStatus, EngineTable, SyncEngine, SyncEngineEvents, SyncEngineOptions, TransitionRecord } from './types';
export type { VerifyReport } from './verify';
export type { BucketRepair } from '../local/verifyBuckets';
