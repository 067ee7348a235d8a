import { fromPromise } from 'xstate';
import type { AppliedPage, TablePage } from '../../machines/tableSyncMachine';
import type { LocalStore } from '../local/openLocalStore';
import type { WireRow } from '../protocol/schemas';
import type { Transport } from '../transport/types';

/** What the pull actors need. */
export interface PullDeps {
  store: LocalStore;
  transport: Transport;
  /** Rows per pull page. @default 1000 */
  pageSize?: number;
  now?: () => number;
}

/** A page of server rows, as the table chart carries it. */
type Rows = ReadonlyArray<WireRow>;

/**
 * The table chart's actors: `fetchPage` (and `prefetchPage`, the same request for the page after the one
 * being applied) pulls one page of a table's changes after a cursor;
 * `applyPage` writes the page and advances the cursor in one transaction (on the last page of a first
 * download it also marks the table complete). A page is applied whole or not at all.
 */
export function createPullActors(deps: PullDeps) {
  const now = deps.now ?? Date.now;
  const fetchPage = fromPromise<TablePage, { table: string; cursor: string | null; initial: boolean }>(async ({ input, signal }) => {
    const { response, bytes } = await deps.transport.pull({ cursor: input.cursor, tables: [input.table], limit: deps.pageSize ?? 1000 }, signal);
    return {
      rows: response.changes.map((change) => change.row),
      cursor: response.cursor,
      hasMore: response.hasMore,
      ...(response.remaining !== undefined ? { remaining: response.remaining } : {}),
      bytes,
    };
  });
  return {
    fetchPage,
    prefetchPage: fetchPage,
    applyPage: fromPromise<AppliedPage, { table: string; page: TablePage; initial: boolean }>(async ({ input }) => {
      await deps.store.applyRemote(input.table, input.page.rows as Rows, input.page.cursor, { complete: input.initial && !input.page.hasMore });
      return { at: now() };
    }),
  };
}
