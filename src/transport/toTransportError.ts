import { ChartsyncError } from '../core/errors';
import { WIRE_ERROR_CODES } from '../protocol/errorCodes';

/** Parses Retry-After (seconds or an HTTP date) into ms. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Maps a non-2xx response to a ChartsyncError the charts classify: 401/403 → AUTH; 408, 429 and 5xx →
 * TIMEOUT / RATE_LIMITED / SERVER (retried with backoff, honouring Retry-After); any other 4xx → REJECTED
 * (final, never retried), carrying the server's wire code and message.
 */
export async function toTransportError(response: Response, what: string): Promise<ChartsyncError> {
  let wire: { code?: string; message?: string; opId?: string } = {};
  try {
    wire = ((await response.json()) as { error?: typeof wire }).error ?? {};
  } catch {
    // Not our JSON (a proxy's HTML page, say): the status says enough.
  }
  const status = response.status;
  const wireCode = typeof wire.code === 'string' && (WIRE_ERROR_CODES as readonly string[]).includes(wire.code) ? wire.code : undefined;
  const context = {
    status,
    ...(wireCode ? { wireCode } : {}),
    ...(typeof wire.opId === 'string' ? { opId: wire.opId } : {}),
    ...(retryAfterMs(response.headers.get('retry-after')) !== undefined ? { retryAfterMs: retryAfterMs(response.headers.get('retry-after')) } : {}),
  };
  const detail = wire.message ?? response.statusText;
  if (wireCode === 'RESET_REQUIRED') return new ChartsyncError('RESET_REQUIRED', `${what}: the server's data was replaced (${status}): ${detail}`, { context });
  if (status === 401 || status === 403) return new ChartsyncError('AUTH', `${what} was refused (${status}): ${detail}`, { context });
  if (status === 408) return new ChartsyncError('TIMEOUT', `${what} timed out on the server (408): ${detail}`, { context });
  if (status === 429) return new ChartsyncError('RATE_LIMITED', `${what} was rate limited (429): ${detail}`, { context });
  if (status >= 500) return new ChartsyncError('SERVER', `${what} failed on the server (${status}): ${detail}`, { context });
  return new ChartsyncError('REJECTED', `${what} was rejected (${status}${wireCode ? ` ${wireCode}` : ''}): ${detail}`, { context });
}
