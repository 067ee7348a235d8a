import 'fake-indexeddb/auto';
import { runSchedule, startFuzzServer } from './test/fuzz/runSchedule';
const schedule = JSON.parse(process.argv[2]!);
const server = await startFuzzServer();
const t = performance.now();
const timer = setTimeout(() => { console.log('HUNG after', performance.now() - t); process.exit(3); }, 90_000);
try {
  console.log(await runSchedule(server, schedule));
} catch (e) { console.log('ERROR', (e as Error).message); }
clearTimeout(timer);
console.log('ms', performance.now() - t);
await server.close();
