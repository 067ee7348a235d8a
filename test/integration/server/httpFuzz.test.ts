import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncServer } from '../../../src/server/createSyncServer';
import { fuzzHttp } from '../../fuzz/httpFuzz';
import { DRIVERS, startServer } from './harness';

// The fast profile; `npm run fuzz:server -- --runs N` runs the same property longer.
const RUNS = Number(process.env.CHARTSYNC_HTTP_FUZZ_RUNS ?? 300);

describe.each(DRIVERS)('HTTP fuzzing on $name', ({ databaseUrl }) => {
  let server: SyncServer;
  const silent = { info: () => undefined, error: (fields: Record<string, unknown>) => errors.push(fields) };
  const errors: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    server = await startServer(databaseUrl, { tables: ['tasks', 'notes'], limits: { maxBodyBytes: 64 * 1024, maxRowBytes: 8192 }, logger: silent });
  });
  afterAll(() => server?.close());

  it(`answers ${RUNS} hostile and near-valid requests with a 2xx or a clear 4xx that changes nothing, never a 5xx`, async () => {
    const statuses = new Map<number, number>();
    await fuzzHttp(server, {
      runs: RUNS,
      ...(process.env.CHARTSYNC_SEED ? { seed: Number(process.env.CHARTSYNC_SEED) } : {}),
      onRun: (v) => statuses.set(v.status, (statuses.get(v.status) ?? 0) + 1),
    });
    // The generator reaches both sides: accepted requests and refused ones.
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
    expect(errors).toEqual([]);
    expect(server.stats().liveStreams).toBe(0);
  }, 120_000);
});
