import type { ConflictPolicies } from '../core/conflict/types';
import type { JsonObject } from '../core/json/types';
import type { PriorityRules } from '../core/priority/priorityOf';
import type { WireChange, WireRow } from '../protocol/schemas';
import type { ApplyStats } from './applyServerRows';
import { applyRemote, type ApplyRemoteOptions } from './applyRemote';
import { listConflicts, recordConflicts, removeConflict } from './conflicts';
import { ensureDeviceId, getMeta, META_KEYS, readCursors, setMeta } from './meta';
import { ackOps, type CursorAdvance, type OpAck } from './outbox/ackOps';
import { discardDeadLetter, listDeadLetters, retryDeadLetter } from './outbox/deadLetters';
import { failOps, type FailOptions, type OpFailure } from './outbox/failOps';
import { type Claim, type ClaimOptions, claimAhead, claimBatch, claimNext, confirmAhead } from './outbox/claimBatch';
import { markInflight } from './outbox/markInflight';
import { countReady, nextRetryAt, peekBatch, pushOutlook, type BatchLimits, type PushOutlook } from './outbox/peekBatch';
import { resetInflight, type ResetInflightOptions } from './outbox/resetInflight';
import { resetStore, type ResetStats } from './resetStore';
import type { TableSchemas } from './schema';
import type { ConflictRecord, DeadLetter, OutboxEntry } from './types';
import { writeRows, type RowChange, type WriteResult } from './writeRows';
import { type LocalDb, createLocalDatabase } from './db';
import { type LocalMigrations, runMigrations } from './migrations';

/** Options of openLocalStore. */
export interface LocalStoreOptions {
  /** IndexedDB database name. */
  name: string;
  /** Versioned changes of the data's shape, run once per device at open (see LocalMigration). */
  migrations?: LocalMigrations;
  /** The app's synced tables: name → Dexie index string with primary key `id`. */
  tables: TableSchemas;
  /** Per-table priority overrides (field → 1..5). */
  priorities?: Readonly<Record<string, PriorityRules>>;
  /** IndexedDB implementation. @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
  /** IDBKeyRange implementation. @default globalThis.IDBKeyRange */
  IDBKeyRange?: typeof IDBKeyRange;
  /** Clock. @default Date.now */
  now?: () => number;
  /** Called after every committed local write (the engine's debounced sync trigger). */
  onWrite?: (table: string, ids: readonly string[]) => void;
  /** The conflict policies the server applies, as the app declares them: merge rules apply when rebasing unsent ops over pulled rows. */
  conflicts?: ConflictPolicies;
  /** Retry policy of failed ops. @default 1 s doubling to 60 s, dead-lettered after 10 attempts */
  retry?: Pick<FailOptions, 'retryBaseMs' | 'retryMaxMs' | 'maxAttempts'>;
}

/** The client's durable half: app tables, outbox, dead letters, conflicts and metadata in one IndexedDB. */
export interface LocalStore {
  /** The Dexie instance, for queries and liveQuery. */
  readonly db: LocalDb;
  /** This device's stable id. */
  readonly deviceId: string;
  /** The app's table names. */
  readonly tables: readonly string[];
  put(table: string, row: JsonObject): Promise<WriteResult>;
  update(table: string, id: string, patch: JsonObject): Promise<WriteResult>;
  delete(table: string, id: string): Promise<WriteResult>;
  bulkPut(table: string, rows: readonly JsonObject[]): Promise<WriteResult>;
  bulkUpdate(table: string, updates: ReadonlyArray<{ id: string; patch: JsonObject }>): Promise<WriteResult>;
  bulkDelete(table: string, ids: readonly string[]): Promise<WriteResult>;
  readonly outbox: {
    peekBatch(limits?: BatchLimits): Promise<OutboxEntry[]>;
    /** Reads the next batch and marks it in flight in one transaction (what a push must send). */
    claimBatch(lockToken: number, limits?: BatchLimits): Promise<OutboxEntry[]>;
    /** claimBatch, with what is left to push once the batch is acknowledged, the cycle's bound and the cursors (one transaction). */
    claim(lockToken: number, limits?: Omit<ClaimOptions, 'tables'>): Promise<Claim>;
    /** Claims the batch after `after` while the one before it is in flight (see claimAhead); null when the queue there is not in queue order. */
    claimAhead(lockToken: number, limits: Omit<ClaimOptions, 'tables'> & { after: number; maxSeq: number }): Promise<Claim | null>;
    /** A batch claimed ahead, with fresh cursors, if it can be sent now (see confirmAhead); null: release it. */
    confirmAhead(lockToken: number, claim: Claim): Promise<Claim | null>;
    /** countReady and nextRetryAt from one read. */
    outlook(maxSeq?: number): Promise<PushOutlook>;
    countReady(now?: number, maxSeq?: number): Promise<number>;
    /** When the earliest op in retry backoff becomes sendable (ms since epoch, possibly past), or null. */
    nextRetryAt(): Promise<number | null>;
    /** The newest outbox key (0 when empty): a push cycle's bound. */
    lastSeq(): Promise<number>;
    count(): Promise<number>;
    list(): Promise<OutboxEntry[]>;
    markInflight(opIds: readonly string[], lockToken: number): Promise<void>;
    /** Acknowledges ops and merges the rows the server answered with; fenced by `lockToken`. */
    ack(acks: readonly OpAck[], rows: readonly WireChange[], lockToken: number, advance?: CursorAdvance | null): Promise<number>;
    fail(opIds: readonly string[], failure: OpFailure, lockToken: number, options?: FailOptions): Promise<DeadLetter[]>;
    resetInflight(lockToken: number, options?: ResetInflightOptions): Promise<number>;
  };
  readonly deadLetters: {
    list(): Promise<DeadLetter[]>;
    retry(id: number): Promise<void>;
    discard(id: number): Promise<void>;
  };
  readonly conflicts: {
    list(): Promise<ConflictRecord[]>;
    record(conflicts: ReadonlyArray<{ opId: string; row: WireRow }>, lockToken: number): Promise<ConflictRecord[]>;
    remove(id: number): Promise<ConflictRecord>;
  };
  applyRemote(table: string, rows: readonly WireRow[], cursor: string, options?: ApplyRemoteOptions): Promise<ApplyStats>;
  /** Forgets cursors and rows without unsent ops, keeping those ops, to download everything again (RESET_REQUIRED). */
  reset(): Promise<ResetStats>;
  readonly meta: {
    cursors(): Promise<Record<string, string | null>>;
    /** Tables that never completed a first full download. */
    needingInitial(): Promise<string[]>;
    loadSnapshot<T>(): Promise<T | undefined>;
    saveSnapshot(snapshot: unknown): Promise<void>;
  };
  close(): void;
}

/**
 * Opens (creating or upgrading in place) the local store. Schema changes need no version bump: adding a
 * table or an index to `tables` upgrades the database on open and keeps every row (Dexie 4 compares the
 * declared schema with the installed one). Removing a table is not done automatically.
 */
export async function openLocalStore(options: LocalStoreOptions & { db?: LocalDb }): Promise<LocalStore> {
  const db = options.db ?? createLocalDatabase(options);
  await db.open();
  const deviceId = await ensureDeviceId(db);
  if (options.migrations) await runMigrations(db, Object.keys(options.tables), options.migrations);
  const tables = Object.keys(options.tables);
  const now = options.now ?? Date.now;
  const ctx = { db, deviceId, tables: options.tables, priorities: options.priorities ?? {}, now };

  const write = async (table: string, changes: RowChange[]): Promise<WriteResult> => {
    const result = await writeRows(ctx, table, changes);
    if (result.changed > 0) options.onWrite?.(table, result.ids);
    return result;
  };

  return {
    db,
    deviceId,
    tables,
    put: (table, row) => write(table, [{ kind: 'put', row }]),
    update: (table, id, patch) => write(table, [{ kind: 'update', id, patch }]),
    delete: (table, id) => write(table, [{ kind: 'delete', id }]),
    bulkPut: (table, rows) =>
      write(
        table,
        rows.map((row) => ({ kind: 'put', row })),
      ),
    bulkUpdate: (table, updates) =>
      write(
        table,
        updates.map(({ id, patch }) => ({ kind: 'update', id, patch })),
      ),
    bulkDelete: (table, ids) =>
      write(
        table,
        ids.map((id) => ({ kind: 'delete', id })),
      ),
    outbox: {
      peekBatch: (limits) => peekBatch(db, { now: now(), ...limits }),
      claimBatch: (token, limits) => claimBatch(db, token, { now: now(), ...limits }),
      claim: (token, limits) => claimNext(db, token, { now: now(), tables, ...limits }),
      claimAhead: (token, limits) => claimAhead(db, token, { now: now(), tables, ...limits }),
      confirmAhead: (token, claim) => confirmAhead(db, token, claim, tables),
      outlook: (maxSeq) => pushOutlook(db, now(), maxSeq),
      countReady: (at, maxSeq) => countReady(db, at ?? now(), maxSeq),
      lastSeq: async () => ((await db._outbox.orderBy(':id').lastKey()) as number | undefined) ?? 0,
      count: () => db._outbox.count(),
      list: () => db._outbox.orderBy('seq').toArray(),
      markInflight: (opIds, token) => markInflight(db, opIds, token),
      ack: (acks, rows, token, advance) => ackOps(db, tables, acks, rows, token, now(), options.conflicts, advance ?? null),
      fail: (opIds, failure, token, opts) => failOps(db, opIds, failure, token, { now: now(), ...options.retry, ...opts }),
      nextRetryAt: () => nextRetryAt(db),
      resetInflight: (token, opts) => resetInflight(db, token, opts),
    },
    deadLetters: {
      list: () => listDeadLetters(db),
      retry: (id) => retryDeadLetter(db, id),
      discard: (id) => discardDeadLetter(db, id),
    },
    conflicts: {
      list: () => listConflicts(db),
      record: (conflicts, token) => recordConflicts(db, tables, conflicts, token, now()),
      remove: (id) => removeConflict(db, id),
    },
    applyRemote: (table, rows, cursor, opts) =>
      applyRemote(db, options.tables, table, rows, cursor, {
        now: now(),
        ...(options.conflicts?.[table] ? { policy: options.conflicts[table] } : {}),
        ...opts,
      }),
    reset: () => resetStore(db, tables),
    meta: {
      cursors: () => readCursors(db, tables),
      needingInitial: async () => {
        const entries = await db._meta.bulkGet(tables.map(META_KEYS.complete));
        return tables.filter((_, i) => entries[i]?.value !== true);
      },
      loadSnapshot: <T>() => getMeta<T>(db, META_KEYS.snapshot),
      saveSnapshot: (snapshot) => setMeta(db, META_KEYS.snapshot, snapshot),
    },
    close: () => db.close(),
  };
}

export { createLocalDatabase, type LocalDatabaseOptions } from './db';
