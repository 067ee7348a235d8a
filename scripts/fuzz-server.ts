// `npm run fuzz:server -- --runs N [--seed S] [--postgres]`: the HTTP fuzzer of the server for long runs
// (the fast profile runs in npm test). Every answer must be a 2xx, or a 4xx with { error: { code, message } }
// that changed nothing; never a 5xx. --postgres uses DATABASE_URL instead of PGlite.
import { createSyncServer } from '../src/server/createSyncServer';
import { fuzzHttp } from '../test/fuzz/httpFuzz';
import { SECRET } from '../test/integration/server/harness';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const runs = Number(flag('runs') ?? 2000);
const seed = flag('seed') !== undefined ? Number(flag('seed')) : Date.now() % 2 ** 31;
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz:server -- --runs N [--seed S] [--postgres]');
  process.exit(2);
}
const errors: unknown[] = [];
const server = await createSyncServer({
  port: 0,
  databaseUrl: process.argv.includes('--postgres') ? (process.env.DATABASE_URL ?? null) : null,
  auth: { mode: 'jwt', secret: SECRET },
  tables: ['tasks', 'notes'],
  limits: { maxBodyBytes: 64 * 1024, maxRowBytes: 8192 },
  logger: { info: () => undefined, error: (fields) => errors.push(fields) },
});
const statuses = new Map<number, number>();
const started = performance.now();
let failed = false;
console.log(`[fuzz:server] seed ${seed}: ${runs} requests against ${server.storage.kind}`);
try {
  await fuzzHttp(server, { runs, seed, onRun: (v) => statuses.set(v.status, (statuses.get(v.status) ?? 0) + 1) });
} catch (error) {
  failed = true;
  console.error((error as Error).message);
}
const mix = [...statuses.entries()]
  .sort(([a], [b]) => a - b)
  .map(([s, n]) => `${s}×${n}`)
  .join(' ');
console.log(
  `[fuzz:server] ${failed ? 'FAILED' : 'passed'} in ${((performance.now() - started) / 1000).toFixed(1)} s; statuses ${mix}; server errors logged: ${errors.length}; open streams ${server.stats().liveStreams}`,
);
await server.close();
process.exit(failed || errors.length > 0 ? 1 : 0);
