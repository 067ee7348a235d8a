import { fromCallback } from 'xstate';
import { toFailure } from '../../machines/failure';
import type { SyncEvent } from '../../machines/syncMachine';
import type { Transport } from '../transport/types';

/**
 * One connection of the server's live stream, invoked by the chart's `live` region while the tab is online
 * and the leader: reports LIVE.OPENED, a LIVE.POKE per poke, LIVE.CLOSED when the server ends the stream
 * (its token expired) and LIVE.FAILED when it fails; the chart reconnects with backoff. Stopping the actor
 * closes the connection.
 */
export function createLiveStreamActor(deps: { transport: Transport }) {
  return fromCallback<SyncEvent>(({ sendBack }) => {
    const controller = new AbortController();
    deps.transport
      .stream(
        { onOpen: () => sendBack({ type: 'LIVE.OPENED' }), onEvent: (event) => event.type === 'poke' && sendBack({ type: 'LIVE.POKE' }) },
        controller.signal,
      )
      .then(
        () => controller.signal.aborted || sendBack({ type: 'LIVE.CLOSED' }),
        (error: unknown) => controller.signal.aborted || sendBack({ type: 'LIVE.FAILED', error: toFailure(error) }),
      );
    return () => controller.abort();
  });
}
