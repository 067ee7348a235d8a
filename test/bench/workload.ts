// One benchmark workload in Node, in its own process, against the server in another process:
// `tsx test/bench/workload.ts <W1|W2|W3|W4|W5>`. Engines run on fake-indexeddb.
// Prints one JSON line: { workload, ms, floors, extra, clientPeakRssMb, server: { idleRssMb, peakRssMb } }.
import { execFileSync } from 'node:child_process';
import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { startBenchServer } from './serverProcess';
import { BENCH_TABLES, workloads, type BenchEnv } from './workloads';

const name = process.argv[2] ?? '';
const run = workloads[name];
if (!run) {
  console.error(`unknown workload ${name}: use ${Object.keys(workloads).join(', ')}`);
  process.exit(2);
}
const server = await startBenchServer();
const env: BenchEnv = {
  server,
  engineOptions: { indexedDB: new IDBFactory(), IDBKeyRange, window: null, locks: null },
  async dexie() {
    const db = new Dexie(`floor-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
    db.version(1).stores(BENCH_TABLES);
    await db.open();
    return db;
  },
  async memoryFloor(count) {
    const script = new URL('./memoryFloor.ts', import.meta.url).pathname;
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, String(count)], { encoding: 'utf8' });
    return (JSON.parse(out.trim()) as { peakRssMb: number }).peakRssMb;
  },
};
try {
  const result = await run(env);
  const memory = (await (await fetch(`${server.control}/memory`)).json()) as { idleRssMb: number; peakRssMb: number };
  const clientPeakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify({ workload: name, ...result, clientPeakRssMb, server: { idleRssMb: memory.idleRssMb, peakRssMb: memory.peakRssMb } }));
} finally {
  await server.close();
}
process.exit(0);
