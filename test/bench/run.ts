// `npm run bench`: every workload 3 times, each run in its own process; prints a table of medians and one
// JSON line per workload. Floors are measured inside each run, next to the workload.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

const workloads = (process.argv[2] ?? 'W1,W2,W3,W4,W5').split(',');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Result {
  workload: string;
  ms: number;
  floors?: Record<string, number>;
  extra?: Record<string, number>;
  peakRssMb: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function runOnce(workload: string): Result {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/bench/workload.ts', workload], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

const describe: Record<string, string> = {
  W1: 'initial pull, 10,000 rows',
  W2: 'offline writes → push, 10,000 rows',
  W3: 'live round trip A → B (median; p90)',
  W4: '1,000 single puts vs raw Dexie',
  W5: 'initial pull, 100,000 rows (paged)',
};

console.log(
  `chartsync benchmark — ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; median of ${RUNS} runs, each in its own process\n`,
);
const rows: string[][] = [];
const lines: string[] = [];
for (const workload of workloads) {
  const results = Array.from({ length: RUNS }, () => runOnce(workload));
  const ms = median(results.map((r) => r.ms));
  const floorNames = Object.keys(results[0]!.floors ?? {});
  const floors = Object.fromEntries(floorNames.map((name) => [name, median(results.map((r) => r.floors![name]!))]));
  const extraNames = Object.keys(results[0]!.extra ?? {});
  const extra = Object.fromEntries(extraNames.map((name) => [name, median(results.map((r) => r.extra![name]!))]));
  const rss = Math.max(...results.map((r) => r.peakRssMb));
  let target = '';
  let verdict = '';
  if (workload === 'W4') {
    target = `ratio ≤ ${extra.target}`;
    verdict = extra.ratio! <= extra.target! ? 'met' : 'missed';
  } else if (extra.target !== undefined) {
    target = `≤ ${extra.target.toFixed(0)} ms`;
    verdict = ms <= extra.target ? 'met' : 'missed';
  }
  const detail =
    workload === 'W3'
      ? `${ms.toFixed(1)} ms; p90 ${extra.p90!.toFixed(1)} ms`
      : workload === 'W4'
        ? `${ms.toFixed(0)} ms vs ${floors.rawDexie!.toFixed(0)} ms = ${extra.ratio!.toFixed(2)}×`
        : `${ms.toFixed(0)} ms`;
  rows.push([workload, describe[workload] ?? '', detail, floorNames.map((n) => `${n} ${floors[n]!.toFixed(0)}`).join(', '), target, verdict, `${rss} MB`]);
  lines.push(JSON.stringify({ workload, medianMs: ms, floors, extra, peakRssMb: rss, runs: results.map((r) => r.ms) }));
}
const header = ['', 'workload', 'result', 'floors (ms)', 'target', '', 'peak RSS'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(fmt(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(fmt(row));
console.log('');
for (const line of lines) console.log(line);
