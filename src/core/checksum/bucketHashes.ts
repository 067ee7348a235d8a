import { sha256Hex } from '../json/sha256Hex';

/** The finest bucketing the server maintains: any power of two up to it can be asked for. */
export const MAX_BUCKETS = 4096;

/**
 * The bucket of a row id among `buckets`: FNV-1a (32-bit) of the id's UTF-16 code units, modulo the count.
 * Synchronous and identical on client and server, so both group rows the same way. For a power of two
 * `n` ≤ MAX_BUCKETS, bucketOf(id, n) = bucketOf(id, MAX_BUCKETS) mod n: coarse buckets fold fine ones.
 */
export function bucketOf(id: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % buckets;
}

/** True for a bucket count the server can answer: a power of two from 1 to MAX_BUCKETS. */
export function isBucketCount(buckets: number): boolean {
  return Number.isInteger(buckets) && buckets >= 1 && buckets <= MAX_BUCKETS && (buckets & (buckets - 1)) === 0;
}

/**
 * A row's share of its bucket hash: the first 64 bits of SHA-256("id:checksum") as a signed integer —
 * what PostgreSQL computes as `('x' || left(encode(sha256(...), 'hex'), 16))::bit(64)::bigint`.
 */
export async function rowBucketHash(id: string, checksum: string): Promise<bigint> {
  return BigInt.asIntN(64, BigInt(`0x${(await sha256Hex(`${id}:${checksum}`)).slice(0, 16)}`));
}

/**
 * One hash per bucket of (id, row checksum) pairs: the XOR of the rows' shares, as a decimal string ("0"
 * for an empty bucket). Order-independent, so the server maintains it row by row as rows change and
 * answers from at most MAX_BUCKETS aggregates; two replicas with the same live rows get the same hashes.
 */
export async function bucketHashes(rows: ReadonlyArray<{ id: string; checksum: string }>, buckets: number): Promise<string[]> {
  const acc: bigint[] = Array.from({ length: buckets }, () => 0n);
  for (const row of rows) {
    const b = bucketOf(row.id, buckets);
    acc[b] = acc[b]! ^ (await rowBucketHash(row.id, row.checksum));
  }
  return acc.map((h) => BigInt.asIntN(64, h).toString());
}
