import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { allStateNodes, machineEdges, type MachineEdge } from './machineEdges';

// Mermaid ids: a state's own key where it is unique in the machine, its path otherwise. Composite states
// always use their bare key (Mermaid mislinks aliased composites), so composite keys must be unique.
function idsOf(machine: AnyStateMachine): Map<string, string> {
  const nodes = allStateNodes(machine).slice(1);
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(node.key, (counts.get(node.key) ?? 0) + 1);
  return new Map(nodes.map((node) => [node.id, counts.get(node.key) === 1 ? node.key : node.id.replace(/[^A-Za-z0-9]/g, '_')]));
}

/** A short, readable label for an event type. */
export function eventLabel(event: string): string {
  const done = /^xstate\.done\.actor\.(.+)$/.exec(event);
  if (done) return `done.${done[1]}`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(event);
  if (error) return `error.${error[1]}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after) return `after ${after[1]}`;
  return event;
}

function edgeLine(ids: Map<string, string>, edge: MachineEdge, target: string): string {
  const label = edge.guard ? `${eventLabel(edge.event)} [${edge.guard}]` : eventLabel(edge.event);
  return `  ${ids.get(edge.source)} --> ${ids.get(target)} : ${label}`;
}

function stateLines(ids: Map<string, string>, node: AnyStateNode, depth: number): string[] {
  const pad = '  '.repeat(depth);
  const lines: string[] = [];
  const initial = node.initial?.target?.[0] as AnyStateNode | undefined;
  if (initial) lines.push(`${pad}[*] --> ${ids.get(initial.id)}`);
  for (const child of Object.values(node.states) as AnyStateNode[]) {
    const id = ids.get(child.id)!;
    if (Object.keys(child.states).length > 0) {
      if (id !== child.key) throw new Error(`Mermaid: composite state "${child.id}" needs a key unique in its machine`);
      lines.push(`${pad}state ${id} {`, ...stateLines(ids, child, depth + 1), `${pad}}`);
    } else {
      lines.push(id === child.key ? `${pad}state ${id}` : `${pad}state "${child.key}" as ${id}`);
    }
    if (child.type === 'final') lines.push(`${pad}${id} --> [*]`);
  }
  return lines;
}

/**
 * A Mermaid stateDiagram-v2 of a machine: compound states nest, initial and final states are marked, and
 * every transition with a target is drawn — `always` ones included — labelled with its event and guard.
 * Targetless transitions (actions only) are left out: they do not change the state.
 */
export function renderMermaid(machine: AnyStateMachine): string {
  // Edges come after all state blocks, so Mermaid has placed every nested state before linking it.
  const ids = idsOf(machine);
  const edges = machineEdges(machine)
    .filter((edge) => !edge.targetless && edge.source !== machine.root.id)
    .flatMap((edge) => edge.targets.map((target) => edgeLine(ids, edge, target)));
  return `${['stateDiagram-v2', ...stateLines(ids, machine.root, 1), ...edges].join('\n')}\n`;
}
