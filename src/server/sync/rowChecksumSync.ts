import { createHash } from 'node:crypto';
import { stripMeta } from '../../core/json/rowChecksum';
import { stableStringify } from '../../core/json/stableStringify';

/**
 * rowChecksum on the server: the same SHA-256 of the row's canonical JSON (hex), computed synchronously
 * with node:crypto — a push of 1000 rows spends no time awaiting 1000 WebCrypto digests.
 */
export function rowChecksumSync(row: Readonly<Record<string, unknown>>): string {
  return createHash('sha256')
    .update(stableStringify(stripMeta(row)))
    .digest('hex');
}
