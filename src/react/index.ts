// Public surface of `chartsync/react`: the only module that imports React. The provider and hooks over
// the engine land with the engine; Dexie's live query hook is re-exported for reading data.

export { useLiveQuery } from 'dexie-react-hooks';
