import { createMachine, fromCallback, fromPromise, type AnyActorLogic } from 'xstate';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Controllable stand-ins for a machine's invoked actors: promise actors that settle only when a test says
 * so, a lock that counts its holders, stub children that idle. They record what runs, so tests can assert
 * what must (not) be happening in each state.
 */
export class FakeActors {
  /** Unsettled promise actors by invoke id (most recent last). */
  readonly pending = new Map<string, Pending[]>();
  /** Promise actors currently running (started, not settled, not stopped), by name. */
  readonly running = new Map<string, number>();
  /** How many times each actor was started. */
  readonly starts = new Map<string, number>();
  /** The input of each start of a promise actor, by name. */
  readonly inputs = new Map<string, unknown[]>();
  locksHeld = 0;
  maxLocksHeld = 0;
  lockTokens = 0;
  /** When true, the lock announces itself at once with LOCK.ACQUIRED. */
  autoLock = false;
  /** The newest outbox key the lock reports having read when taken (undefined: it reports none). */
  lockBound: number | undefined = undefined;
  /** Results promise actors resolve with at once instead of waiting (by name). */
  readonly autoResolve = new Map<string, () => unknown>();

  /** A promise actor that waits for settle(name, ...). */
  promise(name: string): AnyActorLogic {
    return fromPromise(({ input, signal }) => {
      this.bump(this.starts, name, 1);
      this.inputs.set(name, [...(this.inputs.get(name) ?? []), input]);
      this.bump(this.running, name, 1);
      let done = false;
      const finish = (): void => {
        if (!done) this.bump(this.running, name, -1);
        done = true;
      };
      signal.addEventListener('abort', finish);
      const auto = this.autoResolve.get(name);
      if (auto) {
        return Promise.resolve().then(() => {
          finish();
          return auto();
        });
      }
      return new Promise((resolve, reject) => {
        const list = this.pending.get(name) ?? [];
        list.push({ resolve: (v) => (finish(), resolve(v)), reject: (e) => (finish(), reject(e)) });
        this.pending.set(name, list);
      });
    });
  }

  /** A lock actor: held from start until stopped. */
  lock(): AnyActorLogic {
    return fromCallback(({ sendBack }) => {
      this.locksHeld += 1;
      this.maxLocksHeld = Math.max(this.maxLocksHeld, this.locksHeld);
      this.bump(this.starts, 'syncLock', 1);
      if (this.autoLock) sendBack({ type: 'LOCK.ACQUIRED', token: ++this.lockTokens, ...(this.lockBound === undefined ? {} : { bound: this.lockBound }) });
      return () => {
        this.locksHeld -= 1;
      };
    });
  }

  /** A callback actor that runs until stopped (counted in active()). */
  callback(name: string): AnyActorLogic {
    return fromCallback(() => {
      this.bump(this.starts, name, 1);
      this.bump(this.running, name, 1);
      return () => this.bump(this.running, name, -1);
    });
  }

  /** A child machine that idles until stopped. */
  stub(name: string): AnyActorLogic {
    return createMachine({ id: `stub-${name}`, entry: () => this.bump(this.starts, name, 1) });
  }

  /** Settles the most recent unsettled run of `name`; false when none is waiting. */
  settle(name: string, outcome: 'done' | 'error', payload: unknown): boolean {
    const list = this.pending.get(name);
    const next = list?.pop();
    if (!next) return false;
    if (outcome === 'done') next.resolve(payload);
    else next.reject(payload);
    return true;
  }

  /** How many runs of `name` are running now. */
  active(name: string): number {
    return this.running.get(name) ?? 0;
  }

  private bump(map: Map<string, number>, name: string, by: number): void {
    map.set(name, (map.get(name) ?? 0) + by);
  }
}

/** Lets promise callbacks and the actors' event relays run. */
export async function flush(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * A parent for machines that talk to their parent (sendParent): invokes `child` as `child` and records
 * every event the child sends up.
 */
export function parentOf(child: AnyActorLogic, input: unknown) {
  const received: Array<{ type: string; [key: string]: unknown }> = [];
  const machine = createMachine({
    id: 'testParent',
    invoke: { id: 'child', src: child, input },
    on: { '*': { actions: ({ event }) => void received.push(event as { type: string }) } },
  });
  return { machine, received };
}
