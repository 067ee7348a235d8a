import { fromPromise } from 'xstate';
import type { TokenSource } from '../transport/types';

/**
 * The chart's token refresh in error(auth): asks the token source once more; `changed` when it gives a
 * token other than the one the server refused (a fixed string never changes: the app calls setToken).
 */
export function createRefreshTokenActor(deps: { token(): TokenSource; refused(): string | undefined }) {
  return fromPromise<{ changed: boolean }, void>(async () => {
    const source = deps.token();
    if (typeof source !== 'function') return { changed: false };
    const fresh = await source();
    return { changed: fresh !== deps.refused() };
  });
}
