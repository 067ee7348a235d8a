import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncMachine } from '../../machines/syncMachine';
import { machineEdges } from '../../scripts/viz/machineEdges';
import { renderMermaid } from '../../scripts/viz/renderMermaid';
import { renderVisualizations } from '../../scripts/viz/renderVisualizations';

const dir = join(import.meta.dirname, '..', '..', 'visualizations');

describe('visualizations/', () => {
  it('matches what npm run viz generates from machines/ (run it when this fails)', async () => {
    const expected = renderVisualizations();
    expect((await readdir(dir)).sort()).toEqual([...expected.keys()].sort());
    for (const [name, content] of expected) {
      expect(await readFile(join(dir, name), 'utf8'), `visualizations/${name} is stale: run npm run viz`).toBe(content);
    }
  });

  it('draws every transition that has a target, always ones included', () => {
    const mermaid = renderMermaid(syncMachine);
    const drawn = mermaid.split('\n').filter((line) => line.includes(' --> ') && !line.includes('[*]'));
    const edges = machineEdges(syncMachine).filter((e) => !e.targetless);
    expect(drawn).toHaveLength(edges.reduce((n, e) => n + e.targets.length, 0));
    expect(mermaid).toContain('pushed --> pushing : always [moreToPush]');
    expect(mermaid).toContain('waiting --> probing : after backoff');
  });
});
