import { assign, fromPromise, sendParent, setup } from 'xstate';
import { toFailure, type SyncFailure } from './failure';

/** One page of server changes for a table, as the `fetchPage` actor returns it. */
export interface TablePage {
  /** The rows of the page (opaque to the chart). */
  rows: ReadonlyArray<unknown>;
  /** The cursor after this page. */
  cursor: string;
  hasMore: boolean;
  /** Changes left after this page, when the server counts them. */
  remaining?: number;
  /** Bytes received, for metrics. */
  bytes: number;
}

/** What `applyPage` reports: when it committed (ms since epoch). */
export interface AppliedPage {
  at: number;
}

/** Input of a table's pull actor. */
export interface TableSyncInput {
  table: string;
  /** The table's cursor (null: from the start). */
  cursor: string | null;
  /** True for the first full download: the last page also marks the table complete. */
  initial: boolean;
  /** A page already in hand (a poke's changes from exactly this cursor): applied without fetching. */
  page?: TablePage | null;
}

/** Context of tableSyncMachine. */
export interface TableSyncContext extends TableSyncInput {
  /** The fetched page waiting to be applied (cleared once applied). */
  page: TablePage | null;
  /** The page after it, fetched while it was being applied (becomes `page` once that one is applied). */
  next: TablePage | null;
  /** Why fetching the next page failed (the table fails once the current page is applied). */
  prefetchError: SyncFailure | null;
  processed: number;
  /** processed + remaining, when the server counts. */
  total: number | null;
  pages: number;
  bytes: number;
  lastAppliedAt: number | null;
  error: SyncFailure | null;
}

/** Events tableSyncMachine accepts. */
export type TableSyncEvent = { type: 'CANCEL' };

/** Events tableSyncMachine sends to its parent. */
export type TableSyncParentEvent =
  | { type: 'TABLE.PROGRESS'; table: string; processed: number; total: number | null }
  | { type: 'TABLE.DONE'; table: string; cursor: string | null; processed: number; bytes: number; at: number | null }
  | { type: 'TABLE.FAILED'; table: string; error: SyncFailure };

/**
 * One table's pull: fetch a page → apply it (rows and cursor in one transaction) → more? → apply the next.
 * While a page is being applied the next one is already on its way (`applying.prefetch`): the server's
 * and the network's time overlap the local write instead of adding to it. The next page is fetched after
 * the current page's cursor, so pages still apply strictly in order, each whole or not at all.
 * A page given with the input (a poke's changes) is applied without a fetch.
 * Cancelling (CANCEL, or the parent stopping it) mid-page drops the fetched pages unapplied.
 */
export const tableSyncMachine = setup({
  types: {
    context: {} as TableSyncContext,
    events: {} as TableSyncEvent,
    input: {} as TableSyncInput,
  },
  actors: {
    fetchPage: fromPromise<TablePage, { table: string; cursor: string | null; initial: boolean }>(async () => {
      throw new Error('tableSyncMachine: provide a fetchPage actor with machine.provide()');
    }),
    // The same request as fetchPage, named apart so it shows as what it is: the page after the one applying.
    prefetchPage: fromPromise<TablePage, { table: string; cursor: string | null; initial: boolean }>(async () => {
      throw new Error('tableSyncMachine: provide a prefetchPage actor with machine.provide()');
    }),
    applyPage: fromPromise<AppliedPage, { table: string; page: TablePage; initial: boolean }>(async () => {
      throw new Error('tableSyncMachine: provide an applyPage actor with machine.provide()');
    }),
  },
  // What the parent hears (named, so a traversal without a parent can silence them).
  actions: {
    reportProgress: sendParent(
      ({ context }): TableSyncParentEvent => ({ type: 'TABLE.PROGRESS', table: context.table, processed: context.processed, total: context.total }),
    ),
    reportDone: sendParent(
      ({ context }): TableSyncParentEvent => ({
        type: 'TABLE.DONE',
        table: context.table,
        cursor: context.cursor,
        processed: context.processed,
        bytes: context.bytes,
        at: context.lastAppliedAt,
      }),
    ),
    reportFailed: sendParent(({ context }): TableSyncParentEvent => ({ type: 'TABLE.FAILED', table: context.table, error: context.error! })),
  },
  guards: {
    hasMore: ({ context }) => context.page?.hasMore === true,
    hasNext: ({ context }) => context.next !== null,
    hasPage: ({ context }) => context.page !== null,
    prefetchFailed: ({ context }) => context.prefetchError !== null,
  },
}).createMachine({
  id: 'tableSync',
  context: ({ input }) => ({
    ...input,
    page: input.page ?? null,
    next: null,
    prefetchError: null,
    processed: 0,
    total: null,
    pages: 0,
    bytes: 0,
    lastAppliedAt: null,
    error: null,
  }),
  initial: 'starting',
  states: {
    // A page in hand is applied at once; otherwise the first one is fetched.
    starting: {
      always: [{ guard: 'hasPage', target: 'applying' }, { target: 'fetching' }],
    },
    fetching: {
      on: { CANCEL: 'cancelled' },
      invoke: {
        id: 'fetchPage',
        src: 'fetchPage',
        input: ({ context }) => ({ table: context.table, cursor: context.cursor, initial: context.initial }),
        onDone: {
          target: 'applying',
          actions: assign({ page: ({ event }) => event.output, bytes: ({ context, event }) => context.bytes + event.output.bytes }),
        },
        onError: { target: 'failed', actions: assign({ error: ({ event }) => toFailure(event.error) }) },
      },
    },
    // The page is written while the next one is fetched; done when both are.
    applying: {
      type: 'parallel',
      // Cancelling here drops the applying actor's result; the page's transaction commits whole or not at all.
      on: { CANCEL: 'cancelled' },
      onDone: 'checking',
      states: {
        apply: {
          initial: 'writing',
          states: {
            writing: {
              invoke: {
                id: 'applyPage',
                src: 'applyPage',
                input: ({ context }) => ({ table: context.table, page: context.page!, initial: context.initial }),
                onDone: {
                  target: 'written',
                  actions: [
                    assign(({ context, event }) => {
                      const page = context.page!;
                      const processed = context.processed + page.rows.length;
                      return {
                        cursor: page.cursor,
                        processed,
                        total: page.remaining === undefined ? context.total : processed + page.remaining,
                        pages: context.pages + 1,
                        lastAppliedAt: event.output.at,
                      };
                    }),
                    'reportProgress',
                  ],
                },
                onError: { target: '#tableSync.failed', actions: assign({ error: ({ event }) => toFailure(event.error) }) },
              },
            },
            written: { type: 'final' },
          },
        },
        prefetch: {
          initial: 'deciding',
          states: {
            deciding: {
              always: [{ guard: 'hasMore', target: 'fetching' }, { target: 'settled' }],
            },
            fetching: {
              invoke: {
                id: 'prefetchPage',
                src: 'prefetchPage',
                input: ({ context }) => ({ table: context.table, cursor: context.page!.cursor, initial: context.initial }),
                onDone: {
                  target: 'settled',
                  actions: assign({ next: ({ event }) => event.output, bytes: ({ context, event }) => context.bytes + event.output.bytes }),
                },
                onError: { target: 'settled', actions: assign({ prefetchError: ({ event }) => toFailure(event.error) }) },
              },
            },
            settled: { type: 'final' },
          },
        },
      },
    },
    checking: {
      always: [
        { guard: 'prefetchFailed', target: 'failed', actions: assign(({ context }) => ({ page: null, error: context.prefetchError, prefetchError: null })) },
        { guard: 'hasNext', target: 'applying', actions: assign(({ context }) => ({ page: context.next, next: null })) },
        { target: 'done', actions: assign({ page: null }) },
      ],
    },
    done: {
      type: 'final',
      entry: 'reportDone',
    },
    failed: {
      type: 'final',
      entry: 'reportFailed',
    },
    cancelled: {
      type: 'final',
      entry: assign({ page: null, next: null }),
    },
  },
  output: ({ context }) => ({ table: context.table, cursor: context.cursor, processed: context.processed }),
});
