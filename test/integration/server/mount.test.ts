import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncHandler, type SyncHandler } from '../../../src/server';
import { clientFor, freshOrg, op, SECRET } from './harness';

// The server mounted in an app of the user's own: its routes and the protocol's side by side.
describe('createSyncHandler mounted in an existing Hono app', () => {
  let handler: SyncHandler;
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    handler = await createSyncHandler({ databaseUrl: null, auth: { mode: 'jwt', secret: SECRET }, logger: { info: () => undefined, error: () => undefined } });
    const app = new Hono();
    app.get('/api/hello', (c) => c.text('hello from the app'));
    app.mount('/', handler.fetch);
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
    await handler?.close();
  });

  it("serves the app's routes and the sync protocol: a pushed row is pulled by another device", async () => {
    expect(await (await fetch(`${url}/api/hello`)).text()).toBe('hello from the app');
    const org = freshOrg();
    const ana = await clientFor({ url }, { org, user: 'ana' }, 'ana-laptop');
    const pushed = await ana.push([op({ rowId: 'r1', patch: { id: 'r1', title: 'mounted' } })]);
    expect(pushed.results.map((r) => r.status)).toEqual(['applied']);
    const ben = await clientFor({ url }, { org, user: 'ben' }, 'ben-phone');
    expect((await ben.pullAll()).map((c) => c.row)).toMatchObject([{ id: 'r1', title: 'mounted' }]);
    expect((await fetch(`${url}/sync/pull`)).status).toBe(401);
  });
});
