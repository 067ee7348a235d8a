// Public surface of `chartsync/react`: the only module that imports React.

export { SyncProvider, useSyncEngine } from './SyncProvider';
export type { SyncProviderProps } from './SyncProvider';
export { useSuspenseSync } from './useSuspenseSync';
export { shallowEqual, useConflicts, useDeadLetters, useOutbox, useSyncSelector, useSyncStatus, useTableSync } from './hooks';
export type { SyncStatusView, TableSyncView } from './hooks';
export { useLiveQuery } from 'dexie-react-hooks';
