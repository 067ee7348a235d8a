import { assign, sendParent, setup } from 'xstate';

/** How good the connection to the sync server looks. */
export type ConnectionQuality = 'excellent' | 'good' | 'poor' | 'offline';

/** Options of the connection actor. */
export interface ConnectionInput {
  /** What the environment says at start (navigator.onLine). @default true */
  online?: boolean;
}

/** Context of connectionMachine. */
export interface ConnectionContext {
  /** Exponential moving average of request latency, ms (null before the first request). */
  latencyMs: number | null;
  /** Consecutive failed requests since the last success. */
  failures: number;
  quality: ConnectionQuality;
}

/** Events connectionMachine accepts: environment signals and request outcomes. */
export type ConnectionEvent = { type: 'ENV.ONLINE' } | { type: 'ENV.OFFLINE' } | { type: 'REQUEST.OK'; latencyMs: number } | { type: 'REQUEST.FAILED' };

/** Events connectionMachine sends to the root. */
export type ConnectionParentEvent = { type: 'ONLINE' } | { type: 'OFFLINE' };

// Weight of the newest sample in the moving average, and the grade limits.
const ALPHA = 0.3;
const EXCELLENT_MS = 100;
const GOOD_MS = 500;
/** Failed requests in a row that make an online connection `poor` whatever its latency. */
export const POOR_AFTER_FAILURES = 2;

function grade(latencyMs: number | null, failures: number): ConnectionQuality {
  if (failures >= POOR_AFTER_FAILURES) return 'poor';
  if (latencyMs === null || latencyMs <= EXCELLENT_MS) return 'excellent';
  return latencyMs <= GOOD_MS ? 'good' : 'poor';
}

/**
 * Online/offline as the environment reports it, corrected by what requests show (a request that succeeds
 * proves we are online), with a latency average and a quality grade. Tells the root ONLINE / OFFLINE on
 * every change; server trouble (5xx, timeouts) only degrades quality — the root's `reconnecting` handles it.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
  },
  guards: {
    startsOffline: ({ context }) => context.quality === 'offline',
  },
  actions: {
    recordSuccess: assign(({ context, event }) => {
      if (event.type !== 'REQUEST.OK') return {};
      const latencyMs = context.latencyMs === null ? event.latencyMs : context.latencyMs * (1 - ALPHA) + event.latencyMs * ALPHA;
      return { latencyMs, failures: 0, quality: grade(latencyMs, 0) };
    }),
    recordFailure: assign(({ context }) => ({ failures: context.failures + 1, quality: grade(context.latencyMs, context.failures + 1) })),
    regrade: assign(({ context }) => ({ quality: grade(context.latencyMs, context.failures) })),
    reportOnline: sendParent({ type: 'ONLINE' } satisfies ConnectionParentEvent),
    reportOffline: sendParent({ type: 'OFFLINE' } satisfies ConnectionParentEvent),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({ latencyMs: null, failures: 0, quality: input.online === false ? 'offline' : 'excellent' }),
  initial: 'checking',
  states: {
    checking: {
      always: [{ guard: 'startsOffline', target: 'offline' }, { target: 'online' }],
    },
    online: {
      on: {
        'ENV.OFFLINE': { target: 'offline' },
        'REQUEST.OK': { actions: 'recordSuccess' },
        'REQUEST.FAILED': { actions: 'recordFailure' },
      },
    },
    offline: {
      entry: [assign({ quality: 'offline' }), 'reportOffline'],
      exit: ['regrade', 'reportOnline'],
      on: {
        'ENV.ONLINE': { target: 'online' },
        'REQUEST.OK': { target: 'online', actions: 'recordSuccess' },
      },
    },
  },
});
