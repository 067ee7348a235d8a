import { describe, expect, it } from 'vitest';
import { isChartsyncError } from '../../../src/core/errors';
import { createKyTransport } from '../../../src/transport/createKyTransport';
import { toTransportError, retryAfterMs } from '../../../src/transport/toTransportError';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('the ky transport', () => {
  it('treats a failing token source like the network, so the chart retries (regression: a demo reload offline stuck in error)', async () => {
    const transport = createKyTransport({ url: 'http://127.0.0.1:1', token: () => Promise.reject(new TypeError('Failed to fetch')) });
    const error = await transport.status().catch((e: unknown) => e);
    expect(isChartsyncError(error, 'NETWORK')).toBe(true);
    expect((error as Error).message).toMatch(/Could not get a token: Failed to fetch/);
  });

  it('maps statuses to errors the charts classify, with Retry-After', async () => {
    const cases: Array<[Response, string]> = [
      [json(401, { error: { code: 'UNAUTHORIZED', message: 'Token expired' } }), 'AUTH'],
      [json(403, {}), 'AUTH'],
      [json(429, {}, { 'retry-after': '3' }), 'RATE_LIMITED'],
      [json(503, {}), 'SERVER'],
      [json(408, {}), 'TIMEOUT'],
      [json(400, { error: { code: 'INVALID_BODY', message: 'ops[0].kind' } }), 'REJECTED'],
    ];
    for (const [response, code] of cases) {
      const error = await toTransportError(response, 'Push');
      expect(error.code).toBe(code);
    }
    expect((await toTransportError(json(429, {}, { 'retry-after': '3' }), 'Push')).context.retryAfterMs).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
  });

  it('sends the bearer token, gzips large bodies and validates answers', async () => {
    const seen: Request[] = [];
    const transport = createKyTransport({
      url: 'http://sync.test/',
      token: 'abc',
      gzipThresholdBytes: 100,
      fetch: async (input, init) => {
        const request = input instanceof Request ? input : new Request(input, init);
        seen.push(request);
        return json(200, { results: [], rows: [], cursor: 'c2.e1.0', epoch: 'e1' });
      },
    });
    const ops = Array.from({ length: 5 }, (_, i) => ({ opId: `o${i}`, table: 'tasks', rowId: `r${i}`, kind: 'delete' as const, at: 1 }));
    await transport.push({ protocol: 2, deviceId: 'd', ops });
    expect(seen[0]!.headers.get('authorization')).toBe('Bearer abc');
    expect(seen[0]!.headers.get('content-encoding')).toBe('gzip');
    expect(seen[0]!.url).toBe('http://sync.test/sync/push');
    const bad = createKyTransport({ url: 'http://sync.test', token: 'abc', fetch: async () => json(200, { nope: true }) });
    const error = await bad.status().catch((e: unknown) => e);
    expect(isChartsyncError(error, 'INVALID_MESSAGE')).toBe(true);
  });
});
