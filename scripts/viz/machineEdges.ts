import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

/** One transition of a machine, `always` transitions included (toDirectedGraph omits them). */
export interface MachineEdge {
  /** Stable key: source id | event | index among that event's transitions. */
  key: string;
  source: string;
  /** Target state id (the source itself for a targetless transition). */
  targets: string[];
  event: string;
  guard: string | null;
  /** True for a transition without a target (actions only). */
  targetless: boolean;
}

/** Every state node of a machine, root first, in document order. */
export function allStateNodes(machine: AnyStateMachine): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  const visit = (node: AnyStateNode): void => {
    out.push(node);
    for (const child of Object.values(node.states) as AnyStateNode[]) visit(child);
  };
  visit(machine.root);
  return out;
}

/** The stable key of a transition definition (the same across `machine.provide()` copies). */
export function transitionKey(t: AnyTransitionDefinition): string {
  const source = t.source as AnyStateNode;
  const list: AnyTransitionDefinition[] = t.eventType === '' ? (source.always ?? []) : (source.transitions.get(t.eventType) ?? []);
  const event = t.eventType === '' ? 'always' : t.eventType;
  return `${source.id}|${event}|${list.indexOf(t)}`;
}

function guardName(t: AnyTransitionDefinition): string | null {
  const guard = t.guard as unknown;
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in (guard as object)) return String((guard as { type: unknown }).type);
  return 'guard';
}

/** Every transition of every state node of a machine. */
export function machineEdges(machine: AnyStateMachine): MachineEdge[] {
  const edges: MachineEdge[] = [];
  for (const node of allStateNodes(machine)) {
    const lists: AnyTransitionDefinition[][] = [...node.transitions.values(), node.always ?? []];
    for (const list of lists) {
      for (const t of list) {
        const targets = (t.target as AnyStateNode[] | undefined)?.map((n) => n.id) ?? [];
        edges.push({
          key: transitionKey(t),
          source: node.id,
          targets: targets.length ? targets : [node.id],
          event: t.eventType === '' ? 'always' : t.eventType,
          guard: guardName(t),
          targetless: targets.length === 0,
        });
      }
    }
  }
  return edges;
}
