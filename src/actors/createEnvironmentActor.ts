import { fromCallback } from 'xstate';
import type { SyncEvent } from '../../machines/syncMachine';
import { watchEnvironment, type EnvironmentTarget } from './watchEnvironment';

/** What the environment actor listens to. */
export interface EnvironmentActorDeps {
  /** The window (none in Node). @default globalThis when it has addEventListener */
  window?: EnvironmentTarget | null;
  /** True while the app forces the engine offline (engine.setOnline(false)): the window's `online` is ignored. */
  forcedOffline(): boolean;
}

/**
 * The chart's environment actor, invoked for the engine's whole life: the window's `online` / `offline`
 * become ENV.ONLINE / ENV.OFFLINE (the chart passes them to the connection chart), focus and a page made
 * visible again become a SYNC.
 */
export function createEnvironmentActor(deps: EnvironmentActorDeps) {
  return fromCallback<SyncEvent>(({ sendBack }) =>
    watchEnvironment(
      {
        online: () => !deps.forcedOffline() && sendBack({ type: 'ENV.ONLINE' }),
        offline: () => sendBack({ type: 'ENV.OFFLINE' }),
        visible: () => sendBack({ type: 'SYNC', reason: 'focus' }),
      },
      deps.window !== undefined ? { target: deps.window } : {},
    ),
  );
}
