import type { WireErrorCode } from '../../protocol/errorCodes';

/** A request the server refuses: an HTTP status and a wire error code and message, sent as JSON. */
export class HttpError extends Error {
  override name = 'HttpError' as const;
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503,
    readonly code: WireErrorCode,
    message: string,
    /** The op the error is about, when it is about one: the client dead-letters that op alone. */
    readonly opId?: string,
  ) {
    super(message);
  }
}
