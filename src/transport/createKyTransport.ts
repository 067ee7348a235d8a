import ky, { TimeoutError } from 'ky';
import { ChartsyncError, isChartsyncError } from '../core/errors';
import { isPullResponse } from '../protocol/isPullResponse';
import { checkResponse } from '../protocol/checkResponses';
import { readSseStream } from './readSseStream';
import { toTransportError } from './toTransportError';
import type { RequestOutcome, TokenSource, Transport } from './types';

/** Options of the ky transport. */
export interface KyTransportOptions {
  /** The sync server's base URL. */
  url: string;
  token: TokenSource;
  /** fetch to use (tests inject faults through it). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Per-request timeout, ms. @default 15000 */
  timeoutMs?: number;
  /** Request bodies larger than this are gzip-compressed, bytes. @default 16384 */
  gzipThresholdBytes?: number;
  /** Told about every request's outcome (the connection chart grades latency from it). */
  onRequest?: (outcome: RequestOutcome) => void;
}

async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

/**
 * The protocol over HTTP with ky: base URL, bearer token from `token`, timeouts, gzip of large bodies,
 * validated responses. No retries here — backoff belongs to the statechart, and hidden retries would fight
 * it. Network failures become NETWORK errors, timeouts TIMEOUT, HTTP errors as in toTransportError().
 */
export function createKyTransport(options: KyTransportOptions): Transport {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.url.replace(/\/+$/, '');
  // A token source that fails (an auth server unreachable, say) is treated like the network: retried with backoff.
  const token = async () => {
    try {
      return typeof options.token === 'function' ? await options.token() : options.token;
    } catch (cause) {
      if (cause instanceof ChartsyncError) throw cause;
      throw new ChartsyncError('NETWORK', `Could not get a token: ${(cause as Error).message ?? String(cause)}`, { cause });
    }
  };
  const client = ky.create({ prefixUrl: base, timeout: options.timeoutMs ?? 15_000, retry: 0, throwHttpErrors: false, fetch: fetchFn });
  const threshold = options.gzipThresholdBytes ?? 16 * 1024;

  async function request(
    path: string,
    what: string,
    init: { method: 'GET' | 'POST'; body?: string; searchParams?: URLSearchParams; signal?: AbortSignal | undefined },
  ): Promise<{ json: unknown; bytes: number }> {
    const started = performance.now();
    const headers: Record<string, string> = { authorization: `Bearer ${await token()}`, accept: 'application/json' };
    let body: string | ArrayBuffer | undefined = init.body;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      if (init.body!.length > threshold) {
        body = await gzip(init.body!);
        headers['content-encoding'] = 'gzip';
      }
    }
    let response: Response;
    try {
      response = await client(path, {
        method: init.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(init.searchParams ? { searchParams: init.searchParams } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (cause) {
      options.onRequest?.({ ok: false, network: true });
      if (cause instanceof TimeoutError)
        throw new ChartsyncError('TIMEOUT', `${what} got no answer in ${options.timeoutMs ?? 15_000} ms: the server is slow or unreachable.`, { cause });
      if ((cause as { name?: string }).name === 'AbortError') throw new ChartsyncError('NETWORK', `${what} was cancelled.`, { cause });
      throw new ChartsyncError('NETWORK', `${what} could not reach ${base}: ${(cause as Error).message}`, { cause });
    }
    if (!response.ok) {
      options.onRequest?.({ ok: false, network: false });
      throw await toTransportError(response, what);
    }
    const text = await response.text();
    options.onRequest?.({ ok: true, latencyMs: performance.now() - started });
    try {
      return { json: JSON.parse(text), bytes: text.length };
    } catch (cause) {
      throw new ChartsyncError('INVALID_MESSAGE', `${what}: the server answered with something that is not JSON.`, { cause });
    }
  }

  return {
    async push(body, signal) {
      const { json, bytes } = await request('sync/push', 'Push', { method: 'POST', body: JSON.stringify(body), signal });
      return { response: checkResponse('pushResponse', json, 'push response'), bytes };
    },
    async pull(query, signal) {
      const searchParams = new URLSearchParams({ limit: String(query.limit) });
      if (query.cursor) searchParams.set('cursor', query.cursor);
      if (query.tables.length) searchParams.set('tables', query.tables.join(','));
      const { json, bytes } = await request('sync/pull', 'Pull', { method: 'GET', searchParams, signal });
      // Pages are large: checked by the fast check first; the general one only names what it refuses.
      return { response: isPullResponse(json) ? json : checkResponse('pullResponse', json, 'pull response'), bytes };
    },
    async status(signal) {
      const { json } = await request('sync/status', 'Status check', { method: 'GET', signal });
      return checkResponse('status', json, 'status response');
    },
    async checksums(table, buckets, signal) {
      const searchParams = new URLSearchParams({ table, buckets: String(buckets) });
      const { json } = await request('sync/checksums', 'Checksums', { method: 'GET', searchParams, signal });
      return checkResponse('checksums', json, 'checksums response');
    },
    async bucket(table, buckets, bucket, signal) {
      const searchParams = new URLSearchParams({ table, buckets: String(buckets), bucket: String(bucket) });
      const { json } = await request('sync/bucket', 'Bucket', { method: 'GET', searchParams, signal });
      return checkResponse('bucket', json, 'bucket response');
    },
    async stream(handlers, signal) {
      // changes=1: pokes carry small commits' changes (a server that does not know it ignores it).
      const url = `${base}/sync/events?token=${encodeURIComponent(await token())}&changes=1`;
      let response: Response;
      try {
        response = await fetchFn(url, { signal, headers: { accept: 'text/event-stream' } });
      } catch (cause) {
        if (signal.aborted) return;
        throw new ChartsyncError('NETWORK', `Live stream: could not reach the server: ${(cause as Error).message ?? String(cause)}`, { cause });
      }
      if (!response.ok || !response.body) throw await toTransportError(response, 'Live stream');
      handlers.onOpen();
      try {
        await readSseStream(response.body, (data) => {
          handlers.onEvent(checkResponse('liveEvent', JSON.parse(data), 'live event'));
        });
      } catch (cause) {
        if (signal.aborted) return;
        throw isChartsyncError(cause) ? cause : new ChartsyncError('NETWORK', `Live stream broke: ${(cause as Error).message ?? String(cause)}`, { cause });
      }
    },
  };
}
