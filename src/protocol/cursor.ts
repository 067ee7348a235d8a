import { ChartsyncError } from '../core/errors';

// Cursors are opaque to clients: "c1." + the server's change sequence in base 36. The prefix versions the
// encoding; the sequence is never a wall-clock time, since devices' clocks disagree.
const PREFIX = 'c1.';

/** The cursor that stands for "after change number `seq`". */
export function encodeCursor(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new ChartsyncError('INVALID_CURSOR', `A cursor encodes a non-negative change sequence, got ${seq}.`);
  }
  return PREFIX + seq.toString(36);
}

/** The change sequence a cursor stands for (no cursor = 0, from the start). Throws INVALID_CURSOR. */
export function decodeCursor(cursor: string | null | undefined): number {
  if (cursor === undefined || cursor === null || cursor === '') return 0;
  const body = cursor.startsWith(PREFIX) ? cursor.slice(PREFIX.length) : undefined;
  const seq = body !== undefined && /^[0-9a-z]{1,11}$/.test(body) ? parseInt(body, 36) : NaN;
  if (!Number.isSafeInteger(seq)) {
    throw new ChartsyncError('INVALID_CURSOR', `Cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this server issued: pass the cursor from a pull response, or none to start over.`);
  }
  return seq;
}
