// The benchmark page: the workloads bundled for the browser, run in real IndexedDB with the engine's
// defaults (no fake-indexeddb, the browser's own fetch, locks and window).
import Dexie from 'dexie';
import { BENCH_TABLES, workloads, type BenchEnv, type WorkloadResult } from '../workloads';

declare global {
  interface Window {
    /** Runs one workload against the benchmark server; set once the page has loaded. */
    runWorkload?: (name: string, server: BenchEnv['server']) => Promise<WorkloadResult>;
  }
}

window.runWorkload = async (name, server) => {
  const run = workloads[name];
  if (!run) throw new Error(`unknown workload ${name}`);
  return run({
    server,
    engineOptions: {},
    async dexie() {
      const db = new Dexie(`floor-${Math.random().toString(36).slice(2)}`);
      db.version(1).stores(BENCH_TABLES);
      await db.open();
      return db;
    },
  });
};
