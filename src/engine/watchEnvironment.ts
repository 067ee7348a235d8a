/** The browser events the engine follows. */
export interface EnvironmentHandlers {
  online(): void;
  offline(): void;
  /** Focus, or the page became visible again. */
  visible(): void;
}

type Target = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

/**
 * Listens to `online`, `offline`, `focus` and `visibilitychange` on `target` (the window by default; none
 * in Node). Returns a function that stops listening.
 */
export function watchEnvironment(handlers: EnvironmentHandlers, target?: Target | null): () => void {
  const t = target === undefined ? ((globalThis as { addEventListener?: unknown }).addEventListener ? (globalThis as unknown as Target) : null) : target;
  if (!t) return () => undefined;
  const doc = (globalThis as { document?: Target & { visibilityState?: string } }).document;
  const onVisibility = () => {
    if (doc?.visibilityState !== 'hidden') handlers.visible();
  };
  const entries: Array<[Target, string, () => void]> = [
    [t, 'online', handlers.online],
    [t, 'offline', handlers.offline],
    [t, 'focus', handlers.visible],
    ...(doc ? ([[doc, 'visibilitychange', onVisibility]] as Array<[Target, string, () => void]>) : []),
  ];
  for (const [target, type, fn] of entries) target.addEventListener(type, fn);
  return () => {
    for (const [target, type, fn] of entries) target.removeEventListener(type, fn);
  };
}
