import { fromCallback } from 'xstate';
import { toFailure } from '../../machines/failure';
import type { SyncEvent } from '../../machines/syncMachine';
import type { WireRow } from '../protocol/schemas';
import type { Transport } from '../transport/types';

/**
 * One connection of the server's live stream, invoked by the chart's `live` region while the tab is online
 * and the leader: reports LIVE.OPENED, a LIVE.POKE per poke (with the commit's changes, by table, when the
 * server sent them), LIVE.CLOSED when the server ends the stream
 * (its token expired) and LIVE.FAILED when it fails; the chart reconnects with backoff. Stopping the actor
 * closes the connection.
 */
export function createLiveStreamActor(deps: { transport: Transport }) {
  return fromCallback<SyncEvent>(({ sendBack }) => {
    const controller = new AbortController();
    deps.transport
      .stream(
        {
          onOpen: () => sendBack({ type: 'LIVE.OPENED' }),
          onEvent: (event) => {
            if (event.type !== 'poke') return;
            if (event.from === undefined || event.changes === undefined) return void sendBack({ type: 'LIVE.POKE' });
            const rows: Record<string, WireRow[]> = {};
            for (const { table, row } of event.changes) (rows[table] ??= []).push(row);
            sendBack({ type: 'LIVE.POKE', changes: { from: event.from, to: event.cursor, rows } });
          },
        },
        controller.signal,
      )
      .then(
        () => controller.signal.aborted || sendBack({ type: 'LIVE.CLOSED' }),
        (error: unknown) => controller.signal.aborted || sendBack({ type: 'LIVE.FAILED', error: toFailure(error) }),
      );
    return () => controller.abort();
  });
}
