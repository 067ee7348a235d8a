import type { JsonObject } from '../core/json/types';
import { stripMeta } from '../core/json/rowChecksum';
import { META_KEYS } from './meta';
import type { LocalRow, OutboxEntry } from './types';
import { type LocalDb, rowsOf } from './db';

/** What a reset kept and dropped. */
export interface ResetStats {
  /** Rows and tombstones dropped (no unsent op): the download brings back what the server still has. */
  dropped: number;
  /** Unsent ops kept, rebased onto "nothing seen" (base version 0). */
  kept: number;
}

/**
 * Prepares the store for downloading everything again after the server said RESET_REQUIRED (its data was
 * replaced, or the cursors are from another database): in ONE transaction, forgets every cursor, the
 * "downloaded" flags; drops every row and tombstone that has no unsent op (the download
 * brings back what the server still has); and keeps every unsent op, re-based on "never seen" — their base
 * versions referred to the old data. An update becomes a put of the whole local row that still names only
 * the fields it changed: on a server that no longer has the row it re-creates it, on one that has it only
 * those fields are written, and are judged against whatever the server holds.
 */
export async function resetStore(db: LocalDb, tables: readonly string[]): Promise<ResetStats> {
  const outbox = db._outbox;
  const tombstones = db._tombstones;
  const meta = db._meta;
  return db.transaction('rw', [outbox, tombstones, meta, ...tables.map((t) => db.table(t))], async () => {
    await meta.bulkDelete([...tables.map(META_KEYS.cursor), ...tables.map(META_KEYS.complete), ...tables.map(META_KEYS.served)]);
    const ops = await outbox.toArray();
    const withOps = new Set(ops.map((op) => `${op.table}\u0000${op.rowId}`));
    let dropped = 0;
    const rebased: OutboxEntry[] = [];
    for (const table of tables) {
      const rows = rowsOf(db, table);
      const drop = (await rows.toCollection().primaryKeys()).filter((id) => !withOps.has(`${table}\u0000${id}`));
      await rows.bulkDelete(drop);
      dropped += drop.length;
      const localRows = new Map(
        (await rows.bulkGet(ops.filter((op) => op.table === table).map((op) => op.rowId))).filter((r): r is LocalRow => r !== undefined).map((r) => [r.id, r]),
      );
      for (const op of ops.filter((o) => o.table === table)) {
        const local = localRows.get(op.rowId);
        if (op.kind === 'update' && local) {
          const { row: _row, ...rest } = op;
          rebased.push({
            ...rest,
            kind: 'create',
            patch: stripMeta(local) as JsonObject,
            base: { v: 0, ...(op.base?.fields ? { fields: op.base.fields } : {}) },
            state: 'pending',
          });
        } else {
          rebased.push({ ...op, ...(op.base ? { base: { ...op.base, v: 0 } } : {}), state: 'pending' });
        }
      }
      for (const row of localRows.values()) await rows.put({ ...row, _v: 0 });
    }
    const tombs = await tombstones.toArray();
    const dropTombs = tombs.filter((t) => !withOps.has(`${t.table}\u0000${t.id}`));
    await tombstones.bulkDelete(dropTombs.map((t) => [t.table, t.id] as [string, string]));
    await tombstones.bulkPut(tombs.filter((t) => withOps.has(`${t.table}\u0000${t.id}`)).map((t) => ({ ...t, _v: 0 })));
    dropped += dropTombs.length;
    await outbox.bulkPut(rebased.map(({ lockToken: _token, ...op }) => op));
    return { dropped, kept: rebased.length };
  });
}
