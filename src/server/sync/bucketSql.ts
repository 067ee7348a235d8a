/** SQL of a row's share of its bucket hash (see rowBucketHash): `id` and `checksum` are column expressions. */
export function rowBucketHashSql(id: string, checksum: string): string {
  return `('x' || left(encode(sha256(convert_to(${id} || ':' || ${checksum}, 'UTF8')), 'hex'), 16))::bit(64)::bigint`;
}
