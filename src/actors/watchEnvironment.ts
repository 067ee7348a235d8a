/** The browser events chartsync follows; every handler is optional. */
export interface EnvironmentHandlers {
  online?(): void;
  offline?(): void;
  /** Focus, or the page became visible again. */
  visible?(): void;
  /** The page was hidden or is being unloaded (`visibilitychange` → hidden, `pagehide`). */
  hidden?(): void;
}

/** An event target (a window, or a stand-in in tests). */
export type EnvironmentTarget = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

/** Where the events come from. */
export interface EnvironmentSource {
  /** The window; none in Node. @default globalThis when it has addEventListener */
  target?: EnvironmentTarget | null;
  /** Reads document.visibilityState. @default () => globalThis.document?.visibilityState */
  visibility?: () => string | undefined;
}

/**
 * The one environment watcher of chartsync (the chart's environment actor and state persistence): listens
 * to `online`, `offline`, `focus`, `pagehide` and `visibilitychange` on the target (and the document) and
 * calls the handlers given. Returns a function that stops listening.
 */
export function watchEnvironment(handlers: EnvironmentHandlers, source: EnvironmentSource = {}): () => void {
  const t =
    source.target === undefined
      ? (globalThis as { addEventListener?: unknown }).addEventListener
        ? (globalThis as unknown as EnvironmentTarget)
        : null
      : source.target;
  if (!t) return () => undefined;
  const doc = (globalThis as { document?: EnvironmentTarget & { visibilityState?: string } }).document;
  const visibility = source.visibility ?? (() => doc?.visibilityState);
  const onVisibility = () => (visibility() === 'hidden' ? handlers.hidden?.() : handlers.visible?.());
  const entries: Array<[EnvironmentTarget, string, () => void]> = [];
  const on = (target: EnvironmentTarget, type: string, fn: (() => void) | undefined) => fn && entries.push([target, type, fn]);
  on(t, 'online', handlers.online);
  on(t, 'offline', handlers.offline);
  on(t, 'focus', handlers.visible);
  on(t, 'pagehide', handlers.hidden);
  if (handlers.visible || handlers.hidden) entries.push([doc && doc !== (t as unknown) ? doc : t, 'visibilitychange', onVisibility]);
  for (const [target, type, fn] of entries) target.addEventListener(type, fn);
  return () => {
    for (const [target, type, fn] of entries) target.removeEventListener(type, fn);
  };
}
