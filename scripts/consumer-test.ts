// `npm run test:consumer`: chartsync as its users get it. Packs the package, checks the tarball (publint,
// are-the-types-wrong), installs it into fresh projects — a plain Node ESM script that imports every entry
// and runs the server bin, a `tsc --moduleResolution nodenext` project that uses typed tables, and a Vite
// React app for React 18 and for React 19 — builds the apps and, in Chromium, syncs a row from each
// through the packed `chartsync-server`. Needs the npm registry and Debian's Chromium; nothing else.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/e2e/chromium';
import { serveFolder } from '../test/e2e/serveFolder';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'chartsync-consumer-'));
const keep = process.env.KEEP_CONSUMER === '1';
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const step = (text: string) => process.stdout.write(`[consumer] ${text}\n`);
const run = (command: string, args: readonly string[], cwd: string) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const children: ChildProcess[] = [];
const servers: Server[] = [];

function project(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

/** npm install into a fresh project, from the registry (and the packed tarball). */
function install(dir: string, packages: readonly string[]): void {
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...packages], dir);
}

try {
  step('packing');
  run('npm', ['run', 'build', '--silent'], root);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as Array<{ filename: string; size: number }>;
  const tarball = join(work, packed[0]!.filename);
  step(`${packed[0]!.filename}: ${(packed[0]!.size / 1024).toFixed(1)} KB packed`);
  run(bin('publint'), ['--strict', tarball], root);
  run(bin('attw'), ['--profile', 'esm-only', tarball], root);
  step('publint and are-the-types-wrong: clean');

  const pkg = { type: 'module', private: true };
  // 1. Node ESM: every entry imports; the bin prints its usage. pg stays uninstalled (an optional peer).
  const node = project('node', {
    'package.json': JSON.stringify({ ...pkg, name: 'consumer-node' }),
    'check.mjs': `
import assert from 'node:assert/strict';
const root = await import('chartsync');
const react = await import('chartsync/react');
const server = await import('chartsync/server');
const internal = await import('chartsync/internal');
for (const [entry, names] of [[root, ['createSyncEngine', 'newId', 'ChartsyncError']], [react, ['SyncProvider', 'useSyncStatus', 'useSuspenseSync']], [server, ['createSyncServer', 'createSyncHandler']], [internal, ['openLocalStore', 'createSyncLock', 'coalesceOps']]])
  for (const name of names) assert.equal(typeof entry[name], 'function', name);
assert.equal(typeof internal.syncMachine, 'object');
assert.equal('unstable_crash' in root, false);
const handler = await server.createSyncHandler({ databaseUrl: null, auth: { mode: 'dev' }, logger: { info() {}, error() {} } });
const health = await handler.fetch(new Request('http://app.local/healthz'));
assert.equal(health.status, 200);
await handler.close();
console.log('node consumer: ok');
`,
    'typed.ts': `
import { createSyncEngine, type SyncEngine } from 'chartsync';
import { useSyncEngine } from 'chartsync/react';
interface Task { id: string; title: string; done: boolean }
type Tables = { tasks: Task };
export const engine: SyncEngine<Tables> = createSyncEngine<Tables>({ name: 'app', url: 'http://127.0.0.1:8787', token: 't', tables: { tasks: 'id, done' } });
export async function use(): Promise<string | undefined> {
  await engine.table('tasks').put({ id: 't1', title: 'typed', done: false });
  // @ts-expect-error: no table 'taks'
  engine.table('taks');
  // @ts-expect-error: done is a boolean
  await engine.table('tasks').put({ id: 't2', title: 'x', done: 'no' });
  return (await engine.table('tasks').get('t1'))?.title;
}
export function useTasks(): SyncEngine<Tables> {
  return useSyncEngine<Tables>();
}
`,
    // skipLibCheck: dexie-react-hooks' own declarations name packages it does not depend on (yjs). Should
    // chartsync's types fail to resolve, they would turn into any and the @ts-expect-error lines above fail.
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        lib: ['es2023', 'dom'],
        types: [],
      },
      files: ['typed.ts'],
    }),
  });
  step('installing the Node consumer');
  install(node, [
    tarball,
    'dexie@4',
    'xstate@5',
    'react@19',
    'react-dom@19',
    '@types/react@19',
    'hono@4',
    '@hono/node-server@2',
    'jose@6',
    '@electric-sql/pglite@0.5',
  ]);
  process.stdout.write(run('node', ['check.mjs'], node));
  const help = run(join(node, 'node_modules', '.bin', 'chartsync-server'), ['--help'], node);
  if (!help.startsWith('Usage: chartsync-server')) throw new Error(`chartsync-server --help printed:\n${help}`);
  step('chartsync-server --help: ok');
  // pg is not installed here: asked for PostgreSQL, the bin names the package to install, without a stack.
  const noPg = spawnSync(join(node, 'node_modules', '.bin', 'chartsync-server'), ['--dev', '--port', '0'], {
    cwd: node,
    env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', JWT_SECRET: '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (noPg.status !== 1 || !/npm install pg/.test(noPg.stderr) || /\bat .*:\d+:\d+/.test(noPg.stderr))
    throw new Error(`chartsync-server without pg: exit ${noPg.status}, stderr:\n${noPg.stderr}`);
  step('chartsync-server without its optional peer pg: names it (exit 1)');
  run(bin('tsc'), ['-p', join(node, 'tsconfig.json')], node);
  step('tsc --moduleResolution nodenext on typed tables: ok');

  // 2. Vite React apps, React 18 and 19: each builds, then syncs a row in Chromium through the packed bin.
  const app = (react: string) =>
    project(`react${react}`, {
      'package.json': JSON.stringify({ ...pkg, name: `consumer-react${react}` }),
      'index.html': '<!doctype html><html><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>',
      'src/main.tsx': `
import { createSyncEngine, newId } from 'chartsync';
import { SyncProvider, useLiveQuery, useSyncEngine, useSyncStatus } from 'chartsync/react';
import { StrictMode, version } from 'react';
import { createRoot } from 'react-dom/client';

interface Note { id: string; text: string }
type Tables = { notes: Note };
const params = new URLSearchParams(location.search);
const server = params.get('server')!;
const answer = await fetch(server + '/auth/dev-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ org: params.get('org'), user: 'app', role: 'worker' }) });
const { token } = await answer.json();
const engine = createSyncEngine<Tables>({ name: 'consumer-' + params.get('org'), url: server, token, tables: { notes: 'id' } });

function Notes() {
  const e = useSyncEngine<Tables>();
  const { status, pending } = useSyncStatus();
  const notes = useLiveQuery(() => e.table('notes').toArray(), [e], []);
  return (
    <main>
      <button type="button" onClick={() => void e.table('notes').put({ id: newId(), text: 'from React ' + version })}>Add</button>
      <p role="status">{status} pending:{pending}</p>
      <ul>{notes.map((n) => <li key={n.id}>{n.text}</li>)}</ul>
    </main>
  );
}
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SyncProvider engine={engine} fallback={<p>starting</p>}>
      <Notes />
    </SyncProvider>
  </StrictMode>,
);
`,
    });
  const apps = ['18', '19'].map((react) => ({ react, dir: app(react) }));
  for (const { react, dir } of apps) {
    step(`installing the React ${react} app`);
    install(dir, [tarball, `react@${react}`, `react-dom@${react}`, 'dexie@4', 'xstate@5']);
    run('node', [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn', dir], dir);
    step(`React ${react} app: built`);
  }

  step('starting the packed chartsync-server');
  const server = spawn(join(node, 'node_modules', '.bin', 'chartsync-server'), ['--dev', '--port', '0', '--data', join(work, 'data')], {
    cwd: node,
    // PGlite in a folder of its own whatever DATABASE_URL CI has set (pg is not installed here).
    env: { ...process.env, DATABASE_URL: '', JWT_SECRET: '', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(server);
  const serverUrl = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /chartsync server on (http:\/\/[^\s]+)/.exec(out);
      if (match) resolveUrl(match[1]!);
    });
    server.once('exit', (code) => reject(new Error(`chartsync-server exited with ${code}: ${out}`)));
  });

  const browser = await launchChromium();
  try {
    for (const { react, dir } of apps) {
      const folder = await serveFolder(join(dir, 'dist'));
      servers.push(folder);
      const appUrl = `http://127.0.0.1:${(folder.address() as AddressInfo).port}`;
      const org = `consumer-${react}-${Date.now().toString(36)}`;
      const page = await (await browser.newContext()).newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${appUrl}/?server=${encodeURIComponent(serverUrl)}&org=${org}`);
      await page
        .getByRole('status')
        .filter({ hasText: /idle pending:0/ })
        .waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Add' }).click();
      await page
        .getByRole('listitem')
        .filter({ hasText: `from React ${react}.` })
        .waitFor({ timeout: 10_000 });
      await page
        .getByRole('status')
        .filter({ hasText: /idle pending:0/ })
        .waitFor({ timeout: 20_000 });
      const rows = await pullAll(serverUrl, org);
      if (rows.length !== 1 || !String(rows[0]!.text).startsWith(`from React ${react}.`))
        throw new Error(`React ${react}: the server holds ${JSON.stringify(rows)}`);
      if (errors.length) throw new Error(`React ${react}: page errors: ${errors.join('; ')}`);
      step(`React ${react} app in Chromium: a row synced through chartsync-server (${rows[0]!.text})`);
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
  step('all consumers: ok');
} finally {
  for (const child of children) child.kill('SIGTERM');
  for (const server of servers) server.close();
  if (!keep) rmSync(work, { recursive: true, force: true });
}

/** The rows of `org` on the server, read with a token of another user. */
async function pullAll(server: string, org: string): Promise<Array<Record<string, unknown>>> {
  const answer = await fetch(`${server}/auth/dev-token`, { method: 'POST', body: JSON.stringify({ org, user: 'checker', role: 'worker' }) });
  const { token } = (await answer.json()) as { token: string };
  const page = (await (await fetch(`${server}/sync/pull?limit=100`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
    changes: Array<{ row: Record<string, unknown> }>;
  };
  return page.changes.map((c) => c.row).filter((row) => !row._deleted);
}
