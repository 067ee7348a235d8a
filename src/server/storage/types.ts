/** Runs SQL. Both drivers speak the same PostgreSQL dialect. */
export interface SqlExecutor {
  /** Runs one statement with `$1`-style parameters; resolves to its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** The one storage interface of the server: PGlite (embedded) or PostgreSQL, the same SQL. */
export interface Storage extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction (committed when it resolves, rolled back when it throws). */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Calls `fn` for every NOTIFY on `channel` (from any process on the database), and `onRestored` after a
   * lost LISTEN connection is back (notifications may have been missed meanwhile). Resolves to an unlisten
   * function.
   */
  listen(channel: string, fn: (payload: string) => void, onRestored?: () => void): Promise<() => Promise<void>>;
  /** Closes the connection(s); the storage is unusable after. */
  close(): Promise<void>;
}
