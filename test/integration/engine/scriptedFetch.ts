/** What kind of sync request a fetch was. */
export type RequestKind = 'push' | 'pull' | 'status' | 'events' | 'other';

/** One request as the script saw it. */
export interface SeenRequest {
  kind: RequestKind;
  url: URL;
  /** Op ids and row ids of a push body (empty otherwise). */
  opIds: string[];
  rowIds: string[];
  at: number;
}

/**
 * A real fault for one request: dropped before the server sees it, answered with a status before it,
 * answered with a status AFTER the server committed (a proxy error after commit), its response lost after
 * commit, or held for `delayMs` first (past the client's timeout, it times out).
 */
export type Fault = { drop: 'request' } | { drop: 'response' } | { status: number; afterCommit?: boolean } | { delayMs: number; thenDrop?: boolean };

type Rule = { match: (request: SeenRequest) => boolean; fault: Fault; times: number };

/** A fetch that injects faults where a test says, and records every request. */
export interface ScriptedFetch {
  fetch: typeof fetch;
  requests: SeenRequest[];
  /** Injects `fault` into the next `times` requests that match. */
  on(match: RequestKind | ((request: SeenRequest) => boolean), fault: Fault, times?: number): void;
  /** Requests of a kind made so far. */
  count(kind: RequestKind): number;
  /** Forgets every rule not yet used up. */
  clear(): void;
  /** While true, every request fails as if the server were down (a restart, an outage). */
  down: boolean;
}

function kindOf(url: URL): RequestKind {
  const path = url.pathname;
  if (path.endsWith('/sync/push')) return 'push';
  if (path.endsWith('/sync/pull')) return 'pull';
  if (path.endsWith('/sync/status')) return 'status';
  if (path.endsWith('/sync/events')) return 'events';
  return 'other';
}

function abortable(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason ?? new Error('aborted'))), { once: true });
  });
}

/** Creates a scripted fetch over the real one. */
export function scriptedFetch(): ScriptedFetch {
  const rules: Rule[] = [];
  const requests: SeenRequest[] = [];
  const script: ScriptedFetch = {
    requests,
    down: false,
    clear: () => void rules.splice(0),
    on(match, fault, times = 1) {
      rules.push({ match: typeof match === 'function' ? match : (r) => r.kind === match, fault, times });
    },
    count: (kind) => requests.filter((r) => r.kind === kind).length,
    fetch: async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      const url = new URL(request.url);
      const kind = kindOf(url);
      let ops: Array<{ opId: string; rowId: string }> = [];
      if (kind === 'push') {
        try {
          ops = (JSON.parse(await request.clone().text()) as { ops: typeof ops }).ops;
        } catch {
          // gzip bodies: tests keep batches small enough to stay plain JSON
        }
      }
      const seen: SeenRequest = { kind, url, opIds: ops.map((op) => op.opId), rowIds: ops.map((op) => op.rowId), at: Date.now() };
      requests.push(seen);
      if (script.down && kind !== 'events') throw new TypeError('fetch failed (injected: server down)');
      const rule = rules.find((r) => r.times > 0 && r.match(seen));
      if (!rule) return fetch(request);
      rule.times -= 1;
      const fault = rule.fault;
      if ('drop' in fault && fault.drop === 'request') throw new TypeError('fetch failed (injected: request dropped)');
      if ('delayMs' in fault) {
        await abortable(fault.delayMs, request.signal);
        if (fault.thenDrop) throw new TypeError('fetch failed (injected: request dropped after a wait)');
        return fetch(request);
      }
      if ('status' in fault && !fault.afterCommit)
        return new Response(JSON.stringify({ error: { code: fault.status === 429 ? 'RATE_LIMITED' : 'UNAVAILABLE', message: `injected ${fault.status}` } }), {
          status: fault.status,
          headers: { 'content-type': 'application/json', 'retry-after': '0' },
        });
      const response = await fetch(request);
      await response.arrayBuffer();
      if ('status' in fault) return new Response('<html>Bad gateway</html>', { status: fault.status });
      throw new TypeError('fetch failed (injected: response lost after the server committed)');
    },
  };
  return script;
}
