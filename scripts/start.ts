// `npm start`: the sync server (PGlite in .chartsync-data, dev tokens) and the demo task board, both on
// loopback. Open the demo in two windows as two users (?user=ana, ?user=ben) and watch them sync.
import { createServer } from 'vite';
import { createSyncServer } from '../src/server/createSyncServer';

const syncPort = Number(process.env.SYNC_PORT ?? 8787);
const demoPort = Number(process.env.DEMO_PORT ?? 5173);

const sync = await createSyncServer({ port: syncPort, dataDir: '.chartsync-data', databaseUrl: process.env.DATABASE_URL ?? null, auth: { mode: 'dev' } });
const demo = await createServer({
  configFile: new URL('../vite.config.ts', import.meta.url).pathname,
  server: { port: demoPort },
  define: { 'import.meta.env.VITE_SYNC_URL': JSON.stringify(sync.url) },
});
await demo.listen();
const url = `http://127.0.0.1:${demoPort}`;
console.log(`
  chartsync sync server  ${sync.url}   (PGlite in .chartsync-data, dev tokens on)
  chartsync demo         ${url}/?user=ana
                         ${url}/?user=ben          (a second user: open it in another window)
                         ${url}/?user=ana&inspect  (with the Stately inspector)
  Ctrl+C stops both.
`);
const stop = async () => {
  await demo.close();
  await sync.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
