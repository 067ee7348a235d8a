import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { openLocalStore, type LocalStoreOptions } from '../../../src/local/openLocalStore';

/** A fresh, isolated in-memory IndexedDB per test (or shared, to play two tabs of one browser). */
export function freshIndexedDb(): { indexedDB: IDBFactory; IDBKeyRange: typeof IDBKeyRange } {
  return { indexedDB: new IDBFactory(), IDBKeyRange };
}

/** Opens a store of tasks and notes on the given (or a fresh) fake IndexedDB. */
export function openTestStore(options: Partial<LocalStoreOptions> = {}) {
  return openLocalStore({ name: 'test', tables: { tasks: 'id, status, assignee', notes: 'id' }, ...freshIndexedDb(), ...options });
}

/** A task row of about the benchmark's shape. */
export function task(id: string, extra: Record<string, unknown> = {}) {
  return { id, title: `Task ${id}`, status: 'todo', assignee: 'ana', tags: ['a'], ...extra };
}
