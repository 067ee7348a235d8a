import type { AnyStateMachine } from 'xstate';
import { connectionMachine } from '../../machines/connectionMachine';
import { initialSyncMachine } from '../../machines/initialSyncMachine';
import { syncMachine } from '../../machines/syncMachine';
import { tableSyncMachine } from '../../machines/tableSyncMachine';
import { renderMermaid } from './renderMermaid';

/** The machines drawn in visualizations/, with one line on each. */
export const DRAWN_MACHINES: ReadonlyArray<{ name: string; machine: AnyStateMachine; summary: string }> = [
  {
    name: 'syncMachine',
    machine: syncMachine,
    summary:
      'The root lifecycle: crash-recovery rehydration, then idle / syncing (lock → push batches → initial download → per-table pulls) / offline / reconnecting (backoff, probe, circuit breaker) / error.',
  },
  {
    name: 'tableSyncMachine',
    machine: tableSyncMachine,
    summary:
      'One per synced table, spawned by the root as `table:<name>`: fetch a page → apply it atomically → more? — cancellable without applying half a page.',
  },
  {
    name: 'initialSyncMachine',
    machine: initialSyncMachine,
    summary: 'The first full download of every table that never completed one, one table child each, with overall progress.',
  },
  {
    name: 'connectionMachine',
    machine: connectionMachine,
    summary: 'Online/offline from the environment and from request outcomes, with a latency average and a quality grade; tells the root ONLINE / OFFLINE.',
  },
];

function readme(): string {
  const sections = DRAWN_MACHINES.map(({ name, machine, summary }) =>
    [`## ${name}`, '', summary, '', '```mermaid', renderMermaid(machine).trimEnd(), '```', ''].join('\n'),
  );
  return [
    '# Visualizations',
    '',
    'Generated from `machines/` by `npm run viz` — do not edit by hand; a test fails when these files are stale.',
    'Each machine has a Mermaid diagram (`<machine>.mmd`, rendered below and on GitHub) and its resolved definition',
    '(`<machine>.json`, from `machine.toJSON()`) for diffs and custom renderers. Transitions are labelled',
    '`event [guard]`; `done.<id>` / `error.<id>` are an invoked actor finishing or failing; `always` transitions',
    'are drawn too.',
    '',
    "**Open a machine in Stately's visual editor:** in Stately Studio (stately.ai/registry/new) choose",
    '"Import from code" and paste the machine\'s `machines/<machine>.ts` (with its `setup({...})`); or install',
    'the Stately editor extension for VS Code ("XState VSCode") and click "Open visual editor" above',
    '`createMachine` in the file. For the live system, start the engine with `inspect` (see the main README).',
    '',
    ...sections,
  ].join('\n');
}

/** Every file of visualizations/, by file name, rendered in memory. */
export function renderVisualizations(): Map<string, string> {
  const files = new Map<string, string>();
  for (const { name, machine } of DRAWN_MACHINES) {
    files.set(`${name}.mmd`, renderMermaid(machine));
    files.set(`${name}.json`, `${JSON.stringify(machine.toJSON(), null, 2)}\n`);
  }
  files.set('README.md', readme());
  return files;
}
