import {
  SimulatedClock,
  type AnyActorRef,
  type AnyStateNode,
  type AnyMachineSnapshot,
  type AnyEventObject,
  type AnyStateMachine,
  type EventObject,
  type InspectionEvent,
} from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { expect } from 'vitest';
import { allStateNodes, machineEdges, transitionKey } from '../../scripts/viz/machineEdges';
import { FakeActors, flush } from './fakeActors';

/** What a model test checks after every step of every path. */
export interface StepCheck {
  snapshot: AnyMachineSnapshot;
  previous: AnyMachineSnapshot;
  event: EventObject;
  fakes: FakeActors;
  root: AnyActorRef;
}

/** One machine's model: how to traverse it and how to run its real actor. */
export interface ModelSpec {
  machine: AnyStateMachine;
  /**
   * The machine to traverse, when it must differ from `machine`: traversal runs every transition in one
   * inert actor system where stopped children are never unregistered, so a child spawned with a systemId
   * twice collides there (never at run time). Such models traverse a copy that spawns without systemIds.
   */
  traverse?: AnyStateMachine;
  input: unknown;
  events: AnyEventObject[];
  /** Projects a snapshot onto what its guards read, so the state space stays finite. */
  project: (snapshot: AnyMachineSnapshot) => unknown;
  /** The fixed delay (ms) the test provides for every `after`. */
  delayMs: number;
  /** Starts the real machine (provided with `fakes`) on the simulated clock; returns the actor under test. */
  start: (fakes: FakeActors, clock: SimulatedClock, inspect: (event: InspectionEvent) => void) => { actor: AnyActorRef; root: AnyActorRef };
  /** Invariants that must hold in the state reached. */
  check: (step: StepCheck) => void;
}

/** What a model run covered. */
export interface ModelReport {
  paths: number;
  steps: number;
  states: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[] };
}

function stateIds(prefix: string, value: unknown): string[] {
  if (typeof value === 'string') return [`${prefix}.${value}`];
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, sub]) => [`${prefix}.${key}`, ...stateIds(`${prefix}.${key}`, sub)]);
  }
  return [];
}

/**
 * Generates a path to every transition the traversal can take (the shortest path to each reachable state,
 * plus each enabled event from there) and runs every path against the REAL machine with fake actors:
 * after each step the real actor must be in the state the model predicts, and the spec's invariants must
 * hold. Returns the state and transition coverage of the real runs.
 */
export async function runModel(spec: ModelSpec): Promise<ModelReport> {
  const serializeState = (snapshot: AnyMachineSnapshot) => JSON.stringify([snapshot.value, spec.project(snapshot)]);
  const options = { events: spec.events, serializeState, input: spec.input } as NonNullable<Parameters<typeof getShortestPaths>[1]>;
  const model = spec.traverse ?? spec.machine;
  const heads = new Map(getShortestPaths(model, options).map((path) => [serializeState(path.state as AnyMachineSnapshot), path]));
  const adjacency = getAdjacencyMap(model, options);

  const paths: Array<Array<{ event: EventObject; state: AnyMachineSnapshot }>> = [];
  for (const [key, node] of Object.entries(adjacency)) {
    const head = heads.get(key);
    if (!head) continue;
    const before = paths.length;
    for (const { event, state } of Object.values(node.transitions) as Array<{ event: EventObject; state: AnyMachineSnapshot }>) {
      if (!(node.state as AnyMachineSnapshot).can(event)) continue;
      paths.push([...(head.steps as Array<{ event: EventObject; state: AnyMachineSnapshot }>), { event, state: state as AnyMachineSnapshot }]);
    }
    // The path to the state itself, when nothing leaves it (e.g. a machine that is done at start).
    if (paths.length === before) paths.push(head.steps as Array<{ event: EventObject; state: AnyMachineSnapshot }>);
  }

  const coveredTransitions = new Set<string>();
  const coveredStates = new Set<string>();
  const machineId = spec.machine.id;
  let steps = 0;

  for (const path of paths) {
    const fakes = new FakeActors();
    const clock = new SimulatedClock();
    const inspect = (event: InspectionEvent): void => {
      if (event.type !== '@xstate.microstep') return;
      for (const t of event._transitions) {
        coveredTransitions.add(transitionKey(t));
        // A transient state (left by an `always` at once) shows up only as the source of its transition.
        for (let node: AnyStateNode | undefined = t.source; node; node = node.parent) coveredStates.add(node.id);
      }
      const snapshot = event.snapshot as AnyMachineSnapshot;
      if (snapshot.machine?.id === machineId) {
        coveredStates.add(machineId);
        for (const id of stateIds(machineId, snapshot.value)) coveredStates.add(id);
      }
    };
    const { actor, root } = spec.start(fakes, clock, inspect);
    await flush();
    const description = path.map((s) => s.event.type).join(' → ');
    let previous = actor.getSnapshot() as AnyMachineSnapshot;
    for (const { event, state } of path.slice(1)) {
      steps += 1;
      const type = event.type;
      if (type.startsWith('xstate.done.actor.') || type.startsWith('xstate.error.actor.')) {
        const done = type.startsWith('xstate.done.actor.');
        const id = type.slice(done ? 'xstate.done.actor.'.length : 'xstate.error.actor.'.length);
        const payload = done ? (event as { output?: unknown }).output : (event as { error?: unknown }).error;
        if (!fakes.settle(id, done ? 'done' : 'error', payload)) actor.send(event);
      } else if (type.startsWith('xstate.after.') && spec.delayMs > 0) {
        // The timer's own event: a clock increment would also fire every other timer due by then.
        actor.send(event);
      } else if (type.startsWith('xstate.after.')) {
        clock.increment(spec.delayMs);
      } else {
        actor.send(event);
      }
      await flush();
      const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
      expect(snapshot.status, `${description}: actor status`).not.toBe('error');
      expect(serializeState(snapshot), `real machine diverged from the model after ${description}`).toBe(serializeState(state));
      spec.check({ snapshot, previous, event, fakes, root });
      previous = snapshot;
    }
    root.stop();
  }

  const allStates = allStateNodes(spec.machine).map((n) => n.id);
  const allTransitions = machineEdges(spec.machine).map((e) => e.key);
  const missingStates = allStates.filter((id) => !coveredStates.has(id));
  const missingTransitions = allTransitions.filter((key) => !coveredTransitions.has(key));
  return {
    paths: paths.length,
    steps,
    states: { covered: allStates.length - missingStates.length, total: allStates.length, missing: missingStates },
    transitions: { covered: allTransitions.length - missingTransitions.length, total: allTransitions.length, missing: missingTransitions },
  };
}

/** The coverage of several runs of one machine together (e.g. from different inputs). */
export function mergeReports(reports: ModelReport[]): ModelReport {
  const intersect = (lists: string[][]) => lists.reduce((acc, list) => acc.filter((x) => list.includes(x)));
  const states = intersect(reports.map((r) => r.states.missing));
  const transitions = intersect(reports.map((r) => r.transitions.missing));
  const first = reports[0]!;
  return {
    paths: reports.reduce((n, r) => n + r.paths, 0),
    steps: reports.reduce((n, r) => n + r.steps, 0),
    states: { covered: first.states.total - states.length, total: first.states.total, missing: states },
    transitions: { covered: first.transitions.total - transitions.length, total: first.transitions.total, missing: transitions },
  };
}

/** Prints a model run's coverage and fails below 100% of states or transitions. */
export function expectFullCoverage(name: string, report: ModelReport): void {
  const pct = (c: number, t: number) => ((100 * c) / t).toFixed(1);
  console.log(
    `[model] ${name}: ${report.paths} paths, ${report.steps} steps; states ${report.states.covered}/${report.states.total} (${pct(report.states.covered, report.states.total)}%), transitions ${report.transitions.covered}/${report.transitions.total} (${pct(report.transitions.covered, report.transitions.total)}%)`,
  );
  expect(report.states.missing, `${name}: states never visited`).toEqual([]);
  expect(report.transitions.missing, `${name}: transitions never taken`).toEqual([]);
}
