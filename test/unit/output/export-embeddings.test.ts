import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FatalError, UsageError } from '../../../src/errors.js';
import { exportCheckpoints, type ExportOptions } from '../../../src/output/export.js';
import { batchRequestId } from '../../../src/output/formats/openai-batch.js';
import { exportNpy } from '../../../src/output/npy-export.js';
import { openOutput } from '../../../src/output/output-file.js';
import { createCheckpoint, insertDone, insertEmbedding, insertFailed, tempDir } from './checkpoint-fixture.js';
import { readIds, readNpy } from './npy-reader.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function dir(): string {
  const created = tempDir();
  dirs.push(created);
  return created;
}

function options(overrides: Partial<ExportOptions> & Pick<ExportOptions, 'checkpoints'>): ExportOptions {
  return { format: 'jsonl', errors: false, out: undefined, ...overrides };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

class Collecting extends Writable {
  readonly chunks: Buffer[] = [];
  private held: (() => void)[] = [];

  constructor(private readonly hold = false) {
    super({ highWaterMark: 16 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    if (this.hold) this.held.push(callback);
    else callback();
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.bytes.toString('utf8');
  }

  release(): void {
    for (const done of this.held.splice(0)) done();
  }
}

/** Float32 values chosen to be exact, plus 0.1 (not exact: it must come back as float32(0.1)). */
const V = {
  a: [0.5, -1, 0.1],
  b: [2, 0.25, -0.125],
  c: [1, 1, 1],
  shared: [-3, 4, 0.75],
};

/** Line order: chat, string input, array input (sharing a text with line 5), failed embedding, string input, chat. */
function mixedCheckpoint(base: string, name = 'mixed.memsafe.db', prefix = ''): string {
  const file = path.join(base, name);
  const db = createCheckpoint(file);
  insertEmbedding(db, { id: `${prefix}many`, line: 3, input: 'array', vectors: [{ key: 'kb', values: V.b }, { key: 'kc', values: V.c }, { key: 'ks', values: V.shared }] });
  insertDone(db, { id: `${prefix}chat-1`, line: 1, content: 'hello' });
  insertEmbedding(db, { id: `${prefix}one`, line: 2, vectors: [{ key: 'ka', values: V.a }], cached: true, usage: { prompt_tokens: 2, total_tokens: 2 } });
  insertFailed(db, { id: `${prefix}too-long`, line: 4, code: 'http_400', message: 'input too long', httpStatus: 400, endpoint: '/v1/embeddings' });
  insertEmbedding(db, { id: `${prefix}again`, line: 5, vectors: [{ key: 'ks', values: V.shared }] });
  insertDone(db, { id: `${prefix}chat-6`, line: 6, content: 'bye' });
  db.close();
  return file;
}

function embeddingsOnly(base: string, name: string, records: { id: string; dim: number; texts?: number }[]): string {
  const file = path.join(base, name);
  const db = createCheckpoint(file);
  records.forEach((record, index) => {
    const texts = record.texts ?? 1;
    insertEmbedding(db, {
      id: record.id,
      line: index + 1,
      input: texts === 1 ? 'string' : 'array',
      vectors: Array.from({ length: texts }, (_, text) => ({
        key: `${name}-${record.id}-${text}`,
        values: Array.from({ length: record.dim }, (_, column) => index + text / 10 + column / 100),
      })),
    });
  });
  db.close();
  return file;
}

/** Files in a test directory other than checkpoints (and their -wal / -shm). */
function outputsIn(base: string): string[] {
  return fs.readdirSync(base).filter((name) => !/\.db(-wal|-shm)?$/.test(name));
}

const f32 = (values: number[]): number[] => values.map((value) => Math.fround(value));

describe('export of embeddings records as text', () => {
  it('jsonl writes chat and embeddings records in line order, each in its own shape', async () => {
    const base = dir();
    const stdout = new Collecting();
    const result = await exportCheckpoints(options({ checkpoints: [mixedCheckpoint(base)] }), stdout);
    expect(result.rows).toBe(5);
    const lines = jsonLines(stdout.text);
    expect(lines.map((line) => line['id'])).toEqual(['chat-1', 'one', 'many', 'again', 'chat-6']);
    expect(lines[0]).toMatchObject({ content: 'hello', finish_reason: 'stop' });
    expect(lines[1]).toEqual({ id: 'one', line: 2, model: 'mock-embed', usage: { prompt_tokens: 2, total_tokens: 2 }, cached: true, embedding: V.a });
    expect(lines[2]).toEqual({
      id: 'many',
      line: 3,
      model: 'mock-embed',
      usage: { prompt_tokens: 3, total_tokens: 3 },
      cached: false,
      embeddings: [V.b, V.c, V.shared],
    });
    expect(lines[3]).toMatchObject({ id: 'again', embedding: V.shared });
  });

  it('openai-batch writes embeddings lines with an OpenAI `list` body', async () => {
    const base = dir();
    const file = mixedCheckpoint(base);
    const stdout = new Collecting();
    await exportCheckpoints(options({ checkpoints: [file], format: 'openai-batch' }), stdout);
    const lines = jsonLines(stdout.text);
    expect(lines.map((line) => line['custom_id'])).toEqual(['chat-1', 'one', 'many', 'again', 'chat-6']);
    expect(lines[2]).toEqual({
      id: batchRequestId(fs.realpathSync(file), 'many'),
      custom_id: 'many',
      response: {
        status_code: 200,
        request_id: 'req-many',
        body: {
          object: 'list',
          data: [
            { object: 'embedding', index: 0, embedding: V.b },
            { object: 'embedding', index: 1, embedding: V.c },
            { object: 'embedding', index: 2, embedding: V.shared },
          ],
          model: 'mock-embed',
          usage: { prompt_tokens: 3, total_tokens: 3 },
        },
      },
      error: null,
    });
    expect(lines[1]).toMatchObject({ response: { body: { object: 'list', data: [{ index: 0, embedding: V.a }] } } });
    expect(lines[0]).toMatchObject({ response: { body: { object: 'chat.completion' } } });
  });

  it('csv writes one row per text for an embeddings checkpoint', async () => {
    const base = dir();
    const file = embeddingsOnly(base, 'e.db', [
      { id: 'x', dim: 2 },
      { id: 'y', dim: 2, texts: 2 },
    ]);
    const stdout = new Collecting();
    const result = await exportCheckpoints(options({ checkpoints: [file], format: 'csv' }), stdout);
    expect(result.rows).toBe(2);
    expect(stdout.text).toBe(['id,line,index,dim,embedding', 'x,1,0,2,"[0,0.01]"', 'y,2,0,2,"[1,1.01]"', 'y,2,1,2,"[1.1,1.11]"', ''].join('\r\n'));
  });

  it('csv refuses a checkpoint that holds both kinds before creating the output', async () => {
    const base = dir();
    const out = path.join(base, 'out.csv');
    const exporting = exportCheckpoints(options({ checkpoints: [mixedCheckpoint(base)], format: 'csv', out }));
    await expect(exporting).rejects.toThrow(UsageError);
    await expect(exporting).rejects.toThrow(/--format csv writes one kind of record/);
    expect(outputsIn(base)).toEqual([]);
  });

  it('--errors writes failed embeddings records like any other', async () => {
    const base = dir();
    const stdout = new Collecting();
    await exportCheckpoints(options({ checkpoints: [mixedCheckpoint(base)], errors: true }), stdout);
    expect(jsonLines(stdout.text)).toEqual([
      { id: 'too-long', line: 4, code: 'http_400', message: 'input too long', http_status: 400, retryable: false, attempts: 1 },
    ]);
  });

  it('fails naming the record when a vector the manifest lists is gone, keeping the old output', async () => {
    const base = dir();
    const file = mixedCheckpoint(base);
    const db = createCheckpoint(file);
    db.prepare("DELETE FROM vectors WHERE key = 'kc'").run();
    db.close();
    const out = path.join(base, 'out.jsonl');
    fs.writeFileSync(out, 'yesterday\n');
    await expect(exportCheckpoints(options({ checkpoints: [file], out }))).rejects.toThrow(/"many" \(line 3\) lists vector 1 \(kc\), which is missing/);
    expect(fs.readFileSync(out, 'utf8')).toBe('yesterday\n');
  });
});

describe('export --format npy', () => {
  it('writes one float32 row per text and an ids file in the same order, leaving chat records out', async () => {
    const base = dir();
    const out = path.join(base, 'vectors.npy');
    const result = await exportCheckpoints(options({ checkpoints: [mixedCheckpoint(base)], format: 'npy', out }));
    const idsFile = path.join(base, 'vectors.ids.tsv');
    expect(result).toEqual({ rows: 3, output: out, outputClosed: false, npy: { vectors: 5, dim: 3, idsFile, leftOut: 2 } });
    const matrix = readNpy(fs.readFileSync(out));
    expect(matrix).toMatchObject({ descr: '<f4', fortranOrder: false, shape: [5, 3] });
    expect(matrix.rows).toEqual([f32(V.a), f32(V.b), f32(V.c), f32(V.shared), f32(V.shared)]);
    expect(readIds(fs.readFileSync(idsFile, 'utf8'))).toEqual([
      ['one', 0],
      ['many', 0],
      ['many', 1],
      ['many', 2],
      ['again', 0],
    ]);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    expect(fs.statSync(idsFile).mode & 0o777).toBe(0o600);
  });

  it('concatenates shards into one matrix, escaping ids that hold a tab or a line break', async () => {
    const base = dir();
    const first = embeddingsOnly(base, 'a.db', [{ id: 'tab\there', dim: 4 }]);
    const second = embeddingsOnly(base, 'b.db', [
      { id: 'line\nbreak', dim: 4, texts: 2 },
      { id: 'plain', dim: 4 },
    ]);
    const out = path.join(base, 'all.npy');
    await exportCheckpoints(options({ checkpoints: [first, second], format: 'npy', out }));
    const matrix = readNpy(fs.readFileSync(out));
    expect(matrix.shape).toEqual([4, 4]);
    expect(matrix.rows[2]).toEqual(f32([0.1, 0.11, 0.12, 0.13]));
    expect(readIds(fs.readFileSync(path.join(base, 'all.ids.tsv'), 'utf8'))).toEqual([
      ['tab\there', 0],
      ['line\nbreak', 0],
      ['line\nbreak', 1],
      ['plain', 0],
    ]);
  });

  it('refuses vectors of different dimensions, naming the record, before creating any output', async () => {
    const base = dir();
    const first = embeddingsOnly(base, 'a.db', [{ id: 'small', dim: 4 }]);
    const second = embeddingsOnly(base, 'b.db', [
      { id: 'same', dim: 4 },
      { id: 'bigger', dim: 8 },
    ]);
    const out = path.join(base, 'v.npy');
    const exporting = exportCheckpoints(options({ checkpoints: [first, second], format: 'npy', out }));
    await expect(exporting).rejects.toThrow(UsageError);
    await expect(exporting).rejects.toThrow(`Record "bigger" (line 2 of ${second}) has 8-dimensional vectors but record "small" (line 1 of ${first}) has 4`);
    expect(outputsIn(base)).toEqual([]);
  });

  it.each([
    ['a chat-only checkpoint', true],
    ['an empty checkpoint', false],
  ])('refuses %s with a clear usage error', async (_name, withChat) => {
    const base = dir();
    const file = path.join(base, 'c.db');
    const db = createCheckpoint(file);
    if (withChat) insertDone(db, { id: 'chat', line: 1 });
    db.close();
    const exporting = exportCheckpoints(options({ checkpoints: [file], format: 'npy', out: path.join(base, 'v.npy') }));
    await expect(exporting).rejects.toThrow(UsageError);
    await expect(exporting).rejects.toThrow(`Checkpoint ${file} holds no done embeddings records`);
    expect(outputsIn(base)).toEqual([]);
  });

  it.each([
    [undefined, /never to stdout/],
    ['-', /never to stdout/],
    ['vectors.npy.gz', /written uncompressed/],
    ['vectors.bin', /Expected `--out` to end in \.npy for --format npy, got `vectors.bin`/],
  ])('refuses --out %s', async (out, message) => {
    const base = dir();
    const exporting = exportCheckpoints(options({ checkpoints: [mixedCheckpoint(base)], format: 'npy', out }));
    await expect(exporting).rejects.toThrow(UsageError);
    await expect(exporting).rejects.toThrow(message);
  });

  it('refuses --errors', async () => {
    const base = dir();
    const exporting = exportCheckpoints(options({ checkpoints: [mixedCheckpoint(base)], format: 'npy', errors: true, out: path.join(base, 'v.npy') }));
    await expect(exporting).rejects.toThrow(/`--errors` writes failed lines as text/);
  });

  it('keeps the previous matrix and ids when a vector turns out damaged mid-export', async () => {
    const base = dir();
    const file = mixedCheckpoint(base);
    const db = createCheckpoint(file);
    db.prepare("UPDATE vectors SET data = x'0000' WHERE key = 'ks'").run();
    db.close();
    const out = path.join(base, 'v.npy');
    fs.writeFileSync(out, 'old matrix');
    fs.writeFileSync(path.join(base, 'v.ids.tsv'), 'old ids\n');
    await expect(exportCheckpoints(options({ checkpoints: [file], format: 'npy', out }))).rejects.toThrow(FatalError);
    expect(fs.readFileSync(out, 'utf8')).toBe('old matrix');
    expect(fs.readFileSync(path.join(base, 'v.ids.tsv'), 'utf8')).toBe('old ids\n');
    expect(fs.readdirSync(base).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('stops reading the checkpoint while the matrix is not draining', async () => {
    const base = dir();
    const file = embeddingsOnly(
      base,
      'big.db',
      Array.from({ length: 3000 }, (_, index) => ({ id: `r${index + 1}`, dim: 64 })),
    );
    const matrixOut = new Collecting(true);
    const idsOut = new Collecting();
    let finished = false;
    const exporting = exportNpy(options({ checkpoints: [file], format: 'npy', out: path.join(base, 'v.npy') }), (target) =>
      openOutput(undefined, target.endsWith('.npy') ? matrixOut : idsOut),
    ).then((result) => {
      finished = true;
      return result;
    });
    for (let tick = 0; tick < 20; tick++) await new Promise((resolve) => setImmediate(resolve));
    // 3000 x 64 float32 = 768 KB: about one 64 KB chunk was handed over (written or queued in the stream), and
    // the exporter waits for 'drain' instead of reading further.
    expect(finished).toBe(false);
    expect(matrixOut.bytes.length).toBeGreaterThan(0);
    expect(matrixOut.bytes.length + matrixOut.writableLength).toBeLessThan(200 * 1024);
    while (!finished) {
      matrixOut.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await exporting).npy?.vectors).toBe(3000);
    const matrix = readNpy(matrixOut.bytes);
    expect(matrix.shape).toEqual([3000, 64]);
    expect(matrix.rows[2999]?.[63]).toBe(Math.fround(2999 + 0.63));
    expect(readIds(idsOut.text).map(([id]) => id)).toEqual(Array.from({ length: 3000 }, (_, index) => `r${index + 1}`));
  });
});
