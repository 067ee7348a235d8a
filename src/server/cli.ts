// `chartsync-server` (here: `npm run server -- ...`): the reference sync server from the command line.
import { parseArgs } from 'node:util';
import { isChartsyncError } from '../core/errors';
import { stderrLogger, type ServerLogger } from './logger';
import { missingPackage } from './missingPackage';

/** The server's packages: optional peer dependencies of chartsync, installed by those who run the server. */
const SERVER_PACKAGES = ['hono', '@hono/node-server', 'jose', '@electric-sql/pglite', 'pg'];

const USAGE = `Usage: chartsync-server [options]

Options (each falls back to an environment variable):
  --port <n>            TCP port (PORT; default 8787)
  --host <addr>         interface to bind (HOST; default 127.0.0.1)
  --data <dir>          PGlite data folder (CHARTSYNC_DATA; default .chartsync-data); ignored with DATABASE_URL
  --retention <d>       how long deletions and op outcomes are kept: 30d, 12h, 90m, 45s (CHARTSYNC_RETENTION; default 30d)
  --tables <a,b>        the tables this server syncs (CHARTSYNC_TABLES; default any)
  --dev                 dev tokens from POST /auth/dev-token (loopback only; refused while JWT_SECRET is set)
  -h, --help            this text

Environment:
  DATABASE_URL          PostgreSQL connection string (default: embedded PGlite in --data)
  JWT_SECRET            HS256 secret of the bearer tokens (required without --dev)
  LOG_LEVEL             error or info (default info: a line per request too): JSON lines on stderr
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      dev: { type: 'boolean', default: false },
      tables: { type: 'string' },
      retention: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const env = process.env;
const option = (name: string, variable: string, fallback?: string) => (values[name] as string | undefined) ?? env[variable] ?? fallback;

// `30d`, `12h`, `90m`, `45s`: how long deletions and op outcomes are kept.
const retentionText = option('retention', 'CHARTSYNC_RETENTION', '30d')!;
const retention = /^(\d+)(d|h|m|s)$/.exec(retentionText);
if (!retention) fail(`--retention must be a duration like 30d, 12h, 90m or 45s, got ${retentionText}`);
const retentionMs = Number(retention[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[retention[2] as 'd' | 'h' | 'm' | 's'];

const portText = option('port', 'PORT', '8787')!;
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got ${portText}`);
const host = option('host', 'HOST', '127.0.0.1')!;
const data = option('data', 'CHARTSYNC_DATA', '.chartsync-data')!;
const tables = option('tables', 'CHARTSYNC_TABLES');
const secret = env.JWT_SECRET;
if (values.dev && secret)
  fail(
    '--dev signs tokens with a random secret of its own; with JWT_SECRET set, dev tokens could be taken for real ones. Unset JWT_SECRET for local trials, or drop --dev.',
  );
if (!values.dev && !secret) fail('Set JWT_SECRET (HS256 secret of your tokens), or pass --dev for local trials with dev tokens.');
const level = env.LOG_LEVEL ?? 'info';
if (level !== 'info' && level !== 'error') fail(`LOG_LEVEL must be error or info, got ${level}`);
const logger: ServerLogger = level === 'error' ? { info: () => undefined, error: stderrLogger.error } : stderrLogger;

// SIGTERM (a deploy, a container stop) and SIGINT end in-flight requests' sockets, close the database, exit
// 0 — once, however many signals come (a process manager's SIGTERM then SIGINT, Ctrl-C twice), and also when
// one comes while the server is still starting (it finishes starting, then closes).
let starting: Promise<{ close(): Promise<void> } | null> = Promise.resolve(null);
let stopping: Promise<void> | null = null;
const stop = (): Promise<void> =>
  (stopping ??= starting
    .then((server) => server?.close())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    ));
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  const { createSyncServer } = await import('./createSyncServer').catch((error: unknown) => {
    const missing = missingPackage(error, SERVER_PACKAGES);
    if (!missing) throw error;
    process.stderr.write(
      `chartsync-server needs ${missing}, which is not installed. The server's packages are optional peers of chartsync:\n  npm install hono @hono/node-server jose @electric-sql/pglite   (and pg for DATABASE_URL)\n`,
    );
    process.exit(1);
  });
  const started = createSyncServer({
    port,
    host,
    dataDir: data,
    auth: values.dev ? { mode: 'dev' } : { mode: 'jwt', secret: secret! },
    ...(tables ? { tables: tables.split(',') } : {}),
    retentionMs,
    logger,
    requestLog: level === 'info',
  });
  starting = started.catch(() => null);
  const server = await started;
  process.stdout.write(
    `chartsync server on ${server.url} (${server.storage.kind === 'postgres' ? 'PostgreSQL' : `PGlite in ${data}`}${values.dev ? ', dev tokens on' : ''})\n`,
  );
} catch (error) {
  // A refusal the operator can act on (a locked data folder, a bad config): its message, no stack trace.
  if (isChartsyncError(error)) {
    process.stderr.write(`chartsync server did not start: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
