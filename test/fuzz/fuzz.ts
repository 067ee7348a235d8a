import fc from 'fast-check';
import type { SyncServer } from '../../src/server/createSyncServer';
import { runSchedule, type RunReport } from './runSchedule';
import { scheduleArbitrary, type Schedule } from './schedule';

/** How a fuzz run goes. */
export interface FuzzOptions {
  /** Schedules to run. */
  runs: number;
  /** fast-check seed (CHARTSYNC_SEED replays a failure). */
  seed: number;
  /** fast-check path of a failing case, to replay it alone (CHARTSYNC_PATH). */
  path?: string;
  /** Shrink a failure to a smaller schedule (slow: each try is a whole run). */
  shrink: boolean;
  steps: { min: number; max: number };
  /** Called after every run with what it did. */
  onRun?: (report: RunReport, schedule: Schedule, ms: number) => void;
}

/**
 * Runs `runs` random schedules against `server` (fast-check, seeded, shrinking on demand); throws with the
 * seed, the path and the (shrunk) schedule when the users' intent is violated.
 */
export async function fuzz(server: SyncServer, options: FuzzOptions): Promise<void> {
  await fc.assert(
    fc.asyncProperty(scheduleArbitrary(options.steps.min, options.steps.max), async (schedule) => {
      const started = performance.now();
      const report = await runSchedule(server, schedule);
      options.onRun?.(report, schedule, performance.now() - started);
    }),
    { seed: options.seed, numRuns: options.runs, endOnFailure: !options.shrink, ...(options.path ? { path: options.path } : {}) },
  );
}

/** The seed to use: CHARTSYNC_SEED when set, else `fallback`. */
export function seedFromEnv(fallback: number): number {
  const text = process.env.CHARTSYNC_SEED;
  return text ? Number(text) : fallback;
}
