import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { ChartsyncError } from '../core/errors';
import type { SyncEngine } from '../engine';

const EngineContext = createContext<SyncEngine | null>(null);

/** Props of SyncProvider. */
export interface SyncProviderProps {
  /** An engine created outside React (once per app, not per render). */
  engine: SyncEngine;
  /** Rendered until the engine has started. @default null */
  fallback?: ReactNode;
  children?: ReactNode;
}

/**
 * Makes an engine available to the hooks below it, starting it if it is not started yet (children render
 * once it is, `fallback` until then). The engine outlives the provider: unmounting does not stop it.
 */
export function SyncProvider({ engine, fallback = null, children }: SyncProviderProps) {
  const [ready, setReady] = useState(() => isStarted(engine));
  const [failure, setFailure] = useState<unknown>(null);
  useEffect(() => {
    if (ready) return;
    let live = true;
    engine.start().then(
      () => live && setReady(true),
      (error: unknown) => live && setFailure(error),
    );
    return () => {
      live = false;
    };
  }, [engine, ready]);
  if (failure) throw failure;
  return <EngineContext.Provider value={engine}>{ready ? children : fallback}</EngineContext.Provider>;
}

function isStarted(engine: SyncEngine): boolean {
  try {
    return Boolean(engine.actor);
  } catch {
    return false;
  }
}

/** The engine of the nearest SyncProvider. */
export function useSyncEngine(): SyncEngine {
  const engine = useContext(EngineContext);
  if (!engine) throw new ChartsyncError('NOT_STARTED', 'useSyncEngine() needs a <SyncProvider engine={engine}> above this component.');
  return engine;
}
