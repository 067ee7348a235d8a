import { gunzipSync } from 'node:zlib';
import { findJsonProblem } from '../../protocol/jsonSafety';
import { HttpError } from './httpError';

/**
 * Reads a request body as JSON, at most `maxBytes` (after decompression: a small gzip body cannot expand
 * into a huge one). Accepts `Content-Encoding: gzip`. Refuses too large (413), undecodable or malformed
 * bodies (400) with a message that says what to fix — also JSON no database can store (findJsonProblem:
 * too deep, `__proto__` keys, NUL or unpaired surrogates), `envelope` levels above the rows it carries;
 * `opIdAt` names the op a bad path belongs to (the client dead-letters that op alone).
 */
export async function readJsonBody(
  request: Request,
  maxBytes: number,
  envelope = 0,
  opIdAt?: (body: unknown, path: string) => string | undefined,
): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? 'NaN');
  const tooLarge = (size: string) =>
    new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body is ${size}, over the limit of ${maxBytes} bytes: send fewer ops per push.`);
  if (declared > maxBytes * 4) throw tooLarge(`${declared} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        throw new HttpError(400, 'INVALID_BODY', 'The request body was cut off (the client disconnected or was too slow): send it again.');
      }
      const { done, value } = chunk;
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes * 4) {
        await reader.cancel();
        throw tooLarge(`over ${size} bytes`);
      }
      chunks.push(value);
    }
  }
  let bytes: Buffer = Buffer.concat(chunks);
  const encoding = request.headers.get('content-encoding')?.toLowerCase();
  if (encoding === 'gzip') {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes + 1 });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || (error as Error).message.includes('maxOutputLength'))
        throw tooLarge('larger when unzipped');
      throw new HttpError(400, 'INVALID_BODY', 'Request body is not valid gzip: compress it with gzip or drop the Content-Encoding header.');
    }
  } else if (encoding && encoding !== 'identity') {
    throw new HttpError(400, 'INVALID_BODY', `Content-Encoding "${encoding}" is not supported: use gzip or none.`);
  }
  if (bytes.byteLength > maxBytes) throw tooLarge(`${bytes.byteLength} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'INVALID_BODY', 'Request body is not valid JSON: send a JSON object with Content-Type application/json.');
  }
  const problem = findJsonProblem(body, { envelope });
  if (problem) throw new HttpError(400, 'INVALID_BODY', `Invalid request body: ${problem.path || '(root)'}: ${problem.message}.`, opIdAt?.(body, problem.path));
  return body;
}
