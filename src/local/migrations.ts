import { ChartsyncError } from '../core/errors';
import type { JsonObject, JsonValue } from '../core/json/types';
import type { Op } from '../core/outbox/types';
import { entriesOfTable, type LocalDb, rowsOf } from './db';
import type { ConflictRecord, DeadLetter, OutboxEntry } from './types';

/**
 * A change of the shape of the app's data, run once per device when a store opens at a lower version.
 * Index and table declarations need no migration (Dexie 4 upgrades them in place from `tables`); a
 * migration says what happens to data that is already there.
 */
export interface LocalMigration {
  /** Tables that no longer exist: their rows' pending ops, conflicts, dead letters and tombstones go. */
  removeTables?: readonly string[];
  /**
   * Per table: maps a row's fields to the new shape (rename, split, transform). It is also applied to
   * what is waiting to be pushed — each pending op's patch, row and base values, conflicts and dead
   * letters — so an op queued before the upgrade is pushed in the new shape. It must accept a partial row
   * (an update's patch) and derive only from the fields present; `id` is kept whatever it returns.
   */
  transform?: Readonly<Record<string, FieldTransform>>;
}

/** Maps a row's fields (maybe a partial row) to the new shape; fields it returns as undefined are left out. */
export type FieldTransform = (fields: JsonObject) => Readonly<Record<string, JsonValue | undefined>>;

/** Versioned migrations: version (2, 3, ...) → what it changes. */
export type LocalMigrations = Readonly<Record<number, LocalMigration>>;

/** The `_meta` key of the data version a store is at (1 before any migration). */
const VERSION_KEY = 'dataVersion';

function dataOf(row: JsonObject): { meta: JsonObject; data: JsonObject } {
  const meta: JsonObject = {};
  const data: JsonObject = {};
  for (const [key, value] of Object.entries(row)) (key.startsWith('_') ? meta : data)[key] = value;
  return { meta, data };
}

function applyTo(transform: FieldTransform, fields: JsonObject, id?: string): JsonObject {
  const out = Object.fromEntries(Object.entries(transform({ ...fields })).filter(([, v]) => v !== undefined)) as JsonObject;
  return id === undefined ? out : { ...out, id };
}

function migrateOp<T extends Op>(op: T, transform: FieldTransform): T {
  const next: T = { ...op };
  if (op.patch) next.patch = applyTo(transform, op.patch, op.kind === 'create' ? op.rowId : undefined);
  if (op.row) next.row = applyTo(transform, op.row, op.rowId);
  if (op.base?.fields) {
    // Base values known before the change, in the new shape; a field whose base was "absent" stays absent.
    const present = Object.fromEntries(Object.entries(op.base.fields).flatMap(([f, v]) => (v.length ? [[f, v[0]]] : []))) as JsonObject;
    const absent = Object.entries(op.base.fields)
      .filter(([, v]) => v.length === 0)
      .map(([f]) => f);
    const fields = Object.fromEntries(Object.entries(applyTo(transform, present)).map(([f, v]) => [f, [v]]));
    for (const f of absent) if (!(f in fields)) fields[f] = [];
    next.base = { ...op.base, fields: fields as NonNullable<Op['base']>['fields'] };
  }
  return next;
}

/**
 * Brings a store's data to the newest migration version, in one transaction over every table (all or
 * nothing; a failed migration leaves the data as it was and rejects with INVALID_VALUE). Runs at open,
 * before anything else reads or writes.
 */
export async function runMigrations(db: LocalDb, tables: readonly string[], migrations: LocalMigrations): Promise<number> {
  const versions = Object.keys(migrations)
    .map(Number)
    .sort((a, b) => a - b);
  if (versions.length === 0) return 0;
  for (const v of versions)
    if (!Number.isInteger(v) || v < 2) throw new ChartsyncError('INVALID_VALUE', `Migration versions are integers from 2 up, got ${v}.`);
  const current = ((await db._meta.get(VERSION_KEY))?.value as number | undefined) ?? 1;
  const pending = versions.filter((v) => v > current);
  if (pending.length === 0) return 0;
  const appTables = tables.map((t) => rowsOf(db, t));
  try {
    await db.transaction('rw', [...appTables, db._outbox, db._conflicts, db._deadletter, db._tombstones, db._meta], async () => {
      for (const version of pending) {
        const migration = migrations[version]!;
        for (const table of migration.removeTables ?? []) {
          await entriesOfTable(db._outbox, table).delete();
          await entriesOfTable(db._conflicts, table).delete();
          await db._deadletter.filter((l) => l.op.table === table).delete();
          await db._tombstones.where('table').equals(table).delete();
        }
        for (const [table, transform] of Object.entries(migration.transform ?? {})) {
          if (!tables.includes(table)) throw new ChartsyncError('INVALID_VALUE', `Migration ${version} transforms "${table}", which is not a declared table.`);
          const rows = rowsOf(db, table);
          const all = await rows.toArray();
          await rows.bulkPut(
            all.map((row) => {
              const { meta, data } = dataOf(row);
              return { ...applyTo(transform, data, row.id), ...meta } as typeof row;
            }),
          );
          const ops = await entriesOfTable(db._outbox, table).toArray();
          if (ops.length) await db._outbox.bulkPut(ops.map((op) => migrateOp<OutboxEntry>(op, transform)));
          const conflicts = await entriesOfTable(db._conflicts, table).toArray();
          if (conflicts.length)
            await db._conflicts.bulkPut(
              conflicts.map(
                (c): ConflictRecord => ({
                  ...c,
                  local: c.local && applyTo(transform, c.local, c.rowId),
                  remote: c.remote && applyTo(transform, dataOf(c.remote).data, c.rowId),
                }),
              ),
            );
          const letters = await db._deadletter.filter((l) => l.op.table === table).toArray();
          if (letters.length) await db._deadletter.bulkPut(letters.map((l): DeadLetter => ({ ...l, op: migrateOp(l.op, transform) })));
        }
        await db._meta.put({ key: VERSION_KEY, value: version });
      }
    });
  } catch (cause) {
    if (cause instanceof ChartsyncError) throw cause;
    throw new ChartsyncError('INVALID_VALUE', `A local migration failed and changed nothing: ${(cause as Error).message ?? String(cause)}`, { cause });
  }
  return pending.length;
}
