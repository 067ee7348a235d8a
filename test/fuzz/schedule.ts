import fc from 'fast-check';

/** A fault injected into an engine's next request. */
export type FaultName = 'dropRequest' | 'dropResponse' | 'error503' | 'error503AfterCommit' | 'rateLimit' | 'timeout';

/** One step of a schedule. Values written are derived from the step's index, so every value is unique. */
export type Step =
  | { t: 'write'; e: number; row: number; kind: 'put' | 'update' | 'delete'; fields: number }
  | { t: 'net'; e: number; on: boolean }
  | { t: 'fault'; e: number; fault: FaultName }
  | { t: 'sync'; e: number }
  | { t: 'wait'; ms: number }
  | { t: 'kill'; e: number }
  | { t: 'outage'; ms: number };

/** What a schedule runs on. */
export interface Setup {
  /** Engines (devices, or tabs of one device when `tabs`). */
  engines: number;
  /** The table the users write: its policy is what the oracle checks. */
  table: 'tasks' | 'lww' | 'merge';
  /** Engines 0 and 1 are two tabs of one device (one IndexedDB database). */
  tabs: boolean;
  /** Ops per push: 1 or 2 make most cycles push several batches (the claims that read on from the last). */
  batchSize: number;
}

/** A seed's whole run. */
export interface Schedule {
  setup: Setup;
  steps: Step[];
}

const FAULTS: FaultName[] = ['dropRequest', 'dropResponse', 'error503', 'error503AfterCommit', 'rateLimit', 'timeout'];

/** Schedules of `minSteps`..`maxSteps` steps: mostly writes on a few shared rows, with offline periods, faults, kills and outages. */
export function scheduleArbitrary(minSteps: number, maxSteps: number): fc.Arbitrary<Schedule> {
  return fc
    .record({
      engines: fc.integer({ min: 2, max: 4 }),
      table: fc.constantFrom<Setup['table']>('tasks', 'tasks', 'lww', 'merge'),
      tabs: fc.boolean(),
      batchSize: fc.constantFrom(25, 25, 2, 1),
    })
    .chain((setup) => {
      const engine = fc.integer({ min: 0, max: setup.engines - 1 });
      const step: fc.Arbitrary<Step> = fc.oneof(
        {
          weight: 12,
          arbitrary: fc.record({
            t: fc.constant('write' as const),
            e: engine,
            row: fc.integer({ min: 0, max: 3 }),
            kind: fc.constantFrom<'put' | 'update' | 'delete'>('put', 'update', 'update', 'update', 'delete'),
            fields: fc.integer({ min: 1, max: 15 }),
          }),
        },
        { weight: 2, arbitrary: fc.record({ t: fc.constant('net' as const), e: engine, on: fc.boolean() }) },
        { weight: 3, arbitrary: fc.record({ t: fc.constant('fault' as const), e: engine, fault: fc.constantFrom(...FAULTS) }) },
        { weight: 2, arbitrary: fc.record({ t: fc.constant('sync' as const), e: engine }) },
        { weight: 2, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 40 }) }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('kill' as const), e: engine }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('outage' as const), ms: fc.integer({ min: 20, max: 150 }) }) },
      );
      return fc.record({
        setup: fc.constant({ ...setup, tabs: setup.tabs && setup.engines >= 3 }),
        steps: fc.array(step, { minLength: minSteps, maxLength: maxSteps }),
      });
    });
}
