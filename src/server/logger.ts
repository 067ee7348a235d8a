/** The fields of one log line: flat, and never row data, claims values or tokens. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Where the server writes its log lines (JSON lines on stderr by default). */
export interface ServerLogger {
  /** A line about normal operation (a request, a reconnect). */
  info(fields: LogFields): void;
  /** A line about a failure. */
  error(fields: LogFields): void;
}

/** JSON lines on stderr. */
export const stderrLogger: ServerLogger = {
  info: (fields) => process.stderr.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), ...fields })}\n`),
  error: (fields) => process.stderr.write(`${JSON.stringify({ level: 'error', time: new Date().toISOString(), ...fields })}\n`),
};

/**
 * What may be logged of an unexpected error: its class, its code (a SQLSTATE, a Node or chartsync code)
 * and where it was thrown — never its message, which drivers fill with the values that failed (row data,
 * the org, keys).
 */
export function describeError(error: unknown): LogFields {
  const e = error as { name?: unknown; code?: unknown; stack?: unknown };
  const frames =
    typeof e?.stack === 'string'
      ? e.stack
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .slice(0, 5)
          .map((line) => line.trim())
      : [];
  return {
    error: typeof e?.name === 'string' ? e.name : typeof error,
    ...(typeof e?.code === 'string' || typeof e?.code === 'number' ? { code: String(e.code) } : {}),
    ...(frames.length ? { stack: frames.join(' | ') } : {}),
  };
}
