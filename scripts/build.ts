// `npm run build:lib`: the package's dist — ESM bundles per public entry (rolldown) and declaration files
// (tsc), whose relative imports get explicit `.js` paths so `nodenext` consumers resolve them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

/** The public entries: output name → source. */
const ENTRIES = {
  index: 'src/index.ts',
  react: 'src/react/index.ts',
  server: 'src/server/index.ts',
  internal: 'src/internal.ts',
  cli: 'src/server/cli.ts',
} as const;

// Every package the library imports stays an import: the app's bundler (or Node) resolves it once.
const packages = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const external = (id: string) => id.startsWith('node:') || packages.some((name) => id === name || id.startsWith(`${name}/`));

mkdirSync(dist, { recursive: true });
for (const name of readdirSync(dist, { withFileTypes: true })) if (name.name !== 'demo') rmSync(join(dist, name.name), { recursive: true, force: true });

await build({
  input: Object.fromEntries(Object.entries(ENTRIES).map(([name, source]) => [name, join(root, source)])),
  external,
  platform: 'neutral',
  tsconfig: join(root, 'tsconfig.json'),
  transform: { jsx: 'react-jsx' },
  output: {
    dir: dist,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    // The React entry runs in client components only (React Server Components frameworks read this).
    banner: (chunk) => (chunk.name === 'react' ? "'use client';" : chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
  },
});

// Declarations: tsc emits them for the entries (and what they reach) under dist/types.
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'scripts', 'tsconfig.build.json')], { stdio: 'inherit' });

const types = join(dist, 'types');
for (const file of walk(types)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\2/g, (whole, lead: string, quote: string, spec: string) => {
    const target = resolve(dirname(file), spec);
    if (existsSync(`${target}.d.ts`)) return `${lead}${quote}${spec}.js${quote}`;
    if (existsSync(join(target, 'index.d.ts'))) return `${lead}${quote}${spec}/index.js${quote}`;
    if (spec.endsWith('.js')) return whole;
    throw new Error(`${relative(root, file)}: cannot resolve ${spec}`);
  });
  if (fixed !== text) writeFileSync(file, fixed);
}
// The entries' declarations, next to their bundles (the `types` conditions point here).
for (const [name, source] of Object.entries(ENTRIES)) {
  if (name === 'cli') continue;
  const declaration = join(types, source.replace(/\.ts$/, '.d.ts'));
  const spec = `./${relative(dist, declaration).replace(/\.d\.ts$/, '.js')}`;
  writeFileSync(join(dist, `${name}.d.ts`), `export * from '${spec}';\n`);
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
