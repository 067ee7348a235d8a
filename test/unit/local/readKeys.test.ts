import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { readKeys } from '../../../src/local/readKeys';
import { freshIndexedDb } from './helpers';

async function open() {
  const db = new Dexie('read-keys', freshIndexedDb());
  db.version(1).stores({ rows: 'id', queue: '++seq' });
  await db.open();
  return db;
}

describe('readKeys: bulkGet, read as one range when the keys are dense', () => {
  it('answers as bulkGet for dense, sparse, absent, repeated and unordered string keys', async () => {
    const db = await open();
    const rows = db.table<{ id: string; n: number }, string>('rows');
    await rows.bulkPut(Array.from({ length: 200 }, (_, i) => ({ id: `r${String(i).padStart(4, '0')}`, n: i })));
    const id = (i: number) => `r${String(i).padStart(4, '0')}`;
    const cases: string[][] = [
      Array.from({ length: 100 }, (_, i) => id(i + 50)), // dense: a range holding exactly these
      Array.from({ length: 40 }, (_, i) => id(i * 5)), // sparse: the range holds five times as many
      Array.from({ length: 50 }, (_, i) => `new-${i}`), // none stored
      [...Array.from({ length: 40 }, (_, i) => id(i)), 'r0005', 'missing', 'r0003'].reverse(), // unordered, repeated, one absent
      ['r0001', 'r0150'], // few keys
    ];
    for (const keys of cases) expect(await readKeys(rows, keys)).toEqual(await rows.bulkGet(keys));
    db.close();
  });

  it('answers as bulkGet for numeric keys with gaps (an outbox with acknowledged ops removed)', async () => {
    const db = await open();
    const queue = db.table<{ seq?: number; v: string }, number>('queue');
    await queue.bulkAdd(Array.from({ length: 300 }, (_, i) => ({ v: `op${i}` })));
    await queue.bulkDelete([3, 4, 5, 100, 101]);
    const keys = [...Array.from({ length: 120 }, (_, i) => i + 1), 9999];
    expect(await readKeys(queue, keys)).toEqual(await queue.bulkGet(keys));
    const spread = Array.from({ length: 40 }, (_, i) => 1 + i * 7);
    expect(await readKeys(queue, spread)).toEqual(await queue.bulkGet(spread));
    db.close();
  });
});
