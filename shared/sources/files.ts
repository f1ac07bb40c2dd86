import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { StreamingMessage } from '../pipeline/streaming';

/**
 * Reads Event Hubs message bodies from files for `replay`: NDJSON (one body per line) is streamed line by
 * line, so a 1 GB file never sits in memory. A file whose first line is not a complete JSON value is
 * one pretty-printed body; it is read whole (bounded by MAX_SINGLE_BODY_BYTES: Event Hubs bodies are
 * at most 1 MB, so anything near the bound is not a single body).
 */

export const MAX_SINGLE_BODY_BYTES = 64 * 1024 * 1024;

export interface FileSourceOptions {
  /** Most messages per yielded chunk; sets the delivery batch size. */
  chunkMessages: number;
  /** Most body bytes per yielded chunk (at least one message): bounds memory whatever the body sizes. */
  chunkBytes: number;
  /** Called with bytes read so far, for progress. */
  onBytes?: (bytesRead: number) => void;
}

/** Splits a byte stream into lines (LF or CRLF) without decoding across chunk boundaries wrongly. */
async function* lines(stream: Readable): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      let line: Buffer = chunk.subarray(start, nl);
      if (pending.length) {
        line = Buffer.concat([...pending, line]);
        pending = [];
      }
      yield line.length && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length) {
    const line = Buffer.concat(pending);
    yield line.length && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
  }
}

function isBlank(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function parsesAsJson(b: Buffer): boolean {
  try {
    JSON.parse(b.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Yields chunks of messages from one file (or stdin when `file` is `-`). Each message body is the raw
 * line bytes, so invalid UTF-8 is detected by the pipeline, exactly as for an Event Hubs body.
 */
export async function* readMessagesFromFile(file: string, stdin: NodeJS.ReadableStream, options: FileSourceOptions): AsyncGenerator<StreamingMessage[]> {
  const isStdin = file === '-';
  const open = (): Readable => (isStdin ? (stdin as Readable) : createReadStream(file, { highWaterMark: 1 << 20 }));
  const source = isStdin ? 'stdin' : 'file';
  const name = isStdin ? 'stdin' : file;
  let bytesRead = 0;
  let lineNo = 0;
  let messageIndex = 0;
  let chunk: StreamingMessage[] = [];
  let chunkBytes = 0;
  let firstContentLine: Buffer | undefined;
  let wholeBody: Buffer[] | undefined;
  let wholeBytes = 0;

  for await (const line of lines(open())) {
    lineNo++;
    bytesRead += line.length + 1;
    if (wholeBody) {
      wholeBytes += line.length + 1;
      if (wholeBytes > MAX_SINGLE_BODY_BYTES) throw new Error(`${name}: not NDJSON and larger than ${MAX_SINGLE_BODY_BYTES} bytes as one body`);
      wholeBody.push(line, Buffer.from('\n'));
      continue;
    }
    if (isBlank(line)) continue;
    if (firstContentLine === undefined) {
      firstContentLine = line;
      const trimmed = line.toString('utf8').trim();
      // A first line such as "{" or "[" that is not JSON on its own: the file is one pretty-printed body.
      if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && !parsesAsJson(line) && !isStdin) {
        wholeBody = [line, Buffer.from('\n')];
        wholeBytes = line.length + 1;
        continue;
      }
    }
    chunk.push({ body: line, provenance: { source, file: name, line: lineNo, messageIndex: messageIndex++ } });
    chunkBytes += line.length;
    if (chunk.length >= options.chunkMessages || chunkBytes >= options.chunkBytes) {
      options.onBytes?.(bytesRead);
      yield chunk;
      chunk = [];
      chunkBytes = 0;
    }
  }
  if (wholeBody) {
    chunk.push({ body: Buffer.concat(wholeBody), provenance: { source, file: name, line: 1, messageIndex: messageIndex++ } });
  }
  options.onBytes?.(bytesRead);
  if (chunk.length) yield chunk;
}
