// A file read for a streamed upload body. Every read is a fresh Buffer, garbage once sent, but V8 sees only a
// small wrapper and counts the bytes as external memory, collected when that passes its limit (64 MB): an
// upload would keep tens of MB of sent buffers alive. A young-generation GC every few MB frees them (~1 ms).
import fs from 'node:fs';
import { Readable } from 'node:stream';

export const UPLOAD_READ_BYTES = 256 * 1024;
const RELEASE_EVERY_BYTES = 4 * 1024 * 1024;

/** Frees the buffers an upload has sent (a minor GC); undefined where gc is not exposed. */
export type ReleaseBuffers = (() => void) | undefined;

export async function* fileChunks(file: string, release: ReleaseBuffers): AsyncGenerator<Buffer> {
  let since = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: UPLOAD_READ_BYTES }) as AsyncIterable<Buffer>) {
    yield chunk;
    since += chunk.length;
    if (release !== undefined && since >= RELEASE_EVERY_BYTES) {
      since = 0;
      release();
    }
  }
}

/** A byte stream of the parts, read ahead by one chunk (an object-mode stream would buffer 16: 4 MB). */
export function uploadBody(parts: AsyncIterable<Buffer>): Readable {
  return Readable.from(parts, { objectMode: false, highWaterMark: UPLOAD_READ_BYTES });
}
