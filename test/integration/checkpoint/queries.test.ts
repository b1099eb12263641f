import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../src/checkpoint/open.js';
import { DONE_EMBEDDINGS_SQL, DONE_RECORDS_SQL, countDoneKinds, iterateDoneEmbeddings, iterateDoneRecords } from '../../../src/checkpoint/done-records.js';
import { EMBEDDING_SHAPES_SQL, iterateEmbeddingShapes, vectorLookup } from '../../../src/checkpoint/embedding-rows.js';
import { FAILED_LINES_SQL, iterateFailedLines } from '../../../src/checkpoint/failed-lines.js';
import { countRecords, readStatusSnapshot, readVectorStats } from '../../../src/checkpoint/status-snapshot.js';
import { listRuns } from '../../../src/checkpoint/stored-runs.js';
import { decodeVector } from '../../../src/checkpoint/embedding-manifest.js';
import {
  createCheckpoint,
  insertDone,
  insertEmbedding,
  insertFailed,
  insertLineError,
  insertRun,
  insertSample,
  insertVector,
  tempDir,
} from '../../unit/output/checkpoint-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function checkpointFile(): string {
  const dir = tempDir();
  dirs.push(dir);
  return path.join(dir, 'c.memsafe.db');
}

describe('countRecords', () => {
  it('counts done, failed (duplicate-id lines included), retryable and line errors', () => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    insertDone(db, { id: 'a', line: 1 });
    insertDone(db, { id: 'b', line: 2 });
    insertFailed(db, { id: 'c', line: 3, code: 'http_429', message: 'rate limited', httpStatus: 429, retryable: true });
    insertFailed(db, { id: 'line-4', line: 4, code: 'invalid_json', message: 'bad JSON', badLine: true });
    insertLineError(db, 5, 'a');
    db.close();

    const reader = openCheckpoint(file, { create: false, readonly: true });
    expect(countRecords(reader)).toEqual({ done: 2, failed: 3, retryable: 1, lineErrors: 1 });
    reader.close();
  });

  it('is all zeros for a fresh checkpoint', () => {
    const file = checkpointFile();
    createCheckpoint(file).close();
    const reader = openCheckpoint(file, { create: false, readonly: true });
    expect(readStatusSnapshot(reader, 10)).toEqual({
      counts: { done: 0, failed: 0, retryable: 0, lineErrors: 0 },
      runsTotal: 0,
      runs: [],
      vectors: { count: 0, dims: [] },
      inflightPeakBytes: null,
      spend: { total: { usd: 0, savedUsd: 0, byModel: [], unpricedModels: [] }, byRun: new Map() },
    });
    reader.close();
  });
});

describe('listRuns', () => {
  it('lists the latest runs newest first, up to the limit', () => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    for (let index = 1; index <= 12; index++) {
      insertRun(db, { startedAt: index * 1000, endedAt: index * 1000 + 500, status: 'done', exitCode: 0, done: index });
    }
    const runs = listRuns(db, 10);
    expect(runs.map((run) => run.id)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expect(runs[0]).toMatchObject({ status: 'done', exitCode: 0, done: 12, startedAt: 12_000, endedAt: 12_500, cacheHits: 1, retries: 2, throttled: 3 });
    expect(listRuns(db, 0)).toEqual([]);
    db.close();
  });

  it('takes the peak from the memory samples when a killed run never wrote it', () => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    const killed = insertRun(db, { startedAt: 1000, status: 'running', peakRss: null });
    insertSample(db, killed, 1100, 300_000_000);
    insertSample(db, killed, 1200, 450_000_000);
    insertSample(db, killed, 1300, 400_000_000);
    const finished = insertRun(db, { startedAt: 2000, endedAt: 3000, status: 'halted', exitCode: 75, peakRss: 900_000_000, breakerTrips: 2, haltReason: 'memory' });
    insertSample(db, finished, 2100, 1_000);
    const byId = new Map(listRuns(db, 10).map((run) => [run.id, run]));
    expect(byId.get(killed)).toMatchObject({ peakRssBytes: 450_000_000, exitCode: null, endedAt: null });
    expect(byId.get(finished)).toMatchObject({ peakRssBytes: 900_000_000, breakerTrips: 2, haltReason: 'memory', exitCode: 75 });
    db.close();
  });
});

describe('iterateDoneRecords', () => {
  it('yields done records in input line order, whatever order they were written in', () => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    insertDone(db, { id: 'third', line: 30, cached: true });
    insertDone(db, { id: 'first', line: 1, trimmed: true });
    insertFailed(db, { id: 'failed', line: 2, code: 'http_400', message: 'bad request', httpStatus: 400 });
    insertDone(db, { id: 'second', line: 7, requestId: null, tokens: false });
    const records = [...iterateDoneRecords(db)];
    expect(records.map((record) => [record.id, record.line])).toEqual([
      ['first', 1],
      ['second', 7],
      ['third', 30],
    ]);
    expect(records[0]).toMatchObject({ trimmed: true, cached: false, statusCode: 200, requestId: 'req-first', promptTokens: 5 });
    expect(records[1]).toMatchObject({ requestId: null, promptTokens: null, totalTokens: null });
    expect(records[2]).toMatchObject({ cached: true });
    db.close();
  });

  it('streams 10k records lazily and in line order', () => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    const lines = Array.from({ length: 10_000 }, (_, index) => index + 1);
    // Insert in a scrambled order so that rowid order differs from line order.
    const scrambled = lines.map((line) => ((line * 7919) % 10_000) + 1);
    db.transaction(() => {
      for (const line of scrambled) insertDone(db, { id: `r${line}`, line });
    })();

    const iterator = iterateDoneRecords(db);
    expect(iterator.next().value?.line).toBe(1);
    // better-sqlite3 refuses exec() while a statement is still stepping: proof that the rows were not read up front.
    expect(() => db.exec('SELECT 1')).toThrow(/busy/i);
    let previous = 1;
    let count = 1;
    for (const record of iterator) {
      expect(record.line).toBe(previous + 1);
      previous = record.line;
      count++;
    }
    expect(count).toBe(10_000);
    expect(() => db.exec('SELECT 1')).not.toThrow();
    db.close();
  });

  it('frees the connection when the consumer stops early', () => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    for (let line = 1; line <= 5; line++) insertDone(db, { id: `r${line}`, line });
    for (const record of iterateDoneRecords(db)) {
      if (record.line === 2) break;
    }
    expect(() => db.exec('SELECT 1')).not.toThrow();
    db.close();
  });

  it('fails with the record named when a done record has no stored response', () => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    insertDone(db, { id: 'orphan', line: 3 });
    db.prepare('DELETE FROM responses').run();
    expect(() => [...iterateDoneRecords(db)]).toThrow(/"orphan" \(line 3\) is done but its response is missing/);
    db.close();
  });

});

describe('iterateFailedLines', () => {
  it('merges failed records and duplicate-id lines in line order', () => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    insertDone(db, { id: 'ok', line: 1 });
    insertFailed(db, { id: 'line-2', line: 2, code: 'invalid_json', message: 'Unexpected token', badLine: true });
    insertLineError(db, 3, 'ok');
    insertFailed(db, { id: 'slow', line: 4, code: 'http_503', message: 'unavailable', httpStatus: 503, retryable: true, attempts: 5 });
    insertLineError(db, 6, null, 'unreadable id');
    insertFailed(db, { id: 'big', line: 5, code: 'line_too_long', message: 'line over 1 MB', badLine: true });

    expect([...iterateFailedLines(db)]).toEqual([
      { id: 'line-2', line: 2, code: 'invalid_json', message: 'Unexpected token', httpStatus: null, retryable: false, attempts: 0 },
      { id: 'ok', line: 3, code: 'duplicate_id', message: 'id already used by an earlier line', httpStatus: null, retryable: false, attempts: 0 },
      { id: 'slow', line: 4, code: 'http_503', message: 'unavailable', httpStatus: 503, retryable: true, attempts: 5 },
      { id: 'big', line: 5, code: 'line_too_long', message: 'line over 1 MB', httpStatus: null, retryable: false, attempts: 0 },
      { id: null, line: 6, code: 'duplicate_id', message: 'unreadable id', httpStatus: null, retryable: false, attempts: 0 },
    ]);
    db.close();
  });
});

describe('export queries', () => {
  // guards: without INDEXED BY, SQLite picks records_status and sorts every row before the first one comes out
  it.each([
    ['done records', DONE_RECORDS_SQL],
    ['done embeddings records', DONE_EMBEDDINGS_SQL],
    ['embedding shapes', EMBEDDING_SHAPES_SQL],
    ['failed lines', FAILED_LINES_SQL],
  ])('read %s in line order from indexes, with no temporary sort', (_name, sql) => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((row) => row.detail).join('\n');
    expect(plan).toMatch(/USING INDEX records_line/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    db.close();
  });
});

describe('embeddings queries', () => {
  /** Chat at line 1, embeddings at lines 2 (one text) and 3 (three texts, one shared with line 2), a failure at 4. */
  function embeddingsCheckpoint(): string {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    insertEmbedding(db, { id: 'many', line: 3, input: 'array', vectors: [{ key: 'k1', values: [1, 2] }, { key: 'k2', values: [3, 4] }, { key: 'k0', values: [0.5, 0.25] }] });
    insertDone(db, { id: 'chat', line: 1 });
    insertEmbedding(db, { id: 'one', line: 2, vectors: [{ key: 'k0', values: [0.5, 0.25] }] });
    insertFailed(db, { id: 'failed', line: 4, code: 'http_400', message: 'too long', httpStatus: 400, endpoint: '/v1/embeddings' });
    db.close();
    return file;
  }

  it('counts done records by kind', () => {
    const db = openCheckpoint(embeddingsCheckpoint(), { create: false, readonly: true });
    expect(countDoneKinds(db)).toEqual({ done: 3, embeddings: 2 });
    db.close();
  });

  it('counts stored vectors (one per distinct text) and their dimensions', () => {
    const file = embeddingsCheckpoint();
    const writer = createCheckpoint(file);
    insertVector(writer, { key: 'wide', values: [1, 2, 3, 4] }, 'wide-embed'); // one dimension per model
    writer.close();
    const db = openCheckpoint(file, { create: false, readonly: true });
    expect(readVectorStats(db)).toEqual({ count: 4, dims: [2, 4] });
    expect(readStatusSnapshot(db, 1).vectors).toEqual({ count: 4, dims: [2, 4] });
    db.close();
  });

  it('reports no vectors for a checkpoint from before the vectors table', () => {
    const file = checkpointFile();
    const writer = createCheckpoint(file);
    writer.exec('DROP TABLE vectors');
    writer.pragma('user_version = 1');
    writer.close();
    const db = openCheckpoint(file, { create: false, readonly: true });
    expect(readVectorStats(db)).toEqual({ count: 0, dims: [] });
    db.close();
  });

  it('reads each embeddings record shape from its manifest, in line order', () => {
    const db = openCheckpoint(embeddingsCheckpoint(), { create: false, readonly: true });
    expect([...iterateEmbeddingShapes(db)]).toEqual([
      { id: 'one', line: 2, vectors: 1, dim: 2 },
      { id: 'many', line: 3, vectors: 3, dim: 2 },
    ]);
    db.close();
  });

  it('refuses an embeddings record whose body is not a manifest, naming it', () => {
    const file = embeddingsCheckpoint();
    const writer = createCheckpoint(file);
    writer.prepare(`UPDATE responses SET body = '{"object":"list","data":[]}' WHERE hash = 'hash-many'`).run();
    writer.close();
    const db = openCheckpoint(file, { create: false, readonly: true });
    expect(() => [...iterateEmbeddingShapes(db)]).toThrow(/"many" \(line 3\) is an embeddings record without an embedding manifest/);
    db.close();
  });

  it('yields only done embeddings records, lazily, and looks vectors up while the iterator is open', () => {
    const file = checkpointFile();
    const db = createCheckpoint(file);
    db.transaction(() => {
      for (let line = 1; line <= 2000; line++) {
        if (line % 2 === 0) insertDone(db, { id: `chat${line}`, line });
        else insertEmbedding(db, { id: `e${line}`, line, vectors: [{ key: `k${line}`, values: [line, -line] }] });
      }
    })();
    const lookup = vectorLookup(db);
    const iterator = iterateDoneEmbeddings(db);
    const first = iterator.next().value;
    expect(first).toMatchObject({ id: 'e1', line: 1, endpoint: '/v1/embeddings' });
    // better-sqlite3 refuses exec() while a statement is still stepping: the rows were not read up front
    expect(() => db.exec('SELECT 1')).toThrow(/busy/i);
    const vector = lookup('k1');
    expect(vector?.dim).toBe(2);
    expect(decodeVector(vector?.data ?? Buffer.alloc(0))).toEqual([1, -1]);
    let count = 1;
    for (const record of iterator) {
      expect(record.line % 2).toBe(1);
      count++;
    }
    expect(count).toBe(1000);
    expect(lookup('missing')).toBeUndefined();
    db.close();
  });
});

describe('reading while a run holds the checkpoint', () => {
  it('a read-only connection sees committed rows while the writer stays open', () => {
    const file = checkpointFile();
    const writer = createCheckpoint(file);
    insertRun(writer, { startedAt: 1000, status: 'running' });
    insertDone(writer, { id: 'a', line: 1 });
    const reader = openCheckpoint(file, { create: false, readonly: true });
    expect(readStatusSnapshot(reader, 10).counts.done).toBe(1);
    insertDone(writer, { id: 'b', line: 2 });
    expect(readStatusSnapshot(reader, 10).counts.done).toBe(2);
    reader.close();
    writer.close();
  });
});
