import type { InspectionEvent, Observer } from 'xstate';
import type { ConnectionContext } from '../../machines/connectionMachine';
import type { SyncFailure } from '../../machines/failure';
import type { SyncActorRef, SyncConfig, SyncContext } from '../../machines/syncMachine';
import type { SyncTopState } from '../../machines/transitions';
import type { ChannelLike } from '../coordination/createLeaderElection';
import type { LockManagerLike } from '../coordination/lockManager';
import type { ConflictPolicies } from '../core/conflict/types';
import type { JsonObject } from '../core/json/types';
import type { PriorityRules } from '../core/priority/priorityOf';
import type { LocalDb } from '../local/db';
import type { BucketRepair } from '../local/verifyBuckets';
import type { VerifyReport } from './verify';
import type { LocalMigrations } from '../local/migrations';
import type { TableSchemas } from '../local/schema';
import type { ConflictRecord, DeadLetter, OutboxEntry } from '../local/types';
import type { WriteResult } from '../local/writeRows';
import type { TokenSource } from '../transport/types';
import type { EnvironmentTarget } from '../actors/watchEnvironment';

/** A synced row: an object with a string `id` (its other fields must be JSON values). */
export interface SyncRow {
  id: string;
}

/**
 * The synced tables' row types by table name: `{ tasks: Task; notes: Note }`. Untyped engines use the
 * default, any table of JSON rows.
 */
export type TableTypes = Record<string, SyncRow>;

/** Rows of an untyped engine: JSON objects with a string id. */
export type AnyRow = { id: string } & JsonObject;

/** The default table types: any table name, JSON rows. */
export type UntypedTables = Record<string, AnyRow>;

/** A table name of `Tables` (a string key). */
export type TableName<Tables extends TableTypes> = Extract<keyof Tables, string>;

/** The fields an update may change: any but `id`, each optional. */
export type RowPatch<Row extends SyncRow> = Partial<Omit<Row, 'id'>>;

/** Options of createSyncEngine. */
export interface SyncEngineOptions<Tables extends TableTypes = UntypedTables> {
  /** IndexedDB database name. */
  name: string;
  /** The sync server's base URL. */
  url: string;
  /** The synced tables: name → Dexie index string whose primary key is `id` (every table of `Tables`). */
  tables: { readonly [Name in TableName<Tables>]: string } & TableSchemas;
  /**
   * Versioned changes of the data's shape (`{ 2: { transform: { tasks: ({ assignee, ...rest }) => ({ ...rest, owner: assignee }) } } }`),
   * run once per device at start over rows and everything waiting to be pushed. Index changes need none.
   */
  migrations?: LocalMigrations;
  /** Bearer token, or a function asked before each request and again after a 401. */
  token: TokenSource;
  /** The conflict policies the server applies, declared again here: their merge rules apply when a pull rebases unsent writes, and a mismatch is reported. */
  conflicts?: ConflictPolicies;
  /** Per-table priority overrides (field → 1..5). */
  priorities?: Readonly<Record<string, PriorityRules>>;
  /** Periodic sync, ms (0: off). @default 30000 */
  intervalMs?: number;
  /** Sync this long after the last local write, ms. @default 2000 */
  debounceMs?: number;
  /** Verify the local data against the server's checksums (engine.verify) at the end of a cycle this often, ms (0: only after a reset). @default one day */
  verifyIntervalMs?: number;
  /** IndexedDB implementation (tests: fake-indexeddb). @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
  /** fetch for every request (tests inject faults through it). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** An XState inspector (e.g. `createBrowserInspector().inspect` from @statelyai/inspect). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Follow the server's live stream (SSE) for instant pulls. @default true */
  live?: boolean;
  /** Rows per pull page. @default 1000 */
  pageSize?: number;
  /** Ops per push. @default 500 */
  batchSize?: number;
  /** Request timeout, ms. @default 15000 */
  timeoutMs?: number;
  /** Leadership lease between tabs, ms. @default 5000 */
  leaderLeaseMs?: number;
  /** Sync lock lease, ms. @default 10000 */
  lockLeaseMs?: number;
  /** Web Locks (null: lease only). @default navigator.locks when present */
  locks?: LockManagerLike | null;
  /** The tabs' channel. @default a BroadcastChannel named after the database */
  channel?: ChannelLike;
  /** Where online/offline/focus/visibility events come from (null: none). @default window */
  window?: EnvironmentTarget | null;
  /** Backoff and circuit breaker tuning of the root chart. */
  backoff?: Partial<SyncConfig>;
  /** Where the engine reports what it cannot throw to a caller (a listener that threw). @default console */
  logger?: EngineLogger;
  /** Retry policy of single ops that failed (5xx). @default 1 s doubling to 60 s, dead-lettered after 10 attempts */
  retry?: { retryBaseMs?: number; retryMaxMs?: number; maxAttempts?: number };
}

/** Where the engine reports problems that have no caller to reject. */
export interface EngineLogger {
  /** Reports a problem (and the error behind it, when there is one). */
  error(message: string, error?: unknown): void;
}

/** A table's writes and reads through the engine, typed by its row. */
export interface EngineTable<Row extends SyncRow = AnyRow> {
  /** Writes the whole row (creates it, or replaces every field of it). */
  put(row: Row): Promise<WriteResult>;
  /** Changes some fields of an existing row. */
  update(id: string, patch: RowPatch<Row>): Promise<WriteResult>;
  /** Deletes the row (a no-op when it does not exist). */
  delete(id: string): Promise<WriteResult>;
  /** put, for many rows in one transaction. */
  bulkPut(rows: readonly Row[]): Promise<WriteResult>;
  /** update, for many rows in one transaction. */
  bulkUpdate(updates: ReadonlyArray<{ id: string; patch: RowPatch<Row> }>): Promise<WriteResult>;
  /** delete, for many rows in one transaction. */
  bulkDelete(ids: readonly string[]): Promise<WriteResult>;
  /** The row as this device holds it. */
  get(id: string): Promise<Row | undefined>;
  /** Every row of the table on this device. */
  toArray(): Promise<Row[]>;
}

/** The engine's status: the top-level state of the root chart's lifecycle (the chart's own type). */
export type EngineStatus = SyncTopState;

/** Typed engine events. */
export interface SyncEngineEvents extends Record<string, unknown> {
  synced: { at: number | null; cycles: number };
  conflict: ConflictRecord;
  deadletter: DeadLetter;
  status: EngineStatus;
  /** A verification repaired a bucket (corrupted, missing or stray rows). */
  repaired: BucketRepair;
}

/** One recorded move of the root chart. */
export interface TransitionRecord {
  at: number;
  event: string;
  state: string;
}

/** A snapshot of everything the engine knows about itself. */
export interface EngineDiagnostics {
  status: EngineStatus;
  state: unknown;
  online: boolean;
  isLeader: boolean;
  connection: Pick<ConnectionContext, 'quality' | 'latencyMs'> | null;
  tables: Record<
    string,
    { cursor: string | null; lastSyncedAt: number | null; needsInitial: boolean; pull: { state: unknown; processed: number; total: number | null } | null }
  >;
  queue: { pending: number; inflight: number; deadLetters: number; conflicts: number };
  metrics: SyncContext['metrics'];
  progress: SyncContext['progress'];
  lastSyncedAt: number | null;
  consecutiveFailures: number;
  recentTransitions: TransitionRecord[];
  lastErrors: Array<SyncFailure & { at: number }>;
  policiesMismatch: boolean;
  /** The last verification (engine.verify), or null. */
  lastVerify: { at: number; checked: number; repairedBuckets: number; rowsPulled: number } | null;
}

/** The public face of chartsync; `Tables` types its tables (`SyncEngine<{ tasks: Task }>`). */
export interface SyncEngine<Tables extends TableTypes = UntypedTables> {
  /** Opens the store, joins the tabs' election and starts the charts; syncs at once when it can. */
  start(): Promise<void>;
  /** Stops syncing, saves its state, leaves the election and closes the database. */
  stop(): Promise<void>;
  /** Asks for a sync; resolves when the cycle it triggered (or joined) is done. */
  sync(options?: { timeoutMs?: number }): Promise<void>;
  /** One synced table's reads and writes; an undeclared name is an UNKNOWN_TABLE error. */
  table<Name extends TableName<Tables>>(name: Name): EngineTable<Tables[Name]>;
  /** The Dexie instance, for queries and liveQuery (available before start). */
  readonly db: LocalDb;
  readonly status: EngineStatus;
  readonly isLeader: boolean;
  /** Calls `fn` with every status change; returns unsubscribe. */
  subscribe(fn: (status: EngineStatus) => void): () => void;
  /** The root actor (for @xstate/react hooks and inspectors). Throws before start. */
  readonly actor: SyncActorRef;
  /** For environments without window online/offline events, or to cut this tab off. */
  setOnline(online: boolean): void;
  /** Hands the engine a new token (leaves error(auth)). */
  setToken(token: TokenSource): void;
  /** Leaves `error` and tries again. */
  retry(): void;
  /** The ops waiting to be pushed. */
  readonly outbox: {
    /** How many ops wait. */
    count(): Promise<number>;
    /** The waiting ops, oldest first. */
    list(): Promise<OutboxEntry[]>;
  };
  /** Ops the server refused for good, or that failed too often: kept for the app to retry or discard. */
  readonly deadLetters: {
    /** Every dead letter. */
    list(): Promise<DeadLetter[]>;
    /** Queues the op again and asks for a sync. */
    retry(id: number): Promise<void>;
    /** Drops the op (its local change stays until the next pull of the row). */
    discard(id: number): Promise<void>;
  };
  /** Conflicts a manual policy left to the app. */
  readonly conflicts: {
    /** Every unresolved conflict. */
    list(): Promise<ConflictRecord[]>;
    /** Resolves one: keep this device's version, the server's, or a merged row. */
    resolve(id: number, choice: 'local' | 'remote' | JsonObject): Promise<void>;
  };
  /** A snapshot of everything the engine knows about itself. */
  diagnostics(): Promise<EngineDiagnostics>;
  /** Calls `fn` with every event of `type`; returns unsubscribe. */
  on<K extends keyof SyncEngineEvents>(type: K, fn: (payload: SyncEngineEvents[K]) => void): () => void;
  /**
   * Compares every table's (or the given tables') bucket hashes with the server's and re-pulls only the
   * buckets that differ, repairing corrupted, missing and stray local rows. Rows with unsent ops are left
   * alone. Each repair is also an `on('repaired')` event.
   */
  verify(options?: { tables?: readonly string[]; buckets?: number }): Promise<VerifyReport>;
  /** JSON for bug reports: diagnostics, pending ops, conflicts, dead letters, recent transitions. */
  exportDebugLog(): Promise<string>;
}
