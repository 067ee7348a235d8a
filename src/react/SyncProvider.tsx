import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { ChartsyncError } from '../core/errors';
import type { SyncEngine, TableTypes, UntypedTables } from '../engine';

// The context holds engines of any table types; useSyncEngine<Tables>() gives the caller's typed view back.
const EngineContext = createContext<object | null>(null);

/** Props of SyncProvider. */
export interface SyncProviderProps<Tables extends TableTypes = UntypedTables> {
  /** An engine created outside React (once per app, not per render). */
  engine: SyncEngine<Tables>;
  /** Rendered until the engine has started. @default null */
  fallback?: ReactNode;
  children?: ReactNode;
}

/**
 * Makes an engine available to the hooks below it, starting it if it is not started yet (children render
 * once it is, `fallback` until then). The engine outlives the provider: unmounting does not stop it.
 */
export function SyncProvider<Tables extends TableTypes = UntypedTables>({ engine, fallback = null, children }: SyncProviderProps<Tables>) {
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

/** Whether the engine's charts are running (its actor exists). */
export function isStarted(engine: { readonly actor: unknown }): boolean {
  try {
    return Boolean(engine.actor);
  } catch {
    return false;
  }
}

/** The engine of the nearest SyncProvider, typed as the caller says (`useSyncEngine<AppTables>()`). */
export function useSyncEngine<Tables extends TableTypes = UntypedTables>(): SyncEngine<Tables> {
  const engine = useContext(EngineContext);
  if (!engine) throw new ChartsyncError('NOT_STARTED', 'useSyncEngine() needs a <SyncProvider engine={engine}> above this component.');
  return engine as SyncEngine<Tables>;
}
