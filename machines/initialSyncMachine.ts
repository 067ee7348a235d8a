import { assign, enqueueActions, sendParent, setup } from 'xstate';
import type { SyncFailure } from './failure';
import { sumProgress } from './progress';
import { tableSyncMachine, type TableSyncParentEvent } from './tableSyncMachine';

/** Input of the first full download. */
export interface InitialSyncInput {
  /** Tables that never completed a full download. */
  tables: readonly string[];
  /** Each table's cursor after its last applied page, to resume from (absent: from the start). */
  cursors?: Readonly<Record<string, string | null>>;
}

/** Context of initialSyncMachine. */
export interface InitialSyncContext {
  tables: readonly string[];
  /** Tables still downloading. */
  remaining: readonly string[];
  /** Per-table progress. */
  progress: Record<string, { processed: number; total: number | null }>;
  /** Each downloaded table's cursor, for the root to pull on from. */
  cursors: Record<string, string | null>;
  /** Where each table's download resumes. */
  startCursors: Readonly<Record<string, string | null>>;
  /** Rows and bytes downloaded by the tables that finished. */
  processed: number;
  bytes: number;
  error: SyncFailure | null;
}

/** What the first download reports when it ends. */
export interface InitialSyncOutput {
  tables: readonly string[];
  cursors: Record<string, string | null>;
  failed: boolean;
  /** Rows and bytes downloaded. */
  processed: number;
  bytes: number;
}

/** Events initialSyncMachine accepts (from its table children). */
export type InitialSyncEvent = TableSyncParentEvent;

/** Events initialSyncMachine sends to the root. */
export type InitialSyncParentEvent = { type: 'INITIAL.PROGRESS'; processed: number; total: number | null } | { type: 'INITIAL.FAILED'; error: SyncFailure };

/** The id (and system id) of the table child the initial download spawns for `table`. */
export function initialChildId(table: string): string {
  return `initial:${table}`;
}

/**
 * The first full download of every table that never completed one: one table child each, all at once,
 * with overall progress (processed / total when every table's total is known) reported to the root.
 * Local reads and writes go on meanwhile — they never wait for the chart.
 */
export const initialSyncMachine = setup({
  types: {
    context: {} as InitialSyncContext,
    events: {} as InitialSyncEvent,
    input: {} as InitialSyncInput,
    output: {} as InitialSyncOutput,
  },
  actors: { tableSync: tableSyncMachine },
  actions: {
    recordCursor: assign(({ context, event }) =>
      event.type === 'TABLE.DONE'
        ? { cursors: { ...context.cursors, [event.table]: event.cursor }, processed: context.processed + event.processed, bytes: context.bytes + event.bytes }
        : {},
    ),
    reportProgress: sendParent(
      ({ context }): InitialSyncParentEvent => ({
        type: 'INITIAL.PROGRESS',
        ...sumProgress(context.tables.map((t) => context.progress[t] ?? { processed: 0, total: null })),
      }),
    ),
    reportFailed: sendParent(({ context }): InitialSyncParentEvent => ({ type: 'INITIAL.FAILED', error: context.error! })),
    spawnTableChildren: enqueueActions(({ context, enqueue }) => {
      for (const table of context.tables) {
        enqueue.spawnChild('tableSync', {
          id: initialChildId(table),
          systemId: initialChildId(table),
          input: { table, cursor: context.startCursors[table] ?? null, initial: true },
        });
      }
    }),
    stopTableChildren: enqueueActions(({ context, enqueue }) => {
      for (const table of context.tables) enqueue.stopChild(initialChildId(table));
    }),
  },
  guards: {
    allTablesDone: ({ context }) => context.remaining.length === 0,
    someTableFailed: ({ context }) => context.error !== null,
    nothingToDo: ({ context }) => context.tables.length === 0,
  },
}).createMachine({
  id: 'initialSync',
  context: ({ input }) => ({
    tables: input.tables,
    remaining: input.tables,
    progress: {},
    cursors: {},
    startCursors: input.cursors ?? {},
    processed: 0,
    bytes: 0,
    error: null,
  }),
  initial: 'downloading',
  states: {
    downloading: {
      always: { guard: 'nothingToDo', target: 'done' },
      entry: 'spawnTableChildren',
      exit: 'stopTableChildren',
      on: {
        'TABLE.PROGRESS': {
          actions: [
            assign({ progress: ({ context, event }) => ({ ...context.progress, [event.table]: { processed: event.processed, total: event.total } }) }),
            'reportProgress',
          ],
        },
        'TABLE.DONE': { actions: ['recordCursor', assign({ remaining: ({ context, event }) => context.remaining.filter((t) => t !== event.table) })] },
        'TABLE.FAILED': { actions: assign({ error: ({ event }) => event.error }) },
        // A child reports, then ends: the download ends on the child's own end, so no end of a child ever
        // reaches a download that has already stopped.
        'xstate.done.actor.*': [
          { guard: 'someTableFailed', target: 'failed' },
          { guard: 'allTablesDone', target: 'done' },
        ],
      },
    },
    done: { type: 'final', entry: assign({ remaining: [] }) },
    failed: {
      type: 'final',
      entry: 'reportFailed',
    },
  },
  output: ({ context }) => ({
    tables: context.tables,
    cursors: context.cursors,
    failed: context.error !== null,
    processed: context.processed,
    bytes: context.bytes,
  }),
});
