// `chartsync/internal`: the building blocks under the engine — charts, local store, lock and election,
// transport, protocol schemas, merge functions. Exported for tools, tests and advanced integrations; they
// may change in any minor version (the root entry is the stable surface).

export { stableStringify } from './core/json/stableStringify';
export { jsonEqual } from './core/json/jsonEqual';
export { rowChecksum, stripMeta } from './core/json/rowChecksum';
export { isMetaField } from './core/json/metaFields';

export { fieldPriority, priorityOf } from './core/priority/priorityOf';

export type { BaseValue, Op, OpBase, OpKind } from './core/outbox/types';
export { fieldTime } from './core/outbox/types';
export { coalesceOps } from './core/outbox/coalesceOps';
export { applyOp } from './core/outbox/applyOp';
export { orderForPush } from './core/outbox/orderForPush';

export { ROW_STAMP, changedByOthers, threeWayDiff } from './core/conflict/detect';
export type { FieldStamp, RowStamps, ThreeWayDiff } from './core/conflict/detect';
export { DEFAULT_ROLE_RANKING, assertPolicies, resolveConflict } from './core/conflict/resolveConflict';
export { lastFieldWriter, lastWriter } from './core/conflict/lastWriter';
export { policiesHash } from './core/conflict/policiesHash';

export { WIRE_ERROR_CODES, isRetryableStatus } from './protocol/errorCodes';
export type { WireErrorCode } from './protocol/errorCodes';
export { decodeCursor, encodeCursor } from './protocol/cursor';
export type { CursorPosition } from './protocol/cursor';
export { DEFAULT_PROTOCOL_LIMITS, createProtocolSchemas, protocolSchemas } from './protocol/schemas';
export type {
  ErrorBody,
  ProtocolLimits,
  PullResponse,
  PushRequest,
  PushResponse,
  PushResult,
  LiveEvent,
  SyncStatusResponse,
  WireChange,
  WireOp,
  WireRow,
} from './protocol/schemas';
export { parseMessage } from './protocol/parseMessage';
export type { MessageIssue } from './protocol/parseMessage';

export { crashEngine } from './engine/crash';
export { bucketHashes, bucketOf } from './core/checksum/bucketHashes';
export { openLocalStore, createLocalDatabase } from './local/openLocalStore';
export type { LocalStore, LocalStoreOptions } from './local/openLocalStore';
export type { LocalRow } from './local/types';
export { createKyTransport } from './transport/createKyTransport';
export type { KyTransportOptions } from './transport/createKyTransport';
export type { RequestOutcome, Transport } from './transport/types';
export { createSyncLock } from './coordination/createSyncLock';
export type { LockHandle, SyncLock, SyncLockOptions } from './coordination/createSyncLock';
export { createLeaderElection } from './coordination/createLeaderElection';
export type { LeaderElection, LeaderElectionOptions } from './coordination/createLeaderElection';
export { syncMachine } from '../machines/syncMachine';
export type { SyncContext, SyncEvent as SyncMachineEvent, SyncActorRef } from '../machines/syncMachine';
export { SYNC_STATUSES, STATUS_TRANSITIONS } from '../machines/transitions';
export type { SyncTopState } from '../machines/transitions';
