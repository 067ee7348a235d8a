/** The statuses of the root sync statechart, in the order of the design's transition table. */
export const SYNC_STATUSES = ['idle', 'syncing', 'offline', 'reconnecting', 'error'] as const;

/** A status of the sync engine (the top-level states of syncMachine after start-up). */
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/** The start state: crash recovery before any status applies. */
export const START_STATE = 'rehydrating' as const;

/** Every top-level state of syncMachine. */
export type SyncTopState = SyncStatus | typeof START_STATE;

/**
 * The only allowed moves between top-level states (from → to). A test reads syncMachine's graph and fails
 * on any edge not listed here and on any listed move the machine cannot make.
 */
export const STATUS_TRANSITIONS: Readonly<Record<SyncTopState, readonly SyncStatus[]>> = {
  rehydrating: ['idle', 'offline', 'error'],
  idle: ['syncing', 'offline', 'error'],
  syncing: ['idle', 'reconnecting', 'error'],
  offline: ['idle', 'reconnecting'],
  reconnecting: ['idle', 'syncing', 'offline', 'error'],
  error: ['idle', 'offline', 'reconnecting'],
};

/** True when the table allows a move from `from` to `to`. */
export function isAllowedTransition(from: SyncTopState, to: SyncTopState): boolean {
  return (STATUS_TRANSITIONS[from] as readonly string[]).includes(to);
}

/**
 * The top-level state of the lifecycle in a root snapshot value (`{ lifecycle: { syncing: 'pushing' },
 * live: 'open' }` → `'syncing'`); a value of the lifecycle region alone works too.
 */
export function topStateOf(value: unknown): SyncTopState {
  const lifecycle = typeof value === 'object' && value !== null && 'lifecycle' in value ? (value as { lifecycle: unknown }).lifecycle : value;
  return (typeof lifecycle === 'string' ? lifecycle : Object.keys(lifecycle as object)[0]) as SyncTopState;
}
