import { syncMachine } from '../../machines/syncMachine';
import type { FakeActors } from './fakeActors';

/** The root machine with every invoked actor replaced by a controllable fake, and a fixed backoff. */
export function provideFakes(fakes: FakeActors, delayMs = 1000) {
  return syncMachine.provide({
    actors: {
      rehydrate: fakes.promise('rehydrate'),
      syncLock: fakes.lock(),
      pushBatch: fakes.promise('pushBatch'),
      probe: fakes.promise('probe'),
      reset: fakes.promise('reset'),
      tableSync: fakes.stub('tableSync'),
      initialSync: fakes.stub('initialSync'),
      refreshToken: fakes.promise('refreshToken'),
      verify: fakes.promise('verify'),
      liveStream: fakes.callback('liveStream'),
      environment: fakes.callback('environment'),
    } as never,
    delays: { backoff: delayMs, syncInterval: delayMs * 30, debounce: delayMs, retryDue: delayMs * 5, liveBackoff: delayMs },
  });
}
