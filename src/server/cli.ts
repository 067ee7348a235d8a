// `npm run server -- --port 8787 --data .chartsync-data [--dev] [--host 127.0.0.1] [--retention 30d]`
// DATABASE_URL switches to PostgreSQL; JWT_SECRET sets the HS256 secret.
import { parseArgs } from 'node:util';
import { createSyncServer } from './createSyncServer';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string', default: '.chartsync-data' },
    dev: { type: 'boolean', default: false },
    tables: { type: 'string' },
    retention: { type: 'string', default: '30d' },
  },
});

// `30d`, `12h`, `90m`, `45s`: how long deletions and op outcomes are kept.
const retention = /^(\d+)(d|h|m|s)$/.exec(values.retention ?? '');
if (!retention) {
  console.error(`--retention must be a duration like 30d, 12h, 90m or 45s, got ${values.retention}`);
  process.exit(2);
}
const retentionMs = Number(retention[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[retention[2] as 'd' | 'h' | 'm' | 's'];

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got ${values.port}`);
  process.exit(2);
}
const secret = process.env.JWT_SECRET;
if (values.dev && secret) {
  console.error(
    '--dev signs tokens with a random secret of its own; with JWT_SECRET set, dev tokens could be taken for real ones. Unset JWT_SECRET for local trials, or drop --dev.',
  );
  process.exit(2);
}
if (!values.dev && !secret) {
  console.error('Set JWT_SECRET (HS256 secret of your tokens), or pass --dev for local trials with dev tokens.');
  process.exit(2);
}

const server = await createSyncServer({
  port,
  host: values.host,
  dataDir: values.data,
  auth: values.dev ? { mode: 'dev' } : { mode: 'jwt', secret: secret! },
  ...(values.tables ? { tables: values.tables.split(',') } : {}),
  retentionMs,
});
console.log(
  `chartsync server on ${server.url} (${server.storage.kind === 'postgres' ? 'PostgreSQL' : `PGlite in ${values.data}`}${values.dev ? ', dev tokens on' : ''})`,
);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
