import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (/\.tsx?$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Every import of a file: [specifier, type-only]. */
async function importsOf(file: string): Promise<Array<[string, boolean]>> {
  const text = await readFile(join(root, file), 'utf8');
  return [...text.matchAll(/^(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => [m[3]!, Boolean(m[2])]);
}

function resolveLayer(file: string, specifier: string): string {
  if (!specifier.startsWith('.'))
    return `pkg:${specifier
      .split('/')
      .slice(0, specifier.startsWith('@') ? 2 : 1)
      .join('/')}`;
  const target = relative(root, join(root, file, '..', specifier));
  const parts = target.split('/');
  if (parts[0] !== 'src') return parts[0]!;
  return `src/${parts[1]}`;
}

// What each layer may import at run time (type-only imports of lower layers are always fine).
const allowed: Record<string, (layer: string) => boolean> = {
  machines: (l) => l === 'machines' || l === 'src/core' || l === 'pkg:xstate',
  'src/core': (l) => l === 'src/core',
  'src/protocol': (l) => ['src/core', 'src/protocol', 'pkg:zod'].includes(l),
  'src/local': (l) => ['src/core', 'src/protocol', 'src/local', 'pkg:dexie'].includes(l),
  'src/coordination': (l) => ['src/core', 'src/local', 'src/coordination', 'pkg:dexie'].includes(l),
  'src/react': (l) => ['src/react', 'src/core', 'src/local', 'src/engine', 'machines', 'pkg:react', 'pkg:@xstate/react', 'pkg:dexie-react-hooks'].includes(l),
  'src/actors': (l) =>
    ['src/core', 'src/protocol', 'src/local', 'src/coordination', 'src/transport', 'src/actors', 'machines', 'pkg:xstate', 'pkg:dexie'].includes(l),
};

describe('dependency direction', () => {
  it.each(Object.keys(allowed))('%s imports only what its layer may', async (layer) => {
    const bad: string[] = [];
    const files = await filesUnder(layer);
    expect(files.length).toBeGreaterThan(0);
    let seen = 0;
    for (const file of files) {
      for (const [specifier, typeOnly] of await importsOf(file)) {
        seen += 1;
        const target = resolveLayer(file, specifier);
        if (typeOnly && !target.startsWith('pkg:')) continue;
        if (!allowed[layer]!(target)) bad.push(`${file} imports ${specifier}`);
      }
    }
    expect(seen).toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });

  it('only src/react imports React', async () => {
    const bad: string[] = [];
    for (const dir of ['src', 'machines']) {
      for (const file of await filesUnder(dir)) {
        if (file.startsWith('src/react') || file.startsWith('src/demo')) continue;
        for (const [specifier] of await importsOf(file))
          if (/^(react|react-dom|@xstate\/react|dexie-react-hooks)(\/|$)/.test(specifier)) bad.push(`${file} imports ${specifier}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
