// `npm run fuzz -- --seeds N [--seed S] [--shrink] [--steps MIN-MAX]`: the convergence-to-intent fuzzer
// for long runs. One in-process server shared by every schedule (a fresh org each); CHARTSYNC_SEED (or
// --seed) replays a run, CHARTSYNC_PATH a single failing case; --shrink shrinks a failure to a smaller
// schedule before printing it.
import 'fake-indexeddb/auto';
import { fuzz, seedFromEnv } from '../test/fuzz/fuzz';
import { startFuzzServer } from '../test/fuzz/runSchedule';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const runs = Number(flag('seeds') ?? 100);
const seed = flag('seed') !== undefined ? Number(flag('seed')) : seedFromEnv(Date.now() % 2 ** 31);
const [min, max] = (flag('steps') ?? '8-30').split('-').map(Number) as [number, number];
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || !(min >= 1 && max >= min)) {
  console.error('usage: npm run fuzz -- --seeds N [--seed S] [--shrink] [--steps MIN-MAX]');
  process.exit(2);
}

const server = await startFuzzServer();
const started = performance.now();
const mix = { tasks: 0, lww: 0, merge: 0, tabs: 0 };
const steps: Record<string, number> = {};
let done = 0;
let writes = 0;
console.log(`[fuzz] seed ${seed}: ${runs} schedules of ${min}-${max} steps`);
try {
  await fuzz(server, {
    runs,
    seed,
    ...(process.env.CHARTSYNC_PATH ? { path: process.env.CHARTSYNC_PATH } : {}),
    shrink: process.argv.includes('--shrink'),
    steps: { min, max },
    onRun: (report, schedule, ms) => {
      done += 1;
      writes += report.writes;
      mix[schedule.setup.table] += 1;
      if (schedule.setup.tabs) mix.tabs += 1;
      for (const step of schedule.steps) steps[step.t] = (steps[step.t] ?? 0) + 1;
      if (done % 25 === 0 || done === runs)
        console.log(`[fuzz] ${done}/${runs} schedules, last one ${ms.toFixed(0)} ms (${report.writes} writes, ${report.opsSent} ops, ${report.faults} faults)`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `[fuzz] passed: ${done} schedules, ${writes} writes in ${seconds.toFixed(0)} s (${(seconds / done).toFixed(2)} s each); tables ${JSON.stringify(mix)}; steps ${JSON.stringify(steps)}`,
  );
} catch (error) {
  console.error(`[fuzz] FAILED after ${done} schedules (seed ${seed}): replay with CHARTSYNC_SEED=${seed} npm run fuzz -- --seeds ${runs}`);
  console.error(error instanceof Error ? error.message : error);
  // fast-check keeps what the schedule threw as the cause.
  const cause = (error as { cause?: unknown }).cause;
  if (cause) console.error('\nWhat went wrong:', cause instanceof Error ? cause.message : cause);
  process.exitCode = 1;
} finally {
  // Engines of a failed schedule may still be retrying in the background: do not wait for them.
  await Promise.race([server.close(), new Promise((r) => setTimeout(r, 5000))]);
  process.exit();
}
