/** A tiny typed event emitter: `on` returns its own unsubscribe. */
export interface Emitter<Events extends Record<string, unknown>> {
  on<K extends keyof Events>(type: K, fn: (payload: Events[K]) => void): () => void;
  emit<K extends keyof Events>(type: K, payload: Events[K]): void;
}

/** Creates an emitter; a throwing listener never stops the others (its error goes to `onListenerError`). */
export function createEmitter<Events extends Record<string, unknown>>(onListenerError: (type: string, error: unknown) => void): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  return {
    on(type, fn) {
      const set = listeners.get(type) ?? new Set();
      set.add(fn as (payload: never) => void);
      listeners.set(type, set);
      return () => void set.delete(fn as (payload: never) => void);
    },
    emit(type, payload) {
      for (const fn of listeners.get(type) ?? []) {
        try {
          (fn as (payload: Events[typeof type]) => void)(payload);
        } catch (error) {
          onListenerError(String(type), error);
        }
      }
    },
  };
}
