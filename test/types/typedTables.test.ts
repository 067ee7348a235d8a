// Typed tables: what compiles and what does not. `tsc --noEmit` (in `npm test`) checks this file: an
// `@ts-expect-error` line that compiled would itself fail the check. The test also runs the calls.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createSyncEngine, type EngineTable, type SyncEngine } from '../../src';
import { useSyncEngine } from '../../src/react';

interface Task {
  id: string;
  title: string;
  done: boolean;
  tags?: string[];
}
interface Note {
  id: string;
  body: string;
}
type AppTables = { tasks: Task; notes: Note };

const engines: SyncEngine<AppTables>[] = [];
afterAll(() => Promise.all(engines.map((e) => e.stop())));

function typedEngine(): SyncEngine<AppTables> {
  const engine = createSyncEngine<AppTables>({
    name: `typed-${Math.random().toString(36).slice(2)}`,
    url: 'http://127.0.0.1:9',
    token: 'unused',
    tables: { tasks: 'id, done', notes: 'id' },
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    window: null,
    locks: null,
    live: false,
    intervalMs: 0,
  });
  engines.push(engine);
  return engine;
}

describe('typed tables', () => {
  it('types rows by table name: puts, updates and reads of the declared shape compile and run', async () => {
    const engine = typedEngine();
    engine.setOnline(false);
    await engine.start();
    const tasks = engine.table('tasks');
    expectTypeOf(tasks).toEqualTypeOf<EngineTable<Task>>();
    await tasks.put({ id: 't1', title: 'Write the docs', done: false });
    await tasks.update('t1', { done: true });
    await engine.table('notes').bulkPut([{ id: 'n1', body: 'hello' }]);
    const row = await tasks.get('t1');
    expectTypeOf(row).toEqualTypeOf<Task | undefined>();
    expect(row).toMatchObject({ id: 't1', title: 'Write the docs', done: true });
    const notes = await engine.table('notes').toArray();
    expectTypeOf(notes).toEqualTypeOf<Note[]>();
    expect(notes.map((n) => n.body)).toEqual(['hello']);
  });

  it('rejects a misspelled table name, a wrong row shape and a patch of the id at compile time (and the name at run time)', () => {
    const engine = typedEngine();
    // @ts-expect-error: 'taks' is not a table of AppTables.
    expect(() => engine.table('taks')).toThrow(/taks/);
    const tasks = engine.table('tasks');
    // Each call is made inside a function that never runs: the lines exist for the compiler.
    const neverRun = () => {
      // @ts-expect-error: done must be a boolean.
      void tasks.put({ id: 't2', title: 'x', done: 'yes' });
      // @ts-expect-error: title is missing.
      void tasks.put({ id: 't3', done: false });
      // @ts-expect-error: a note is not a task.
      void tasks.put({ id: 'n2', body: 'hello' });
      // @ts-expect-error: an update cannot change the id.
      void tasks.update('t1', { id: 't9' });
      // @ts-expect-error: no such field.
      void tasks.update('t1', { titel: 'typo' });
    };
    expect(typeof neverRun).toBe('function');
  });

  it('declares every table of the types in `tables`, and untyped engines keep taking any table of JSON rows', () => {
    const neverRun = () => {
      createSyncEngine<AppTables>({
        name: 'x',
        url: 'http://127.0.0.1:9',
        token: 't',
        // @ts-expect-error: notes is missing from tables.
        tables: { tasks: 'id' },
      });
      const untyped = createSyncEngine({ name: 'y', url: 'http://127.0.0.1:9', token: 't', tables: { anything: 'id' } });
      void untyped.table('anything').put({ id: 'a', nested: { ok: [1, 'two', null] } });
      // @ts-expect-error: rows need a string id.
      void untyped.table('anything').put({ title: 'no id' });
    };
    expect(typeof neverRun).toBe('function');
  });

  it('hooks carry the types: useSyncEngine<AppTables>() gives typed tables', () => {
    const neverRun = () => {
      const engine = useSyncEngine<AppTables>();
      expectTypeOf(engine.table('notes').get('n1')).toEqualTypeOf<Promise<Note | undefined>>();
      // @ts-expect-error: 'note' is not a table of AppTables.
      engine.table('note');
    };
    expect(typeof neverRun).toBe('function');
  });
});
