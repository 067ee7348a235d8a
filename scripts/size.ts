// `npm run size`: the bundle budget. Bundles what an app imports (every dependency included, minified)
// and fails when the gzipped size passes the budget. Run after `npm run build`.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'rolldown';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Budgets, bytes of min+gzip. */
export const BUDGETS = { engine: 90 * 1024, reactOwn: 3 * 1024 };

async function gzipped(source: string, external: readonly string[] = []): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'chartsync-size-'));
  try {
    const entry = join(dir, 'app.js');
    writeFileSync(entry, source);
    await build({
      input: entry,
      cwd: root,
      platform: 'browser',
      external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
      resolve: { conditionNames: ['browser', 'import', 'default'] },
      output: { dir, format: 'esm', minify: true, entryFileNames: 'out.js', codeSplitting: false },
      logLevel: 'silent',
    });
    return gzipSync(readFileSync(join(dir, 'out.js')), { level: 9 }).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const dist = (entry: string) => JSON.stringify(join(root, 'dist', entry));
const engine = await gzipped(`import { createSyncEngine, newId } from ${dist('index.js')};\nexport { createSyncEngine, newId };\n`);
// The React entry's own code: the app already has React; what chartsync/react brings on top of the engine.
const reactDeps = ['react', 'react-dom', '@xstate/react', 'dexie-react-hooks'];
const withReact = await gzipped(
  `import { createSyncEngine, newId } from ${dist('index.js')};\nexport * from ${dist('react.js')};\nexport { createSyncEngine, newId };\n`,
  reactDeps,
);
const engineAlone = await gzipped(`import { createSyncEngine, newId } from ${dist('index.js')};\nexport { createSyncEngine, newId };\n`, reactDeps);
const reactOwn = withReact - engineAlone;

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const lines = [
  `createSyncEngine + newId, every dependency bundled: ${kb(engine)} min+gzip (budget ${kb(BUDGETS.engine)})`,
  `chartsync/react on top, its own code: ${kb(reactOwn)} min+gzip (budget ${kb(BUDGETS.reactOwn)})`,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (engine > BUDGETS.engine || reactOwn > BUDGETS.reactOwn) {
  process.stderr.write('Over the bundle budget: see what grew with `npm run size` after `npm run build`.\n');
  process.exit(1);
}
