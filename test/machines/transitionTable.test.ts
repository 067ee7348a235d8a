import { describe, expect, it } from 'vitest';
import { STATUS_TRANSITIONS, type SyncTopState } from '../../machines/transitions';
import { syncMachine } from '../../machines/syncMachine';
import { machineEdges } from '../../scripts/viz/machineEdges';

// State ids are `sync.lifecycle.<top-level state>...`; the live region has no statuses.
function topLevel(stateId: string): string | null {
  const parts = stateId.split('.');
  return parts[1] === 'lifecycle' && parts.length >= 3 ? parts[2]! : null;
}

/** The moves between distinct top-level states that syncMachine's graph can make. */
function graphMoves(): Set<string> {
  const moves = new Set<string>();
  for (const edge of machineEdges(syncMachine)) {
    const from = topLevel(edge.source);
    for (const target of edge.targets) {
      const to = topLevel(target);
      if (from && to && from !== to) moves.add(`${from} → ${to}`);
    }
  }
  return moves;
}

describe('syncMachine against the transition table', () => {
  const table = new Set(Object.entries(STATUS_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from} → ${to}`)));
  const graph = graphMoves();

  it('has no edge between top-level states that the table forbids', () => {
    const extra = [...graph].filter((move) => !table.has(move));
    expect(extra, `edges not in transitions.ts: ${extra.join(', ')}`).toEqual([]);
  });

  it('has an edge for every move the table allows', () => {
    const missing = [...table].filter((move) => !graph.has(move));
    expect(missing, `table rows without an edge: ${missing.join(', ')}`).toEqual([]);
  });

  it("has exactly the table's top-level states", () => {
    const states = Object.keys(syncMachine.root.states.lifecycle!.states).sort();
    expect(states).toEqual((Object.keys(STATUS_TRANSITIONS) as SyncTopState[]).sort());
  });
});
