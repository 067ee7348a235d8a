import { sha256Hex } from '../json/sha256Hex';

/**
 * The bucket of a row id among `buckets`: FNV-1a (32-bit) of the id's UTF-16 code units, modulo the count.
 * Synchronous and identical on client and server, so both group rows the same way.
 */
export function bucketOf(id: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % buckets;
}

/**
 * One hash per bucket of (id, row checksum) pairs: SHA-256 of "id:checksum" lines sorted by id. Two
 * replicas with the same live rows get the same hashes; a differing bucket is the only part to re-pull.
 */
export async function bucketHashes(rows: ReadonlyArray<{ id: string; checksum: string }>, buckets: number): Promise<string[]> {
  const groups: string[][] = Array.from({ length: buckets }, () => []);
  for (const row of [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) groups[bucketOf(row.id, buckets)]!.push(`${row.id}:${row.checksum}`);
  return Promise.all(groups.map((lines) => sha256Hex(lines.join('\n'))));
}
