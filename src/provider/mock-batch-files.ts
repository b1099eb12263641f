// The mock Files API's storage: uploads streamed to a temp dir (never held in memory), served back as streams.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface StoredFile {
  readonly id: string;
  readonly path: string;
  /** The file's content is bytes [start, end) of `path` (an upload keeps its multipart framing around it). */
  readonly start: number;
  readonly end: number;
  readonly purpose: string;
  readonly filename: string;
  readonly createdAt: number;
}

const HEAD_BYTES = 64 * 1024;

export class MockFileStore {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-mock-files-'));
  private readonly files = new Map<string, StoredFile>();
  private counter = 0;

  newId(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${this.counter.toString().padStart(6, '0')}${randomBytes(4).toString('hex')}`;
  }

  get(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  /** Writes a file the server made (batch output/errors) under a new id. */
  add(filePath: string, purpose: string, filename: string): StoredFile {
    const size = fs.statSync(filePath).size;
    const file: StoredFile = { id: this.newId('file'), path: filePath, start: 0, end: size, purpose, filename, createdAt: Date.now() };
    this.files.set(file.id, file);
    return file;
  }

  tempPath(name: string): string {
    return path.join(this.dir, `${name}-${this.newId('t')}`);
  }

  /**
   * Streams a multipart/form-data upload to disk, then finds the `file` part's bytes by reading only its head and
   * tail: the client puts the file part last. `onProgress` runs after the first chunk (the tests' kill point).
   */
  async upload(request: http.IncomingMessage, onProgress?: () => Promise<void>): Promise<StoredFile | string> {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(request.headers['content-type'] ?? '');
    const marker = boundary?.[1] ?? boundary?.[2];
    if (marker === undefined) return 'expected a multipart/form-data body with a boundary';
    const raw = this.tempPath('upload');
    let first = true;
    await pipeline(
      request,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          yield chunk;
          if (first && onProgress !== undefined) {
            first = false;
            await onProgress();
          }
        }
      },
      fs.createWriteStream(raw),
    );
    const size = fs.statSync(raw).size;
    const fd = fs.openSync(raw, 'r');
    try {
      const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
      fs.readSync(fd, head, 0, head.length, 0);
      const text = head.toString('latin1');
      const purpose = /name="purpose"\r\n\r\n([^\r]*)\r\n/.exec(text)?.[1] ?? '';
      const filePart = /name="file"; filename="([^"]*)"\r\n(?:[^\r]+\r\n)*\r\n/.exec(text);
      if (filePart === null) return 'expected a `file` part';
      const start = filePart.index + filePart[0].length;
      const closing = Buffer.from(`\r\n--${marker}--\r\n`, 'latin1');
      const tail = Buffer.alloc(Math.min(closing.length, size));
      fs.readSync(fd, tail, 0, tail.length, size - tail.length);
      if (!tail.equals(closing)) return 'the `file` part must be the last part of the body';
      const file: StoredFile = { id: this.newId('file'), path: raw, start, end: size - closing.length, purpose, filename: filePart[1] ?? '', createdAt: Date.now() };
      this.files.set(file.id, file);
      return file;
    } finally {
      fs.closeSync(fd);
    }
  }

  stream(file: StoredFile): fs.ReadStream {
    return fs.createReadStream(file.path, { start: file.start, end: Math.max(file.start, file.end - 1) });
  }

  size(file: StoredFile): number {
    return file.end - file.start;
  }

  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
