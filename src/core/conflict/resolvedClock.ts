import { incrementClock, mergeClocks, type VectorClock } from '../clock/vectorClock';

/**
 * The clock of a row the server resolved: the merge of both sides plus one tick of the server's own entry,
 * so it dominates both and every replica that pulls it overwrites (or rebases onto) its copy.
 */
export function resolvedClock(stored: VectorClock, op: VectorClock, serverId: string): VectorClock {
  return incrementClock(mergeClocks(stored, op), serverId);
}
