/** Progress of one unit of work: processed of total (total null when unknown). */
export interface PartProgress {
  processed: number;
  total: number | null;
}

/** Adds up parts' progress; the total is known only when every part's total is. */
export function sumProgress(parts: Iterable<PartProgress> | Record<string, PartProgress>): PartProgress {
  const list = Symbol.iterator in parts ? [...(parts as Iterable<PartProgress>)] : Object.values(parts);
  let processed = 0;
  let total: number | null = 0;
  for (const p of list) {
    processed += p.processed;
    total = total === null || p.total === null ? null : total + p.total;
  }
  return { processed, total };
}
