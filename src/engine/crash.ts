// Not part of the public surface: tests (and chartsync/internal) kill engines through it.
const crashes = new WeakMap<object, () => Promise<void>>();

/** Registers how an engine dies like a killed tab (called by createSyncEngine). */
export function registerCrash(engine: object, crash: () => Promise<void>): void {
  crashes.set(engine, crash);
}

/** Test hook: the engine dies like a killed tab — no state saved, no lock released, the database closed. */
export async function crashEngine(engine: object): Promise<void> {
  const crash = crashes.get(engine);
  if (!crash) throw new TypeError('crashEngine: not an engine made by createSyncEngine');
  await crash();
}
