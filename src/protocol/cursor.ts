import { ChartsyncError } from '../core/errors';

// Cursors are opaque to clients: "c2." + the database's epoch + "." + the change sequence in base 36. The
// prefix versions the encoding; the epoch (an id made when the server's database was created) keeps a
// cursor of one database from ever being taken for another's; the sequence is never a wall-clock time.
const PREFIX = 'c2.';
const EPOCH_PATTERN = /^[0-9a-z]{1,32}$/;

/** What a cursor stands for: "after change number `seq` of database `epoch`". */
export interface CursorPosition {
  epoch: string;
  seq: number;
}

/** True when `epoch` is a well-formed database epoch. */
export function isEpoch(epoch: string): boolean {
  return EPOCH_PATTERN.test(epoch);
}

/** The cursor that stands for "after change number `seq` of database `epoch`". */
export function encodeCursor(epoch: string, seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new ChartsyncError('INVALID_CURSOR', `A cursor encodes a non-negative change sequence, got ${seq}.`);
  }
  if (!isEpoch(epoch)) throw new ChartsyncError('INVALID_CURSOR', `A cursor's epoch is 1-32 lowercase letters or digits, got ${JSON.stringify(epoch)}.`);
  return `${PREFIX}${epoch}.${seq.toString(36)}`;
}

/** The position a cursor stands for (null: no cursor, from the start). Throws INVALID_CURSOR on anything else. */
export function decodeCursor(cursor: string | null | undefined): CursorPosition | null {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  const match = /^c2\.([0-9a-z]{1,32})\.([0-9a-z]{1,11})$/.exec(cursor);
  const seq = match ? parseInt(match[2]!, 36) : NaN;
  if (!match || !Number.isSafeInteger(seq)) {
    throw new ChartsyncError(
      'INVALID_CURSOR',
      `Cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this server issued: pass the cursor from a pull response, or none to start over.`,
    );
  }
  return { epoch: match[1]!, seq };
}

/** The cursor furthest along of several (null when none): what a client has seen of the server at most. */
export function furthestCursor(cursors: Iterable<string | null | undefined>): string | null {
  let best: { cursor: string; seq: number } | null = null;
  for (const cursor of cursors) {
    const position = cursor ? decodeCursor(cursor) : null;
    if (position && (best === null || position.seq > best.seq)) best = { cursor: cursor!, seq: position.seq };
  }
  return best?.cursor ?? null;
}
