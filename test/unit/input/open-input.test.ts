import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FatalError, UsageError } from '../../../src/errors.js';
import { openInput, openInputStream, type InputSource, type RawLine } from '../../../src/input/open-input.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-input-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

function describeLine(raw: RawLine): string {
  return 'tooLong' in raw ? `${raw.line}: too long (${raw.length})` : `${raw.line}: ${raw.bytes.toString('utf8')}`;
}

async function readAll(source: InputSource): Promise<string[]> {
  const out: string[] = [];
  for await (const raw of source.lines()) out.push(describeLine(raw));
  return out;
}

const TEXT = '\ufeff{"id":"a"}\r\n\n{"id":"b"}\n{"id":"c"}';
const EXPECTED = ['1: {"id":"a"}', '3: {"id":"b"}', '4: {"id":"c"}'];

describe('openInput', () => {
  it('reads a plain file and reports its size and the bytes read', async () => {
    const file = write('plain.jsonl', TEXT);
    const source = openInput(file, { maxLineBytes: 1024 });
    expect(source.totalBytes).toBe(Buffer.byteLength(TEXT));
    expect(source.bytesRead()).toBe(0);
    expect(await readAll(source)).toEqual(EXPECTED);
    expect(source.bytesRead()).toBe(Buffer.byteLength(TEXT));
  });

  it('gunzips a .jsonl.gz file and counts compressed bytes', async () => {
    const gz = gzipSync(TEXT);
    const source = openInput(write('input.jsonl.gz', gz), { maxLineBytes: 1024 });
    expect(await readAll(source)).toEqual(EXPECTED);
    expect(source.totalBytes).toBe(gz.length);
    expect(source.bytesRead()).toBe(gz.length);
  });

  it('detects gzip by its magic bytes whatever the name', async () => {
    const source = openInput(write('really-gzip.jsonl', gzipSync(TEXT)), { maxLineBytes: 1024 });
    expect(await readAll(source)).toEqual(EXPECTED);
  });

  it('fails with MS_INPUT_READ when a .gz file is not gzip', async () => {
    const source = openInput(write('not-gzip.jsonl.gz', TEXT), { maxLineBytes: 1024 });
    await expect(readAll(source)).rejects.toMatchObject({ name: 'FatalError', code: 'MS_INPUT_READ' });
  });

  it('fails with MS_INPUT_READ on a truncated gzip file', async () => {
    const gz = gzipSync(TEXT.repeat(100));
    const source = openInput(write('cut.jsonl.gz', gz.subarray(0, gz.length - 20)), { maxLineBytes: 1024 });
    const error: unknown = await readAll(source).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FatalError);
    expect((error as FatalError).message).toContain('cut.jsonl.gz');
  });

  it('reports a 50 MB line inside a small .gz file as too long, then goes on', async () => {
    const line = Buffer.alloc(50 * 1024 * 1024, 0x61);
    const gz = gzipSync(Buffer.concat([Buffer.from('{"id":"first"}\n'), line, Buffer.from('\n{"id":"last"}\n')]));
    const source = openInput(write('bomb.jsonl.gz', gz), { maxLineBytes: 1024 * 1024 });
    expect(await readAll(source)).toEqual(['1: {"id":"first"}', `2: too long (${line.length})`, '3: {"id":"last"}']);
  });

  it('throws MS_INPUT_MISSING naming a missing path', () => {
    const missing = path.join(dir, 'nope.jsonl');
    const error: unknown = (() => {
      try {
        openInput(missing, { maxLineBytes: 1024 });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'MS_INPUT_MISSING', exitCode: 2 });
    expect((error as Error).message).toContain(missing);
  });

  it('throws MS_INPUT_MISSING for a directory', () => {
    expect(() => openInput(dir, { maxLineBytes: 1024 })).toThrow(expect.objectContaining({ code: 'MS_INPUT_MISSING' }));
  });

  it.skipIf(process.getuid?.() === 0)('throws MS_INPUT_MISSING for an unreadable file', () => {
    const file = write('secret.jsonl', TEXT);
    fs.chmodSync(file, 0o000);
    expect(() => openInput(file, { maxLineBytes: 1024 })).toThrow(
      expect.objectContaining({ code: 'MS_INPUT_MISSING', message: expect.stringContaining('permission denied') as unknown }),
    );
  });

  it('can be read only once, and close() is idempotent', async () => {
    const source = openInput(write('once.jsonl', TEXT), { maxLineBytes: 1024 });
    await readAll(source);
    expect(() => source.lines()).toThrow(/only once/);
    source.close();
    source.close();
  });
});

describe('openInputStream (stdin and other streams)', () => {
  it('reads a stream fed in small pieces, without a total size', async () => {
    const stream = new PassThrough();
    const source = openInputStream(stream, { maxLineBytes: 1024, name: 'stdin' });
    const bytes = Buffer.from(TEXT);
    for (let at = 0; at < bytes.length; at += 3) stream.write(bytes.subarray(at, at + 3));
    stream.end();
    expect(source.totalBytes).toBeUndefined();
    expect(await readAll(source)).toEqual(EXPECTED);
    expect(source.bytesRead()).toBe(bytes.length);
  });

  it('detects gzip on a stream even when the magic bytes arrive one at a time', async () => {
    const gz = gzipSync(TEXT);
    const chunks = [gz.subarray(0, 1), gz.subarray(1, 2), gz.subarray(2)];
    const source = openInputStream(Readable.from(chunks), { maxLineBytes: 1024, name: 'stdin' });
    expect(await readAll(source)).toEqual(EXPECTED);
  });

  it('reads a one-byte stream', async () => {
    const source = openInputStream(Readable.from([Buffer.from('x')]), { maxLineBytes: 1024, name: 'stdin' });
    expect(await readAll(source)).toEqual(['1: x']);
  });

  it('pulls from the stream only as fast as lines are consumed, and destroys it on an early stop', async () => {
    const line = Buffer.from(`${JSON.stringify({ id: 'x', prompt: 'y'.repeat(1000) })}\n`);
    const chunk = Buffer.concat(Array.from({ length: 64 }, () => line));
    const totalChunks = 1000;
    let produced = 0;
    const stream = new Readable({
      read() {
        produced += 1;
        this.push(produced > totalChunks ? null : chunk);
      },
    });
    const source = openInputStream(stream, { maxLineBytes: 1024 * 1024, name: 'generated' });
    let consumed = 0;
    for await (const raw of source.lines()) {
      expect('bytes' in raw).toBe(true);
      consumed += 1;
      if (consumed === 10) break;
    }
    expect(produced).toBeLessThan(10);
    expect(stream.destroyed).toBe(true);
  });

  it('stops quietly when closed while a read is pending', async () => {
    const stream = new PassThrough();
    const source = openInputStream(stream, { maxLineBytes: 1024, name: 'stdin' });
    stream.write('{"id":"a"}\n');
    const iterator = source.lines()[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    const pending = iterator.next();
    source.close();
    expect(await pending).toMatchObject({ done: true });
  });
});
