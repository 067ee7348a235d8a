import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncServer } from '../../src/server/createSyncServer';
import { fuzz, seedFromEnv } from './fuzz';
import { startFuzzServer } from './runSchedule';

// The fast profile of the convergence-to-intent fuzzer (`npm run fuzz -- --seeds N` for long runs).
describe("convergence to the users' intent under faults (fuzz, fast profile)", () => {
  let server: SyncServer;
  beforeAll(async () => {
    server = await startFuzzServer();
  });
  afterAll(() => server?.close());

  it('keeps every acknowledged write, per policy, across random schedules of writes, faults, kills and outages', async () => {
    const seed = seedFromEnv(20261127);
    let runs = 0;
    let writes = 0;
    try {
      await fuzz(server, {
        runs: Number(process.env.CHARTSYNC_FUZZ_RUNS ?? 12),
        seed,
        ...(process.env.CHARTSYNC_PATH ? { path: process.env.CHARTSYNC_PATH } : {}),
        shrink: false,
        steps: { min: 8, max: 24 },
        onRun: (report) => {
          runs += 1;
          writes += report.writes;
        },
      });
    } catch (error) {
      console.error(
        `[fuzz] FAILED with seed ${seed}: replay with CHARTSYNC_SEED=${seed} (and the path fast-check prints), shrink with npm run fuzz -- --seed ${seed} --shrink`,
      );
      throw error;
    }
    console.log(`[fuzz] seed ${seed}: ${runs} schedules, ${writes} writes, every one accounted for`);
    expect(runs).toBeGreaterThan(0);
  }, 240_000);
});
