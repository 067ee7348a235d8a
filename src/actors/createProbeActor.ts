import { fromPromise } from 'xstate';
import type { SyncStatusResponse } from '../protocol/schemas';
import type { Transport } from '../transport/types';

/**
 * The reconnecting chart's probe: one status request. Resolves with its latency when the server answers;
 * rejects (NETWORK, TIMEOUT, SERVER, AUTH...) when it does not. Hands the status to `onStatus` (the engine
 * compares the server's policies hash with its own).
 */
export function createProbeActor({ transport, onStatus }: { transport: Transport; onStatus?: (status: SyncStatusResponse) => void }) {
  return fromPromise<{ latencyMs: number }, void>(async ({ signal }) => {
    const started = performance.now();
    const status = await transport.status(signal);
    onStatus?.(status);
    return { latencyMs: performance.now() - started };
  });
}
