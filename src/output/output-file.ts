// Where an export goes: stdout, or a file created 0600 (it holds responses), gzip-compressed when the path ends
// in .gz. Writes wait for 'drain', so a slow disk or reader holds the exporter back instead of filling memory.
// A regular file is written under a temporary name and renamed on success: a reader never sees half an export.
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { FatalError, UsageError, errorMessage } from '../errors.js';

export interface OutputSink {
  /** `stdout` or the path, for messages. */
  readonly name: string;
  /** Resolves once the chunk is accepted; waits for 'drain' when the stream asked to. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Flushes everything and puts the file in place. */
  close(): Promise<void>;
  /** Stops writing and removes a partial file; never throws. */
  abort(): Promise<void>;
}

/** The reader of stdout went away (`memsafe export | head`): not a failure of the export. */
export class OutputClosedError extends Error {
  constructor() {
    super('the output was closed by its reader');
  }
}

const STDOUT_NAMES = new Set(['-', '/dev/stdout']);

/** `--out` values that mean stdout. */
export function isStdout(target: string | undefined): boolean {
  return target === undefined || STDOUT_NAMES.has(target);
}

/** `undefined` or `-` writes to stdout; any other value is a file path. */
export async function openOutput(target: string | undefined, stdout: Writable = process.stdout): Promise<OutputSink> {
  if (target === undefined || isStdout(target)) return new StreamSink('stdout', stdout, () => Promise.resolve());
  const existing = await statOrUndefined(target);
  if (existing?.isDirectory() === true) throw new UsageError(`\`--out\` ${target} is a directory`, { code: 'MS_OUT_PATH' });
  const gzip = target.endsWith('.gz');
  // Devices and FIFOs (/dev/null, a named pipe) cannot be renamed over: write to them directly.
  if (existing !== undefined && !existing.isFile()) return openDirect(target, gzip);
  return openReplacing(target, gzip);
}

async function statOrUndefined(target: string): Promise<fs.Stats | undefined> {
  try {
    return await fs.promises.stat(target);
  } catch {
    return undefined;
  }
}

async function openFile(file: string, flags: string): Promise<fs.promises.FileHandle> {
  try {
    return await fs.promises.open(file, flags, 0o600);
  } catch (cause) {
    throw new UsageError(`Cannot create \`--out\` ${file}: ${errorMessage(cause)}`, { code: 'MS_OUT_PATH', cause });
  }
}

async function openDirect(target: string, gzip: boolean): Promise<OutputSink> {
  const handle = await openFile(target, 'w');
  return fileSink(target, handle, gzip, {
    commit: () => Promise.resolve(),
    discard: () => Promise.resolve(),
  });
}

async function openReplacing(target: string, gzip: boolean): Promise<OutputSink> {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  const handle = await openFile(temporary, 'wx');
  return fileSink(target, handle, gzip, {
    commit: () => fs.promises.rename(temporary, target),
    discard: () => fs.promises.rm(temporary, { force: true }),
  });
}

interface Placement {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

function fileSink(target: string, handle: fs.promises.FileHandle, gzip: boolean, placement: Placement): OutputSink {
  const file = handle.createWriteStream();
  if (!gzip) return new StreamSink(target, file, () => finishFile(file), placement);
  const compressor = zlib.createGzip();
  const piped = pipeline(compressor, file);
  // A failure surfaces through write()/close(); this keeps it from being an unhandled rejection meanwhile.
  piped.catch(() => undefined);
  return new StreamSink(target, compressor, () => piped, placement);
}

async function finishFile(file: fs.WriteStream): Promise<void> {
  if (file.closed) return;
  await once(file, 'close');
}

class StreamSink implements OutputSink {
  private failure: Error | undefined;
  private finished = false;

  constructor(
    readonly name: string,
    private readonly stream: Writable,
    /** Resolves when everything written has reached its destination (after end()). */
    private readonly flushed: () => Promise<void>,
    private readonly placement?: Placement,
  ) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ??= error.code === 'EPIPE' ? new OutputClosedError() : this.writeError(error);
    });
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    this.throwIfUnwritable();
    if (this.stream.write(chunk)) return;
    await this.drained();
  }

  async close(): Promise<void> {
    this.throwIfFailed();
    this.finished = true;
    if (this.placement === undefined) {
      // stdout belongs to the process: flush it, never end it.
      await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
      this.throwIfFailed();
      return;
    }
    this.stream.end();
    try {
      await this.flushed();
      this.throwIfFailed();
      await this.placement.commit();
    } catch (error) {
      await this.placement.discard().catch(() => undefined);
      throw error instanceof OutputClosedError || error instanceof FatalError ? error : this.writeError(error);
    }
  }

  async abort(): Promise<void> {
    if (this.placement === undefined || this.finished) return;
    this.finished = true;
    this.stream.destroy();
    await this.flushed().catch(() => undefined);
    await this.placement.discard().catch(() => undefined);
  }

  /** Waits for 'drain', or for the stream to fail or close (then 'drain' never comes). */
  private async drained(): Promise<void> {
    this.throwIfUnwritable();
    await new Promise<void>((resolve) => {
      const settle = (): void => {
        this.stream.off('drain', settle).off('error', settle).off('close', settle);
        resolve();
      };
      this.stream.on('drain', settle).on('error', settle).on('close', settle);
    });
    this.throwIfUnwritable();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private throwIfUnwritable(): void {
    // Destroyed without an error (its reader went away): a write would wait for a 'drain' that never comes.
    if (this.failure === undefined && this.stream.destroyed) this.failure = new OutputClosedError();
    this.throwIfFailed();
  }

  private writeError(cause: unknown): FatalError {
    return new FatalError(`Cannot write ${this.name}: ${errorMessage(cause)}`, { code: 'MS_OUT_WRITE', cause });
  }
}
