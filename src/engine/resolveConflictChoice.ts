import { ChartsyncError } from '../core/errors';
import type { JsonObject } from '../core/json/types';
import type { LocalStore } from '../local/openLocalStore';

/**
 * Settles a recorded conflict by the app's choice. The local row already shows the server's side: a new
 * write of the chosen row goes after both sides ('local', or a merged row), and 'remote' needs no write.
 */
export async function resolveConflictChoice(store: LocalStore, id: number, choice: 'local' | 'remote' | JsonObject): Promise<void> {
  const record = (await store.conflicts.list()).find((c) => c.id === id);
  if (!record) throw new ChartsyncError('ROW_NOT_FOUND', `No conflict ${id}: list them with engine.conflicts.list().`, { context: { id } });
  if (choice === 'local') {
    if (record.local) await store.put(record.table, record.local);
    else await store.delete(record.table, record.rowId);
  } else if (choice !== 'remote') {
    await store.put(record.table, { ...choice, id: record.rowId });
  }
  await store.conflicts.remove(id);
}
