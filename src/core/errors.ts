/**
 * Every error chartsync throws is a ChartsyncError with a string `code` callers can switch on, a message
 * that says what failed and how to fix it, optional context and the native `cause`.
 */

/** The codes a ChartsyncError can carry. */
export type ChartsyncErrorCode =
  | 'INVALID_VALUE'
  | 'INVALID_ROW'
  | 'INVALID_OP'
  | 'INVALID_OP_SEQUENCE'
  | 'INVALID_POLICY'
  | 'INVALID_MESSAGE'
  | 'INVALID_CURSOR'
  | 'UNKNOWN_TABLE'
  | 'ROW_NOT_FOUND'
  | 'UNSUPPORTED_PROTOCOL'
  | 'AUTH'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'RATE_LIMITED'
  | 'SERVER'
  | 'REJECTED'
  | 'RESET_REQUIRED'
  | 'STALE_LOCK'
  | 'CONFIG'
  | 'DATA_DIR_LOCKED'
  | 'NOT_STARTED'
  | 'STOPPED';

/** Options of a ChartsyncError beyond code and message. */
export interface ChartsyncErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
  /** Facts that help debugging (table, row id, op id, HTTP status...). */
  context?: Readonly<Record<string, unknown>>;
}

/** The base class of every error chartsync throws. */
export class ChartsyncError extends Error {
  override name = 'ChartsyncError' as const;
  /** A stable machine-readable code. */
  readonly code: ChartsyncErrorCode;
  /** Facts about the failing input. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ChartsyncErrorCode, message: string, options: ChartsyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** True when `value` is a ChartsyncError (optionally with the given code). */
export function isChartsyncError(value: unknown, code?: ChartsyncErrorCode): value is ChartsyncError {
  return value instanceof ChartsyncError && (code === undefined || value.code === code);
}
