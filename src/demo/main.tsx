import { createRoot } from 'react-dom/client';
import { createSyncEngine } from '../engine';
import { SyncProvider } from '../react';
import { App } from './App';

const params = new URLSearchParams(location.search);
const user = params.get('user') ?? 'ana';
const role = params.get('role') ?? 'owner';
const org = params.get('org') ?? 'demo';
const server = params.get('server') ?? (import.meta.env.VITE_SYNC_URL as string | undefined) ?? `http://${location.hostname}:8787`;

// Dev tokens come from the server's --dev route: fine for a demo, never for production.
async function devToken(): Promise<string> {
  const response = await fetch(`${server}/auth/dev-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, org, role }),
  });
  if (!response.ok) throw new Error(`The sync server at ${server} gave no dev token (${response.status}): start it with npm start.`);
  return ((await response.json()) as { token: string }).token;
}

let token: Promise<string> | null = null;
const inspect = params.has('inspect') ? (await import('@statelyai/inspect')).createBrowserInspector().inspect : undefined;
const engine = createSyncEngine({
  name: `chartsync-demo-${org}-${user}`,
  url: server,
  tables: { tasks: 'id, status, assignee' },
  // Cache the token, but not a failed attempt to get one.
  token: () =>
    (token ??= devToken().catch((error: unknown) => {
      token = null;
      throw error;
    })),
  conflicts: { tasks: { strategy: 'manual' } },
  debounceMs: 100,
  ...(inspect ? { inspect } : {}),
});
(window as unknown as { chartsync: typeof engine }).chartsync = engine;

createRoot(document.getElementById('root')!).render(
  <SyncProvider engine={engine} fallback={<p role="status">Starting…</p>}>
    <App user={user} />
  </SyncProvider>,
);
