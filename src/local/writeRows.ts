import { assertKnownTable } from './schema';
import { ChartsyncError } from '../core/errors';
import { newId } from '../core/ids/newId';
import { jsonEqual } from '../core/json/jsonEqual';
import type { JsonObject } from '../core/json/types';
import { stripMeta } from '../core/json/rowChecksum';
import { coalesceOps } from '../core/outbox/coalesceOps';
import type { BaseValue, Op } from '../core/outbox/types';
import { priorityOf, type PriorityRules } from '../core/priority/priorityOf';
import type { LocalRow, OutboxEntry, Tombstone } from './types';
import { appData, assertRowId } from './validateInput';
import { hasTombstones, type LocalDb, rowsOf } from './db';
import { readKeys } from './readKeys';

/** One change to a row, as the write functions take it. */
export type RowChange = { kind: 'put'; row: JsonObject } | { kind: 'update'; id: string; patch: JsonObject } | { kind: 'delete'; id: string };

/** What a store's writes need to know. */
export interface WriteContext {
  db: LocalDb;
  deviceId: string;
  tables: Readonly<Record<string, string>>;
  priorities: Readonly<Record<string, PriorityRules>>;
  now: () => number;
}

/** One row a write changed: its data just before and just after (null: absent or deleted). */
export interface RowWrite {
  id: string;
  before: JsonObject | null;
  after: JsonObject | null;
}

/** What a write did. */
export interface WriteResult {
  /** Rows changed (writes that changed nothing are not counted). */
  changed: number;
  /** Ids of the changed rows. */
  ids: string[];
  /** The write's time (ms since epoch), as its ops carry it. */
  at: number;
  /** Each change, in order, with the row's data before and after it, as the write's transaction saw them. */
  changes: RowWrite[];
}

type Prepared = { kind: 'put'; id: string; data: JsonObject } | { kind: 'update'; id: string; patch: JsonObject } | { kind: 'delete'; id: string };

function prepare(table: string, change: RowChange): Prepared {
  switch (change.kind) {
    case 'put': {
      const data = appData(table, change.row, 'row');
      assertRowId(table, data.id);
      return { kind: 'put', id: data.id, data };
    }
    case 'update': {
      assertRowId(table, change.id);
      const patch = appData(table, change.patch, 'patch');
      if ('id' in patch && patch.id !== change.id) {
        throw new ChartsyncError(
          'INVALID_ROW',
          `A patch of "${table}/${change.id}" tries to change its id to ${JSON.stringify(patch.id)}: ids never change; put a new row instead.`,
          { context: { table, rowId: change.id } },
        );
      }
      return { kind: 'update', id: change.id, patch };
    }
    case 'delete':
      assertRowId(table, change.id);
      return { kind: 'delete', id: change.id };
  }
}

/**
 * Applies changes to rows of one table AND records (or coalesces) their outbox ops in ONE Dexie `rw`
 * transaction, whatever the number of rows: a crash can never leave a row changed without its op, or an
 * op without its row. Each op records what it was written against: the row's server version and the values
 * of the fields it changes (the base a three-way merge needs). Everything is validated before the
 * transaction; an error inside it (e.g. an update of a missing row) rolls the whole batch back.
 */
export async function writeRows(ctx: WriteContext, table: string, changes: readonly RowChange[]): Promise<WriteResult> {
  assertKnownTable(table, Object.keys(ctx.tables));
  const prepared = changes.map((change) => prepare(table, change));
  if (prepared.length === 0) return { changed: 0, ids: [], at: ctx.now(), changes: [] };
  const rowsTable = rowsOf(ctx.db, table);
  const outbox = ctx.db._outbox;
  const tombstones = ctx.db._tombstones;

  return ctx.db.transaction('rw', [rowsTable, outbox, tombstones], async () => {
    const ids = [...new Set(prepared.map((p) => p.id))];
    const found = await readKeys(rowsTable, ids);
    const rows = new Map(ids.map((id, i) => [id, found[i]]));
    // Tombstones exist only for rows that are gone: look them up for those alone (none when the table has none).
    const missing = ids.filter((id) => rows.get(id) === undefined);
    const anyTombs = missing.length > 0 && (await hasTombstones(tombstones, table));
    const foundTombs = anyTombs ? await tombstones.bulkGet(missing.map((id) => [table, id] as [string, string])) : [];
    const tombs = new Map<string, Tombstone | undefined>(missing.map((id, i) => [id, foundTombs[i]]));
    const storedTombs = new Set(missing.filter((id) => tombs.get(id) !== undefined));
    // Each row's newest op, through its `_op` pointer: key reads, no index scan on the hot path.
    const newest = new Map<string, OutboxEntry>();
    const pointers = ids.map((id) => [id, rows.get(id)?._op ?? tombs.get(id)?._op] as const).filter((p): p is readonly [string, number] => p[1] !== undefined);
    if (pointers.length) {
      const found = await readKeys(
        outbox,
        pointers.map(([, seq]) => seq),
      );
      pointers.forEach(([id], i) => {
        const op = found[i];
        if (op && op.table === table && op.rowId === id) newest.set(id, op);
      });
    }

    const dirtyRows = new Set<string>();
    const dirtyTombs = new Set<string>();
    const dirtyOps = new Set<OutboxEntry>();
    const changedIds: string[] = [];
    const rowWrites: RowWrite[] = [];
    const now = ctx.now();

    for (const change of prepared) {
      const id = change.id;
      const current = rows.get(id);
      const tomb = tombs.get(id);
      let op: Op;
      if (change.kind === 'delete') {
        if (!current) continue;
        rows.set(id, undefined);
        tombs.set(id, { table, id, _v: current._v, deletedAt: now });
        op = { opId: newId(now), table, rowId: id, kind: 'delete', base: { v: current._v }, at: now, priority: 1, createdAt: now };
      } else if (change.kind === 'update') {
        if (!current) {
          throw new ChartsyncError(
            'ROW_NOT_FOUND',
            `Cannot update ${table}/${id}: no such row${tomb ? ' (it was deleted)' : ''}. Put the whole row to create it.`,
            { context: { table, rowId: id } },
          );
        }
        const patch: JsonObject = {};
        for (const [field, value] of Object.entries(change.patch)) if (!jsonEqual(current[field], value)) patch[field] = value;
        if (Object.keys(patch).length === 0) continue;
        const next = { ...current, ...patch };
        rows.set(id, next);
        op = {
          opId: newId(now),
          table,
          rowId: id,
          kind: 'update',
          patch,
          row: stripMeta(next) as JsonObject,
          base: { v: current._v, fields: baseOf(current, Object.keys(patch)) },
          at: now,
          priority: priorityOf('update', patch, ctx.priorities[table]),
          createdAt: now,
        };
      } else {
        const previous = current ?? tomb;
        const changed = current ? changedFields(current, change.data) : [];
        if (current && changed.length === 0) continue;
        const v = previous?._v ?? 0;
        rows.set(id, { ...change.data, id, _v: v } as LocalRow);
        tombs.set(id, undefined);
        // Over a live row the base is exact (the fields that differ); over a tombstone its data is gone, so
        // every field counts as written; a row never seen locally has no base at all.
        const base = previous ? { base: { v, ...(current ? { fields: baseOf(current, changed) } : {}) } } : {};
        op = { opId: newId(now), table, rowId: id, kind: 'create', patch: change.data, ...base, at: now, priority: 1, createdAt: now };
      }
      dirtyRows.add(id);
      dirtyTombs.add(id);
      changedIds.push(id);
      const after = rows.get(id);
      rowWrites.push({ id, before: current ? (stripMeta(current) as JsonObject) : null, after: after ? (stripMeta(after) as JsonObject) : null });

      const last = newest.get(id);
      const merged = last && last.state === 'pending' && last.attempts === 0 ? coalesceOps(last, op) : null;
      if (last && merged) {
        // Coalesce into the row's unsent op; it keeps its place in the queue (seq).
        dirtyOps.delete(last);
        const entry: OutboxEntry = {
          ...merged,
          ...(last.seq === undefined ? {} : { seq: last.seq }),
          state: 'pending',
          attempts: 0,
          nextAttemptAt: last.nextAttemptAt,
        };
        newest.set(id, entry);
        dirtyOps.add(entry);
      } else {
        // Behind an op that was already sent (in flight, or back for a retry), or a delete behind the writes
        // before it: a new op of its own, sent after it (peekBatch keeps one row's ops in order).
        const entry: OutboxEntry = { ...op, state: 'pending', attempts: 0, nextAttemptAt: 0 };
        newest.set(id, entry);
        dirtyOps.add(entry);
      }
    }

    // Ops first: new ones get their seq, which the rows then point to.
    const ops = [...dirtyOps];
    if (ops.length) {
      const keys = await outbox.bulkPut(ops, { allKeys: true });
      ops.forEach((op, i) => (op.seq = keys[i]));
    }
    const withPointer = <T extends { _op?: number }>(value: T, id: string): T => {
      const { _op: _old, ...rest } = value;
      const seq = newest.get(id)?.seq;
      return (seq === undefined ? rest : { ...rest, _op: seq }) as T;
    };
    const putRows: LocalRow[] = [];
    const deleteRows: string[] = [];
    for (const id of dirtyRows) {
      const row = rows.get(id);
      if (row) putRows.push(withPointer(row, id));
      else deleteRows.push(id);
    }
    const putTombs: Tombstone[] = [];
    const deleteTombs: Array<[string, string]> = [];
    for (const id of dirtyTombs) {
      const tomb = tombs.get(id);
      if (tomb) putTombs.push(withPointer(tomb, id));
      else if (storedTombs.has(id)) deleteTombs.push([table, id]);
    }
    if (putRows.length) await rowsTable.bulkPut(putRows);
    if (deleteRows.length) await rowsTable.bulkDelete(deleteRows);
    if (putTombs.length) await tombstones.bulkPut(putTombs);
    if (deleteTombs.length) await tombstones.bulkDelete(deleteTombs);
    return { changed: changedIds.length, ids: changedIds, at: now, changes: rowWrites };
  });
}

// The fields a put changes on a live row: those whose values differ, including the ones it removes.
function changedFields(row: LocalRow, data: JsonObject): string[] {
  const keys = new Set([...Object.keys(row).filter((k) => !k.startsWith('_')), ...Object.keys(data)]);
  return [...keys].filter((key) => !jsonEqual(row[key], data[key]));
}

// The values `fields` had on `row` before a write ([] for an absent field).
function baseOf(row: LocalRow, fields: readonly string[]): Record<string, BaseValue> {
  return Object.fromEntries(fields.map((field) => [field, field in row ? [row[field]!] : []]));
}
