/** A small seeded PRNG (mulberry32): the same seed gives the same faults. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How often each fault strikes a sync request (0..1 each). */
export interface FaultRates {
  dropRequest?: number;
  dropResponse?: number;
  error500?: number;
  rateLimit?: number;
  slow?: number;
}

/** A fetch that injects real faults, seeded; `enabled` switches them off for the final catch-up. */
export interface FaultyFetch {
  fetch: typeof fetch;
  enabled: boolean;
  /** Every op id sent in a push body, in order (re-sends included). */
  sentOpIds: string[];
  /** Push requests made (whatever happened to them). */
  pushes: number;
  counts: Record<keyof FaultRates, number>;
}

function abortable(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason ?? new Error('aborted'))), { once: true });
  });
}

/**
 * Wraps fetch: a request may be dropped before it reaches the server, its response dropped after the
 * server committed (the retry must come back replayed), answered 500 or 429 (Retry-After: 0), or held
 * past the client's timeout. The live stream is left alone.
 */
export function faultyFetch(seed: number, rates: FaultRates, slowMs = 0): FaultyFetch {
  const random = seeded(seed);
  const state: FaultyFetch = {
    enabled: true,
    sentOpIds: [],
    pushes: 0,
    counts: { dropRequest: 0, dropResponse: 0, error500: 0, rateLimit: 0, slow: 0 },
    fetch: async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      if (request.url.includes('/sync/push')) {
        state.pushes += 1;
        const body = await request
          .clone()
          .text()
          .catch(() => '');
        try {
          state.sentOpIds.push(...(JSON.parse(body) as { ops: Array<{ opId: string }> }).ops.map((op) => op.opId));
        } catch {
          // gzip bodies: not counted (tests keep batches small enough to stay plain JSON)
        }
      }
      if (!state.enabled || request.url.includes('/sync/events')) return fetch(request);
      const r = random();
      let edge = 0;
      const hit = (kind: keyof FaultRates) => {
        edge += rates[kind] ?? 0;
        if (r < edge) {
          state.counts[kind] += 1;
          return true;
        }
        return false;
      };
      if (hit('dropRequest')) throw new TypeError('fetch failed (injected: request dropped)');
      if (hit('error500'))
        return new Response(JSON.stringify({ error: { code: 'INTERNAL', message: 'injected 500' } }), {
          status: 500,
          headers: { 'content-type': 'application/json' },
        });
      if (hit('rateLimit'))
        return new Response(JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'injected 429' } }), {
          status: 429,
          headers: { 'retry-after': '0', 'content-type': 'application/json' },
        });
      if (hit('slow')) await abortable(slowMs, request.signal);
      const dropAfter = hit('dropResponse');
      const response = await fetch(request);
      if (dropAfter) {
        await response.arrayBuffer();
        throw new TypeError('fetch failed (injected: response lost after the server committed)');
      }
      return response;
    },
  };
  return state;
}
