import { assign, enqueueActions, sendParent, setup } from 'xstate';
import type { SyncFailure } from './failure';
import { sumProgress } from './progress';
import { tableSyncMachine, type TableSyncParentEvent } from './tableSyncMachine';

/** Input of the first full download. */
export interface InitialSyncInput {
  /** Tables that never completed a full download. */
  tables: readonly string[];
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
  error: SyncFailure | null;
}

/** What the first download reports when it ends. */
export interface InitialSyncOutput {
  tables: readonly string[];
  cursors: Record<string, string | null>;
  failed: boolean;
}

/** Events initialSyncMachine accepts (from its table children). */
export type InitialSyncEvent = TableSyncParentEvent;

/** Events initialSyncMachine sends to the root. */
export type InitialSyncParentEvent =
  | { type: 'INITIAL.PROGRESS'; processed: number; total: number | null }
  | { type: 'INITIAL.FAILED'; error: SyncFailure };

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
    recordCursor: assign({ cursors: ({ context, event }) => (event.type === 'TABLE.DONE' ? { ...context.cursors, [event.table]: event.cursor } : context.cursors) }),
    reportProgress: sendParent(({ context }): InitialSyncParentEvent => ({ type: 'INITIAL.PROGRESS', ...sumProgress(context.tables.map((t) => context.progress[t] ?? { processed: 0, total: null })) })),
    reportFailed: sendParent(({ context }): InitialSyncParentEvent => ({ type: 'INITIAL.FAILED', error: context.error! })),
    spawnTableChildren: enqueueActions(({ context, enqueue }) => {
      for (const table of context.tables) {
        enqueue.spawnChild('tableSync', { id: initialChildId(table), systemId: initialChildId(table), input: { table, cursor: null, initial: true } });
      }
    }),
    stopTableChildren: enqueueActions(({ context, enqueue }) => {
      for (const table of context.tables) enqueue.stopChild(initialChildId(table));
    }),
  },
  guards: {
    lastTable: ({ context, event }) => event.type === 'TABLE.DONE' && context.remaining.length === 1 && context.remaining[0] === event.table,
    nothingToDo: ({ context }) => context.tables.length === 0,
  },
}).createMachine({
  id: 'initialSync',
  context: ({ input }) => ({ tables: input.tables, remaining: input.tables, progress: {}, cursors: {}, error: null }),
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
        'TABLE.DONE': [
          { guard: 'lastTable', target: 'done', actions: 'recordCursor' },
          { actions: ['recordCursor', assign({ remaining: ({ context, event }) => context.remaining.filter((t) => t !== event.table) })] },
        ],
        'TABLE.FAILED': { target: 'failed', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    done: { type: 'final', entry: assign({ remaining: [] }) },
    failed: {
      type: 'final',
      entry: 'reportFailed',
    },
  },
  output: ({ context }) => ({ tables: context.tables, cursors: context.cursors, failed: context.error !== null }),
});
