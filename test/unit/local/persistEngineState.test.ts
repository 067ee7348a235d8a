import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { persistEngineState } from '../../../src/actors/persistEngineState';
import type { PersistedEngineState } from '../../../src/actors/rehydrate';
import { FakeActors, flush } from '../../machines/fakeActors';
import { provideFakes } from '../../machines/fakeSyncMachine';
import { openTestStore } from './helpers';

describe('persisting the engine state', () => {
  it('saves on a status change after the debounce, and at once when the page is hidden', async () => {
    const store = await openTestStore();
    const fakes = new FakeActors();
    fakes.autoLock = true;
    const actor = createActor(provideFakes(fakes), { input: { tables: ['tasks'] } }).start();
    const page = new EventTarget();
    let visibility = 'visible';
    const stop = persistEngineState({ actor, store, debounceMs: 30, target: page, visibility: () => visibility, now: () => 123 });
    fakes.settle('rehydrate', 'done', {
      needsInitial: [],
      cursors: {},
      restored: { metrics: { cycles: 4, opsPushed: 9, rowsPulled: 0, bytesPushed: 0, bytesPulled: 0, lastPushMs: null, failures: 0 } },
    });
    await flush();
    expect(await store.meta.loadSnapshot()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.meta.loadSnapshot<PersistedEngineState>()).toMatchObject({ metrics: { cycles: 4, opsPushed: 9 }, savedAt: 123 });

    await store.meta.saveSnapshot(null);
    visibility = 'hidden';
    page.dispatchEvent(new Event('visibilitychange'));
    await new Promise((r) => setTimeout(r, 5));
    expect(await store.meta.loadSnapshot()).toMatchObject({ metrics: { cycles: 4 } });

    await store.meta.saveSnapshot(null);
    page.dispatchEvent(new Event('pagehide'));
    await new Promise((r) => setTimeout(r, 5));
    expect(await store.meta.loadSnapshot()).toMatchObject({ metrics: { cycles: 4 } });
    await stop();
    actor.stop();
  });
});
