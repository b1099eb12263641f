import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FatalError, UsageError } from '../../../src/errors.js';
import { OutputClosedError, openOutput } from '../../../src/output/output-file.js';
import { tempDir } from './checkpoint-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function dir(): string {
  const created = tempDir();
  dirs.push(created);
  return created;
}

/** A stdout stand-in whose writes complete only when the test says so. */
class HeldWritable extends Writable {
  readonly chunks: string[] = [];
  private pending: (() => void)[] = [];

  constructor() {
    super({ highWaterMark: 16, decodeStrings: false });
  }

  override _write(chunk: string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.pending.push(() => callback());
  }

  release(): void {
    for (const done of this.pending.splice(0)) done();
  }
}

describe('openOutput to a file', () => {
  it('writes the chunks to a file created 0600 and leaves no temporary file', async () => {
    const target = path.join(dir(), 'out.jsonl');
    const sink = await openOutput(target);
    await sink.write('{"a":1}\n');
    await sink.write('{"a":2}\n');
    await sink.close();
    expect(fs.readFileSync(target, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(target))).toEqual(['out.jsonl']);
  });

  it('gzips a path ending in .gz', async () => {
    const target = path.join(dir(), 'out.jsonl.gz');
    const sink = await openOutput(target);
    const lines = Array.from({ length: 2000 }, (_, index) => `{"n":${index}}\n`);
    for (const line of lines) await sink.write(line);
    await sink.close();
    const compressed = fs.readFileSync(target);
    expect(compressed.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(zlib.gunzipSync(compressed).toString('utf8')).toBe(lines.join(''));
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
  });

  it('replaces an existing world-readable file with an owner-only one', async () => {
    const target = path.join(dir(), 'out.csv');
    fs.writeFileSync(target, 'old\n', { mode: 0o644 });
    fs.chmodSync(target, 0o644);
    const sink = await openOutput(target);
    await sink.write('new\n');
    await sink.close();
    expect(fs.readFileSync(target, 'utf8')).toBe('new\n');
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
  });

  it('abort leaves an existing file untouched and removes the partial one', async () => {
    const target = path.join(dir(), 'out.jsonl.gz');
    fs.writeFileSync(target, 'previous export');
    const sink = await openOutput(target);
    await sink.write('half an export\n');
    await sink.abort();
    expect(fs.readFileSync(target, 'utf8')).toBe('previous export');
    expect(fs.readdirSync(path.dirname(target))).toEqual(['out.jsonl.gz']);
  });

  it('writes to a device directly, without renaming over it or changing its mode', async () => {
    const before = fs.statSync('/dev/null').mode;
    const sink = await openOutput('/dev/null');
    await sink.write('discarded\n');
    await sink.close();
    expect(fs.statSync('/dev/null').mode).toBe(before);
  });

  it('refuses a directory and a path in a missing directory as usage errors', async () => {
    const base = dir();
    await expect(openOutput(base)).rejects.toThrow(UsageError);
    await expect(openOutput(path.join(base, 'missing', 'out.jsonl'))).rejects.toThrow(/Cannot create `--out`/);
  });
});

describe('openOutput to stdout', () => {
  it('waits for drain before accepting more (backpressure)', async () => {
    const stdout = new HeldWritable();
    const sink = await openOutput(undefined, stdout);
    let accepted = false;
    const writing = sink.write('more than sixteen characters\n').then(() => {
      accepted = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(accepted).toBe(false);
    stdout.release();
    await writing;
    expect(accepted).toBe(true);
    expect(stdout.chunks).toEqual(['more than sixteen characters\n']);
    expect(stdout.writableEnded).toBe(false);
  });

  it('treats `-` as stdout and never ends it on close', async () => {
    const stdout = new HeldWritable();
    const sink = await openOutput('-', stdout);
    expect(sink.name).toBe('stdout');
    await sink.write('x');
    stdout.release();
    const closing = sink.close();
    stdout.release();
    await closing;
    expect(stdout.writableEnded).toBe(false);
  });

  it('reports a reader that went away (EPIPE) as OutputClosedError', async () => {
    const stdout = new HeldWritable();
    const sink = await openOutput(undefined, stdout);
    const writing = sink.write('more than sixteen characters\n');
    stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await expect(writing).rejects.toThrow(OutputClosedError);
  });

  it('reports any other write failure as a FatalError naming the output', async () => {
    const stdout = new HeldWritable();
    const sink = await openOutput(undefined, stdout);
    const writing = sink.write('more than sixteen characters\n');
    stdout.destroy(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    await expect(writing).rejects.toThrow(FatalError);
    await expect(sink.write('again')).rejects.toThrow(/Cannot write stdout: no space left/);
  });
});

describe('openOutput to a stream destroyed without an error', () => {
  it('stops with OutputClosedError instead of waiting for a drain that never comes', async () => {
    const stdout = new HeldWritable();
    const sink = await openOutput(undefined, stdout);
    stdout.destroy();
    await expect(sink.write('more than sixteen characters\n')).rejects.toThrow(OutputClosedError);
  });
});
