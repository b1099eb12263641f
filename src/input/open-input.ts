// Opens --input (a file, a .gz file, or `-` for stdin) as a pull-based stream of byte-capped lines.
import fs from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FatalError, UsageError, errorMessage } from '../errors.js';
import { LineSplitter, type RawLine } from './line-splitter.js';

export type { RawLine } from './line-splitter.js';

export interface InputSource {
  /** Single pass; pulls from the stream only as fast as it is consumed (bounded memory). */
  lines(): AsyncIterable<RawLine>;
  /** Bytes read from the file so far (compressed bytes for .gz): drives the progress bar. */
  bytesRead(): number;
  /** File size; undefined for stdin and other non-regular files. */
  readonly totalBytes: number | undefined;
  /** Idempotent; destroys the stream. */
  close(): void;
}

export interface StreamInputOptions {
  maxLineBytes: number;
  /** How messages name the input. */
  name: string;
  totalBytes?: number | undefined;
  /** Gunzip even without the magic bytes (the name ends in .gz). */
  gzip?: boolean;
}

const READ_CHUNK_BYTES = 64 * 1024;

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function openFailure(path: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : errorMessage(error);
  return new UsageError(`cannot read --input ${path}: ${reason}`, {
    code: 'MS_INPUT_MISSING',
    cause: error,
    hint: 'check the --input path, or pass - to read standard input',
  });
}

/** `path` '-' reads stdin. A missing or unreadable file is a UsageError (MS_INPUT_MISSING). */
export function openInput(path: string, options: { maxLineBytes: number }): InputSource {
  if (path === '-') return openInputStream(process.stdin, { maxLineBytes: options.maxLineBytes, name: 'stdin' });
  let fd: number;
  let stat: fs.Stats;
  try {
    fd = fs.openSync(path, 'r');
  } catch (error) {
    throw openFailure(path, error);
  }
  try {
    stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (error) {
    fs.closeSync(fd);
    throw openFailure(path, error);
  }
  const stream = fs.createReadStream(path, { fd, highWaterMark: READ_CHUNK_BYTES });
  return openInputStream(stream, {
    maxLineBytes: options.maxLineBytes,
    name: path,
    totalBytes: stat.isFile() ? stat.size : undefined,
    gzip: /\.gz$/i.test(path),
  });
}

/** Any byte stream as an input (stdin, tests). Gzip is detected by its magic bytes. */
export function openInputStream(stream: Readable, options: StreamInputOptions): InputSource {
  return new StreamInput(stream, options);
}

class StreamInput implements InputSource {
  readonly totalBytes: number | undefined;
  readonly #stream: Readable;
  readonly #options: StreamInputOptions;
  readonly #splitter: LineSplitter;
  #gunzip: ReturnType<typeof createGunzip> | undefined;
  #bytesRead = 0;
  #started = false;
  #closed = false;

  constructor(stream: Readable, options: StreamInputOptions) {
    this.#stream = stream;
    this.#options = options;
    this.totalBytes = options.totalBytes;
    this.#splitter = new LineSplitter(options.maxLineBytes);
  }

  bytesRead(): number {
    return this.#bytesRead;
  }

  lines(): AsyncIterable<RawLine> {
    if (this.#started) throw new Error('InputSource.lines() can be read only once');
    this.#started = true;
    return this.#readLines();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#gunzip?.destroy();
    this.#stream.destroy();
  }

  async *#readLines(): AsyncGenerator<RawLine> {
    const splitter = this.#splitter;
    try {
      for await (const chunk of this.#decodedChunks()) yield* splitter.push(chunk);
      yield* splitter.end();
    } catch (error) {
      if (this.#closed) return;
      throw new FatalError(`cannot read --input ${this.#options.name}: ${errorMessage(error)}`, {
        code: 'MS_INPUT_READ',
        cause: error,
      });
    } finally {
      this.close();
    }
  }

  async *#decodedChunks(): AsyncGenerator<Buffer> {
    const raw = this.#countedChunks();
    const head: Buffer[] = [];
    let headBytes = 0;
    while (headBytes < 2) {
      const next = await raw.next();
      if (next.done === true) break;
      head.push(next.value);
      headBytes += next.value.length;
    }
    const source = prepend(head, raw);
    if (this.#options.gzip !== true && !isGzip(Buffer.concat(head))) {
      yield* source;
      return;
    }
    const gunzip = createGunzip();
    this.#gunzip = gunzip;
    // pipeline destroys gunzip with any source error, so the loop below throws it; the callback has nothing left to do.
    pipeline(Readable.from(source, { objectMode: false }), gunzip, () => {});
    for await (const chunk of gunzip) yield chunk as Buffer;
  }

  async *#countedChunks(): AsyncGenerator<Buffer> {
    for await (const chunk of this.#stream) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      this.#bytesRead += bytes.length;
      yield bytes;
    }
  }
}

async function* prepend(head: readonly Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* head;
    for (;;) {
      const next = await rest.next();
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await rest.return?.();
  }
}
