// The client memory floor of a download in Node: the peak RSS of a process that only writes the same rows
// into fake-indexeddb with raw Dexie (fake-indexeddb keeps every row in the process's memory, where a
// browser keeps them on disk). `tsx test/bench/memoryFloor.ts <rows>` prints { peakRssMb }.
import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { benchRow } from './rows';

const count = Number(process.argv[2] ?? 100_000);
const db = new Dexie('memory-floor', { indexedDB: new IDBFactory(), IDBKeyRange });
db.version(1).stores({ tasks: 'id, status, assignee' });
await db.open();
for (let start = 0; start < count; start += 5000) {
  await db.table('tasks').bulkPut(Array.from({ length: Math.min(5000, count - start) }, (_, i) => ({ ...benchRow(start + i), _v: start + i + 1 })));
}
console.log(JSON.stringify({ peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
