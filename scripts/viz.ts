// `npm run viz`: regenerates visualizations/ from machines/. `npm run viz -- --check` only reports staleness.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderVisualizations } from './viz/renderVisualizations';

const dir = join(import.meta.dirname, '..', 'visualizations');
const check = process.argv.includes('--check');
const files = renderVisualizations();
await mkdir(dir, { recursive: true });
const stale: string[] = [];
for (const [name, content] of files) {
  const current = await readFile(join(dir, name), 'utf8').catch(() => null);
  if (current === content) continue;
  stale.push(name);
  if (!check) await writeFile(join(dir, name), content);
}
for (const name of await readdir(dir)) {
  if (files.has(name)) continue;
  stale.push(name);
  if (!check) await rm(join(dir, name));
}
if (check && stale.length > 0) {
  console.error(`visualizations/ is stale (${stale.join(', ')}): run npm run viz`);
  process.exit(1);
}
console.log(stale.length === 0 ? 'visualizations/ is up to date' : `visualizations/: wrote ${stale.join(', ')}`);
