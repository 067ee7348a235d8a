/** A benchmark row: {id, title 40 chars, status, assignee, tags[3], updatedAt, description 200 chars}, ~380 B of JSON. */
export function benchRow(i: number): { id: string; title: string; status: string; assignee: string; tags: string[]; updatedAt: string; description: string } {
  const id = `row-${String(i).padStart(7, '0')}`;
  return {
    id,
    title: `Inspect pump station ${String(i).padStart(7, '0')} today!`.slice(0, 40).padEnd(40, '.'),
    status: ['todo', 'doing', 'done'][i % 3]!,
    assignee: ['ana', 'ben', 'chloe', 'dev'][i % 4]!,
    tags: ['field', `zone-${i % 7}`, i % 2 ? 'urgent' : 'routine'],
    updatedAt: new Date(1_790_000_000_000 + i * 1000).toISOString(),
    description: `Check valves, seals and pressure readings; log anomalies with photos. Site ${i}. `.repeat(4).slice(0, 200),
  };
}

/** The org every benchmark client syncs. */
export const BENCH_ORG = 'bench';
/** The JWT secret of the benchmark's server (loopback only). */
export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret';
