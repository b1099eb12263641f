// The built CLI on embeddings checkpoints written with plain SQL: status shows vectors; export writes each
// record in its own shape, and --format npy a float32 matrix with its ids file; refusals exit 2.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeVector } from '../../src/checkpoint/embedding-manifest.js';
import { runCli } from '../helpers/cli.js';
import { createCheckpoint, embeddingManifest, insertDone, insertEmbedding, insertRun, tempDir } from '../unit/output/checkpoint-fixture.js';
import { readIds, readNpy } from '../unit/output/npy-reader.js';

/** The built CLI in `cwd` (helpers/cli.ts strips MEMSAFE_* and OPENAI_* from the environment). */
const memsafe = (args: readonly string[], cwd: string) => runCli(args, { cwd });

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** An embeddings run's checkpoint with a chat record from an earlier cache run at line 2. */
function mixedCheckpoint(dir: string): string {
  const file = path.join(dir, 'in.memsafe.db');
  const db = createCheckpoint(file);
  insertRun(db, { startedAt: Date.UTC(2025, 0, 1), endedAt: Date.UTC(2025, 0, 1, 0, 1), status: 'done', exitCode: 0, done: 3 });
  insertEmbedding(db, { id: 'e1', line: 1, vectors: [{ key: 'k1', values: [0.1, 0.2, 0.3, 0.4] }] });
  insertDone(db, { id: 'c2', line: 2, content: 'chat answer' });
  insertEmbedding(db, {
    id: 'e3',
    line: 3,
    input: 'array',
    vectors: [
      { key: 'k3a', values: [1, 2, 3, 4] },
      { key: 'k1', values: [0.1, 0.2, 0.3, 0.4] },
    ],
  });
  db.close();
  return file;
}

/** `rows` single-text records of dimension `dim`, inserted in bulk. */
function bigCheckpoint(dir: string, rows: number, dim: number): string {
  const file = path.join(dir, 'big.memsafe.db');
  const db = createCheckpoint(file);
  const vector = db.prepare("INSERT INTO vectors (key, model, dim, data, created_at) VALUES (?, 'mock-embed', ?, ?, 0)");
  const record = db.prepare(
    "INSERT INTO records (id, line, seen_run, run_id, endpoint, hash, status, attempts, updated_at) VALUES (?, ?, 1, 1, '/v1/embeddings', ?, 'done', 1, 0)",
  );
  const response = db.prepare("INSERT INTO responses (hash, endpoint, status_code, request_id, body, created_at) VALUES (?, '/v1/embeddings', 200, NULL, ?, 0)");
  db.transaction(() => {
    for (let line = 1; line <= rows; line++) {
      const values = Array.from({ length: dim }, (_, column) => line + column / 8);
      vector.run(`k${line}`, dim, encodeVector(values));
      record.run(`r${line}`, line, `h${line}`);
      response.run(`h${line}`, embeddingManifest({ id: `r${line}`, line, vectors: [{ key: `k${line}`, values }] }));
    }
  })();
  db.close();
  return file;
}

describe('memsafe status on an embeddings checkpoint', () => {
  it('--json and the table show the stored vectors and their dimension', async () => {
    const dir = workDir();
    const file = mixedCheckpoint(dir);
    const json = await memsafe(['status', '--db', file, '--json'], dir);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ done: 3, vectors: { count: 2, dims: [4] } });
    const table = await memsafe(['status', '--db', file], dir);
    expect(table.stdout).toContain('vectors     2 stored (one per distinct text), dimension 4');
  });
});

describe('memsafe export of embeddings', () => {
  it('jsonl writes chat and embeddings records in line order, each in its own shape', async () => {
    const dir = workDir();
    const result = await memsafe(['export', '--db', mixedCheckpoint(dir), '--format', 'jsonl'], dir);
    expect(result.code).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines.map((line) => line['id'])).toEqual(['e1', 'c2', 'e3']);
    expect(lines[0]).toMatchObject({ line: 1, embedding: [0.1, 0.2, 0.3, 0.4] });
    expect(lines[1]).toMatchObject({ line: 2, content: 'chat answer' });
    expect(lines[2]).toMatchObject({ line: 3, embeddings: [[1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4]] });
  });

  it('openai-batch writes the embeddings list body', async () => {
    const dir = workDir();
    const result = await memsafe(['export', '--db', mixedCheckpoint(dir)], dir);
    expect(result.code).toBe(0);
    const third = jsonLines(result.stdout)[2];
    expect(third).toMatchObject({
      custom_id: 'e3',
      response: {
        status_code: 200,
        body: {
          object: 'list',
          data: [
            { object: 'embedding', index: 0, embedding: [1, 2, 3, 4] },
            { object: 'embedding', index: 1, embedding: [0.1, 0.2, 0.3, 0.4] },
          ],
          model: 'mock-embed',
          usage: { prompt_tokens: 3, total_tokens: 3 },
        },
      },
      error: null,
    });
  });

  it('npy writes the matrix and its ids file, both 0600, and says what it left out', async () => {
    const dir = workDir();
    const out = path.join(dir, 'vectors.npy');
    const result = await memsafe(['export', '--db', mixedCheckpoint(dir), '--format', 'npy', '--out', out], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const idsFile = path.join(dir, 'vectors.ids.tsv');
    expect(result.stderr).toBe(
      `memsafe: wrote 3 vectors of dimension 4 (from 2 records) to ${out}, row ids to ${idsFile}; 1 chat records have no vectors and were left out\n`,
    );
    const matrix = readNpy(fs.readFileSync(out));
    expect(matrix.shape).toEqual([3, 4]);
    const f32 = (values: number[]): number[] => values.map((value) => Math.fround(value));
    expect(matrix.rows).toEqual([f32([0.1, 0.2, 0.3, 0.4]), [1, 2, 3, 4], f32([0.1, 0.2, 0.3, 0.4])]);
    expect(readIds(fs.readFileSync(idsFile, 'utf8'))).toEqual([
      ['e1', 0],
      ['e3', 0],
      ['e3', 1],
    ]);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    expect(fs.statSync(idsFile).mode & 0o777).toBe(0o600);
  });

  it('npy streams 50k rows into a matrix whose header, rows and ids agree', async () => {
    const dir = workDir();
    const out = path.join(dir, 'big.npy');
    const result = await memsafe(['export', '--db', bigCheckpoint(dir, 50_000, 8), '--format', 'npy', '--out', out], dir);
    expect(result.code).toBe(0);
    const matrix = readNpy(fs.readFileSync(out));
    expect(matrix.shape).toEqual([50_000, 8]);
    for (const row of [0, 1, 24_999, 49_999]) {
      expect(matrix.rows[row]).toEqual(Array.from({ length: 8 }, (_, column) => Math.fround(row + 1 + column / 8)));
    }
    const ids = readIds(fs.readFileSync(path.join(dir, 'big.ids.tsv'), 'utf8'));
    expect(ids).toHaveLength(50_000);
    expect(ids.every(([id, index], row) => id === `r${row + 1}` && index === 0)).toBe(true);
  });

  it.each([
    [['--format', 'npy'], 'never to stdout'],
    [['--format', 'npy', '--out', 'v.npy.gz'], 'written uncompressed'],
    [['--format', 'npy', '--out', 'v.txt'], 'Expected `--out` to end in .npy'],
    [['--format', 'npy', '--out', 'v.npy', '--errors'], '`--errors` writes failed lines as text'],
    [['--format', 'csv'], 'writes one kind of record'],
  ])('exits 2 for %j', async (args, message) => {
    const dir = workDir();
    const result = await memsafe(['export', '--db', mixedCheckpoint(dir), ...args], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
    expect(fs.readdirSync(dir).filter((name) => !name.includes('.memsafe.db'))).toEqual([]);
  });

  it('exits 2 for npy of a checkpoint without embeddings, or with two dimensions', async () => {
    const dir = workDir();
    const chatOnly = path.join(dir, 'chat.memsafe.db');
    const chat = createCheckpoint(chatOnly);
    insertDone(chat, { id: 'c1', line: 1 });
    chat.close();
    const empty = await memsafe(['export', '--db', chatOnly, '--format', 'npy', '--out', 'v.npy'], dir);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`Checkpoint ${chatOnly} holds no done embeddings records`);

    const mixedDims = mixedCheckpoint(dir);
    const db = createCheckpoint(mixedDims);
    insertEmbedding(db, { id: 'wide', line: 9, vectors: [{ key: 'kw', values: [1, 2, 3, 4, 5, 6, 7, 8] }] });
    db.close();
    const dims = await memsafe(['export', '--db', mixedDims, '--format', 'npy', '--out', 'v.npy'], dir);
    expect(dims.code).toBe(2);
    expect(dims.stderr).toContain('Record "wide" (line 9) has 8-dimensional vectors but record "e1" (line 1) has 4');
    expect(fs.existsSync(path.join(dir, 'v.npy'))).toBe(false);
  });
});
