import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FatalError, UsageError } from '../../../src/errors.js';
import { exportCheckpoints, type ExportOptions } from '../../../src/output/export.js';
import { batchRequestId } from '../../../src/output/formats/openai-batch.js';
import { createCheckpoint, insertDone, insertFailed, insertLineError, tempDir } from './checkpoint-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function dir(): string {
  const created = tempDir();
  dirs.push(created);
  return created;
}

/** One checkpoint with done records, a failed request, a bad line and a duplicate-id line, written out of order. */
function shard(base: string, name: string, prefix: string): string {
  const file = path.join(base, `${name}.memsafe.db`);
  const db = createCheckpoint(file);
  insertDone(db, { id: `${prefix}3`, line: 3, content: `answer ${prefix}3` });
  insertDone(db, { id: `${prefix}1`, line: 1, content: `answer ${prefix}1`, cached: true });
  insertFailed(db, { id: `${prefix}2`, line: 2, code: 'http_500', message: 'server error', httpStatus: 500, retryable: true, attempts: 4 });
  insertFailed(db, { id: 'line-4', line: 4, code: 'invalid_json', message: 'Unexpected end of JSON input', badLine: true });
  insertLineError(db, 5, `${prefix}1`);
  db.close();
  return file;
}

function options(overrides: Partial<ExportOptions> & Pick<ExportOptions, 'checkpoints'>): ExportOptions {
  return { format: 'openai-batch', errors: false, out: undefined, ...overrides };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

class CollectingWritable extends Writable {
  text = '';
  private held: (() => void)[] = [];

  constructor(private readonly hold: boolean) {
    super({ highWaterMark: 16, decodeStrings: false });
  }

  override _write(chunk: string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk;
    if (this.hold) this.held.push(callback);
    else callback();
  }

  release(): number {
    const count = this.held.length;
    for (const done of this.held.splice(0)) done();
    return count;
  }
}

describe('exportCheckpoints', () => {
  it('writes OpenAI Batch output lines for done records only, in line order', async () => {
    const base = dir();
    const file = shard(base, 'a', 'a');
    const out = path.join(base, 'out.jsonl');
    const result = await exportCheckpoints(options({ checkpoints: [file], out }));
    expect(result).toEqual({ rows: 2, output: out, outputClosed: false });
    const lines = jsonLines(fs.readFileSync(out, 'utf8'));
    expect(lines.map((line) => line['custom_id'])).toEqual(['a1', 'a3']);
    expect(lines[0]).toMatchObject({
      id: batchRequestId(fs.realpathSync(file), 'a1'),
      response: { status_code: 200, request_id: 'req-a1', body: { choices: [{ message: { content: 'answer a1' } }] } },
      error: null,
    });
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
  });

  it('--errors writes failed records, bad lines and duplicate-id lines in line order', async () => {
    const base = dir();
    const file = shard(base, 'a', 'a');
    const stdout = new CollectingWritable(false);
    const result = await exportCheckpoints(options({ checkpoints: [file], errors: true, format: 'jsonl' }), stdout);
    expect(result.rows).toBe(3);
    expect(jsonLines(stdout.text)).toEqual([
      { id: 'a2', line: 2, code: 'http_500', message: 'server error', http_status: 500, retryable: true, attempts: 4 },
      { id: 'line-4', line: 4, code: 'invalid_json', message: 'Unexpected end of JSON input', http_status: null, retryable: false, attempts: 0 },
      { id: 'a1', line: 5, code: 'duplicate_id', message: 'id already used by an earlier line', http_status: null, retryable: false, attempts: 0 },
    ]);
  });

  it('concatenates several checkpoints into one CSV with a single header', async () => {
    const base = dir();
    const first = shard(base, 'a', 'a');
    const second = shard(base, 'b', 'b');
    const stdout = new CollectingWritable(false);
    await exportCheckpoints(options({ checkpoints: [first, second], format: 'csv' }), stdout);
    expect(stdout.text).toBe(
      [
        'id,line,status,content,prompt_tokens,completion_tokens,cached,trimmed,model,cost_usd',
        'a1,1,done,answer a1,5,7,true,false,,',
        'a3,3,done,answer a3,5,7,false,false,,',
        'b1,1,done,answer b1,5,7,true,false,,',
        'b3,3,done,answer b3,5,7,false,false,,',
        '',
      ].join('\r\n'),
    );
  });

  it('gives the same record id in two shards two different batch ids', async () => {
    const base = dir();
    const stdout = new CollectingWritable(false);
    await exportCheckpoints(options({ checkpoints: [shard(base, 'a', 'x'), shard(base, 'b', 'x')] }), stdout);
    const ids = jsonLines(stdout.text).map((line) => line['id']);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
  });

  it('gzips an output path ending in .gz', async () => {
    const base = dir();
    const out = path.join(base, 'results.jsonl.gz');
    await exportCheckpoints(options({ checkpoints: [shard(base, 'a', 'a')], format: 'jsonl', out }));
    const lines = jsonLines(zlib.gunzipSync(fs.readFileSync(out)).toString('utf8'));
    expect(lines.map((line) => line['id'])).toEqual(['a1', 'a3']);
  });

  it('stops reading the checkpoint while the output is not draining', async () => {
    const base = dir();
    const file = path.join(base, 'big.memsafe.db');
    const db = createCheckpoint(file);
    db.transaction(() => {
      for (let line = 1; line <= 3000; line++) insertDone(db, { id: `r${line}`, line });
    })();
    db.close();
    const stdout = new CollectingWritable(true);
    let finished = false;
    const exporting = exportCheckpoints(options({ checkpoints: [file], format: 'jsonl' }), stdout).then((result) => {
      finished = true;
      return result;
    });
    for (let tick = 0; tick < 20; tick++) await new Promise((resolve) => setImmediate(resolve));
    // One chunk went out and the exporter is waiting for 'drain' instead of reading further.
    expect(finished).toBe(false);
    const firstChunk = stdout.text.length;
    expect(firstChunk).toBeGreaterThan(0);
    expect(firstChunk).toBeLessThan(200 * 1024);
    while (!finished) {
      stdout.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await exporting).rows).toBe(3000);
    expect(jsonLines(stdout.text).map((line) => line['line'])).toEqual(Array.from({ length: 3000 }, (_, index) => index + 1));
  });

  it('ends quietly when the reader of stdout goes away', async () => {
    const base = dir();
    const file = path.join(base, 'big.memsafe.db');
    const db = createCheckpoint(file);
    db.transaction(() => {
      for (let line = 1; line <= 3000; line++) insertDone(db, { id: `r${line}`, line });
    })();
    db.close();
    const stdout = new CollectingWritable(true);
    const exporting = exportCheckpoints(options({ checkpoints: [file] }), stdout);
    for (let tick = 0; tick < 5; tick++) await new Promise((resolve) => setImmediate(resolve));
    stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    const result = await exporting;
    expect(result.outputClosed).toBe(true);
    expect(result.rows).toBeLessThan(3000);
  });

  it('refuses a missing checkpoint before creating the output', async () => {
    const base = dir();
    const out = path.join(base, 'out.jsonl');
    const present = shard(base, 'a', 'a');
    await expect(exportCheckpoints(options({ checkpoints: [present, path.join(base, 'nope.db')], out }))).rejects.toThrow(UsageError);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses a SQLite file that is not a checkpoint', async () => {
    const base = dir();
    const foreign = path.join(base, 'other.db');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x)');
    db.close();
    await expect(exportCheckpoints(options({ checkpoints: [foreign] }), new CollectingWritable(false))).rejects.toThrow(/not a memsafe checkpoint/);
  });

  it('keeps the previous output when a checkpoint turns out damaged mid-export', async () => {
    const base = dir();
    const good = shard(base, 'a', 'a');
    const damaged = shard(base, 'b', 'b');
    const db = createCheckpoint(damaged);
    db.prepare("DELETE FROM responses WHERE hash = 'hash-b3'").run();
    db.close();
    const out = path.join(base, 'out.csv');
    fs.writeFileSync(out, 'yesterday\n');
    await expect(exportCheckpoints(options({ checkpoints: [good, damaged], format: 'csv', out }))).rejects.toThrow(FatalError);
    expect(fs.readFileSync(out, 'utf8')).toBe('yesterday\n');
    expect(fs.readdirSync(base).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
