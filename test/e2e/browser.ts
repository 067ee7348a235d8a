import type { Browser } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { createSyncServer, type SyncServer } from '../../src/server/createSyncServer';
import { launchChromium } from './chromium';

/** The built demo on a loopback port, a sync server with dev tokens, and Chromium. */
export interface E2E {
  browser: Browser;
  sync: SyncServer;
  demo: PreviewServer;
  /** The demo URL for a user of an org. */
  url(user: string, org: string, extra?: string): string;
  close(): Promise<void>;
}

/** Starts everything the browser tests need (the demo must have been built: npm run build). */
export async function startE2E(): Promise<E2E> {
  const sync = await createSyncServer({ port: 0, databaseUrl: null, auth: { mode: 'dev' }, policies: { tasks: { strategy: 'manual' } }, heartbeatMs: 5000 });
  const demo = await preview({ configFile: new URL('../../vite.config.ts', import.meta.url).pathname, preview: { port: 0, strictPort: false } });
  const address = demo.httpServer.address() as { port: number };
  const browser = await launchChromium();
  return {
    browser,
    sync,
    demo,
    url: (user, org, extra = '') => `http://127.0.0.1:${address.port}/?user=${user}&org=${org}&server=${encodeURIComponent(sync.url)}${extra}`,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => demo.httpServer.close(() => resolve()));
      await sync.close();
    },
  };
}
