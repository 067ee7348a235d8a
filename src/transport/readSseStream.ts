/**
 * Splits complete Server-Sent Events off the front of `buffer`: the data of each (multi-line data joined)
 * and the unfinished rest, to be continued by the next chunk.
 */
export function splitSseEvents(buffer: string): { data: string[]; rest: string } {
  const data: string[] = [];
  let rest = buffer;
  let end: number;
  while ((end = rest.search(/\r?\n\r?\n/)) !== -1) {
    const block = rest.slice(0, end);
    rest = rest.slice(end).replace(/^\r?\n\r?\n/, '');
    const lines = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''));
    if (lines.length) data.push(lines.join('\n'));
  }
  return { data, rest };
}

/**
 * Reads a Server-Sent Events body and calls `onData` with each event's data (multi-line data joined).
 * Resolves when the stream ends. Works wherever fetch streams do (browsers, Node), unlike EventSource,
 * and goes through an injected fetch.
 */
export async function readSseStream(body: ReadableStream<Uint8Array>, onData: (data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    const { data, rest } = splitSseEvents(buffer + decoder.decode(value, { stream: true }));
    buffer = rest;
    for (const event of data) onData(event);
  }
}
