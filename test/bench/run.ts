// `npm run bench [-- W1,W3] [-- --browser]`: every workload 3 times (BENCH_RUNS), each run in its own
// processes — the client (Node with fake-indexeddb, or headless Chromium with real IndexedDB) and the
// server (PGlite; PostgreSQL at BENCH_DATABASE_URL) apart, as deployed. Prints a table of medians against floors measured in the same run,
// then one JSON line per workload.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { buildPage, runInBrowser } from './browser';
import type { WorkloadResult } from './workloads';

const args = process.argv.slice(2);
const browserMode = args.includes('--browser');
const workloads = (args.find((a) => !a.startsWith('--')) ?? (browserMode ? 'W1,W2,W3,W4' : 'W1,W2,W3,W4,W5')).split(',');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** One run's result, in either mode. */
interface Result extends WorkloadResult {
  clientPeakRssMb?: number;
  clientPeakHeapMb?: number;
  server: { idleRssMb: number; peakRssMb: number };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const medians = (results: Record<string, number>[]) =>
  Object.fromEntries(Object.keys(results[0] ?? {}).map((name) => [name, median(results.map((r) => r[name]!))]));

function runInNode(workload: string): Result {
  const out = execFileSync(process.execPath, ['--import', 'tsx', new URL('./workload.ts', import.meta.url).pathname, workload], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

const describe: Record<string, string> = {
  W1: 'initial pull, 10,000 rows',
  W2: 'offline writes → pushed, 10,000 rows',
  W3: 'live round trip A → B, 50 samples',
  W4: '1,000 single puts vs raw Dexie',
  W5: 'initial pull, 100,000 rows, 20 pages',
};
/** Client peak RSS allowed for W5 (Node only: the browser reports its JS heap). */
const W5_RSS_MB = 250;

const page = browserMode ? await buildPage() : null;
console.log(
  `chartsync benchmark — ${browserMode ? 'headless Chromium, real IndexedDB' : 'Node, fake-indexeddb'}; server in its own process (${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'PGlite in memory'}); ` +
    `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; median of ${RUNS} runs\n`,
);
const rows: string[][] = [];
const lines: string[] = [];
const medianMs: Record<string, number> = {};
try {
  for (const workload of workloads) {
    const results: Result[] = [];
    for (let i = 0; i < RUNS; i++) results.push(page ? await runInBrowser(page.dir, workload) : runInNode(workload));
    const ms = median(results.map((r) => r.ms));
    medianMs[workload] = ms;
    const floors = medians(results.map((r) => r.floors));
    const extra = medians(results.map((r) => r.extra));
    const client = Math.max(...results.map((r) => r.clientPeakRssMb ?? r.clientPeakHeapMb ?? 0));
    const server = { idleRssMb: median(results.map((r) => r.server.idleRssMb)), peakRssMb: Math.max(...results.map((r) => r.server.peakRssMb)) };
    let detail = `${ms.toFixed(0)} ms`;
    let target = '';
    let met = false;
    if (workload === 'W3') {
      detail = `median ${ms.toFixed(1)} ms, p90 ${extra.p90!.toFixed(1)} ms`;
      target = `median ≤ ${extra.target!.toFixed(1)}, p90 ≤ ${extra.p90Target!.toFixed(1)} ms`;
      met = ms <= extra.target! && extra.p90! <= extra.p90Target!;
    } else if (workload === 'W4') {
      detail = `${ms.toFixed(0)} ms = ${extra.ratio!.toFixed(2)}×`;
      target = `≤ ${extra.target}×`;
      met = extra.ratio! <= extra.target!;
    } else if (workload === 'W5') {
      const w1 = medianMs.W1;
      target = `${w1 === undefined ? '' : `≤ ${(11 * w1).toFixed(0)} ms (11 × W1), `}client ≤ ${W5_RSS_MB} MB${floors.memoryMb === undefined ? '' : ` (floor ${floors.memoryMb} MB)`}`;
      met = (w1 === undefined || ms <= 11 * w1) && client <= W5_RSS_MB;
    } else {
      target = `≤ ${extra.target!.toFixed(0)} ms`;
      met = ms <= extra.target!;
    }
    const floorText = Object.entries(floors)
      .filter(([name]) => name !== 'memoryMb')
      .map(([name, value]) => `${name} ${value.toFixed(name === 'relay' ? 2 : 0)}`)
      .join(', ');
    rows.push([
      workload,
      describe[workload] ?? '',
      detail,
      floorText,
      target,
      met ? 'met' : 'missed',
      `${client} MB`,
      `${server.idleRssMb} / ${server.peakRssMb} MB`,
    ]);
    lines.push(
      JSON.stringify({
        workload,
        mode: browserMode ? 'chromium' : 'node',
        medianMs: ms,
        floors,
        extra,
        clientPeakMb: client,
        server,
        runs: results.map((r) => r.ms),
      }),
    );
  }
} finally {
  page?.dispose();
}
const header = ['', 'workload', 'result', 'floors (ms)', 'target', '', browserMode ? 'client JS heap' : 'client RSS', 'server RSS idle / peak'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(fmt(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(fmt(row));
console.log('');
for (const line of lines) console.log(line);
