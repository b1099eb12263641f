// Read-only queries over the checkpoint for `status` and `export`. Exports stream rows with .iterate() in
// input line order through the records_line index, so neither memory nor a sort grows with the checkpoint.
import type Database from 'better-sqlite3';
import { FatalError } from '../errors.js';
import type { Endpoint } from '../input/record.js';
import { DONE_RECORD_COST_COLUMNS, hasCostSchema } from './cost-queries.js';

/** Records of this endpoint store an embedding manifest (src/checkpoint/embedding-manifest.ts) as their body. */
export const EMBEDDINGS_ENDPOINT: Endpoint = '/v1/embeddings';

export interface RecordCounts {
  readonly done: number;
  /** Every failed input line: failed records (bad lines included) plus duplicate-id lines. */
  readonly failed: number;
  /** Failed records that the next run will try again. */
  readonly retryable: number;
  /** Lines refused because their id was taken by an earlier line (part of `failed`). */
  readonly lineErrors: number;
}

export interface RunSummary {
  readonly id: number;
  readonly pid: number;
  readonly mode: string;
  readonly status: string;
  readonly exitCode: number | null;
  readonly input: string | null;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly recordsRead: number;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly requests: number;
  readonly cacheHits: number;
  readonly retries: number;
  readonly throttled: number;
  /** The run's recorded peak, else the highest memory sample (a killed run never wrote its peak). */
  readonly peakRssBytes: number | null;
  readonly breakerTrips: number;
  readonly haltReason: string | null;
}

/** A done record with its stored answer. */
export interface DoneRecord {
  readonly id: string;
  readonly line: number;
  readonly endpoint: string | null;
  readonly cached: boolean;
  readonly trimmed: boolean;
  readonly attempts: number;
  readonly latencyMs: number | null;
  readonly statusCode: number;
  readonly requestId: string | null;
  /** The response body as stored: JSON text in the OpenAI shape. */
  readonly body: string;
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  readonly totalTokens: number | null;
  /** The model the request was sent to; null before the cost schema (absent from hand-built records). */
  readonly model?: string | null;
  /** What this record cost the run that wrote it: 0 for a cache hit, null when unpriced or untracked. */
  readonly costUsd?: number | null;
}

/** A failed input line: a failed record (bad lines included) or a duplicate-id line. */
export interface FailedLine {
  /** Null only for a duplicate-id line whose id could not be read. */
  readonly id: string | null;
  readonly line: number;
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number | null;
  readonly retryable: boolean;
  readonly attempts: number;
}

function count(db: Database.Database, sql: string): number {
  return (db.prepare(sql).pluck().get() as number | null) ?? 0;
}

export function countRecords(db: Database.Database): RecordCounts {
  const failedRecords = count(db, "SELECT count(*) FROM records WHERE status = 'failed'");
  const lineErrors = count(db, 'SELECT count(*) FROM line_errors');
  return {
    done: count(db, "SELECT count(*) FROM records WHERE status = 'done'"),
    failed: failedRecords + lineErrors,
    retryable: count(db, "SELECT count(*) FROM records WHERE status = 'failed' AND retryable = 1"),
    lineErrors,
  };
}

export function countRuns(db: Database.Database): number {
  return count(db, 'SELECT count(*) FROM runs');
}

interface RunRow {
  id: number;
  pid: number;
  mode: string;
  status: string;
  exit_code: number | null;
  input: string | null;
  started_at: number;
  ended_at: number | null;
  records_read: number;
  done: number;
  failed: number;
  skipped: number;
  requests: number;
  cache_hits: number;
  retries: number;
  throttled: number;
  peak_rss: number | null;
  breaker_trips: number;
  halt_reason: string | null;
}

/** The latest `limit` runs, newest first. */
export function listRuns(db: Database.Database, limit: number): RunSummary[] {
  const rows = db
    .prepare(
      `SELECT id, pid, mode, status, exit_code, input, started_at, ended_at, records_read, done, failed, skipped,
              requests, cache_hits, retries, throttled, breaker_trips, halt_reason,
              COALESCE(peak_rss, (SELECT max(rss) FROM samples WHERE samples.run_id = runs.id)) AS peak_rss
         FROM runs ORDER BY id DESC LIMIT ?`,
    )
    .all(limit) as RunRow[];
  return rows.map((row) => ({
    id: row.id,
    pid: row.pid,
    mode: row.mode,
    status: row.status,
    exitCode: row.exit_code,
    input: row.input,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    recordsRead: row.records_read,
    done: row.done,
    failed: row.failed,
    skipped: row.skipped,
    requests: row.requests,
    cacheHits: row.cache_hits,
    retries: row.retries,
    throttled: row.throttled,
    peakRssBytes: row.peak_rss,
    breakerTrips: row.breaker_trips,
    haltReason: row.halt_reason,
  }));
}

/** The embedding vectors stored once per distinct text (not per record). */
export interface VectorStats {
  readonly count: number;
  /** Every dimension among them, ascending; one entry unless models or `dimensions` changed between runs. */
  readonly dims: number[];
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(name) !== undefined;
}

/** Zero and no dims for a checkpoint written before schema 2 (read-only opens do not migrate). */
export function readVectorStats(db: Database.Database): VectorStats {
  if (!hasTable(db, 'vectors')) return { count: 0, dims: [] };
  const total = count(db, 'SELECT count(*) FROM vectors');
  if (total === 0) return { count: 0, dims: [] };
  // Schema 2, not migrated yet, has no vector_models but still its index on vectors(model, dim).
  const source = hasTable(db, 'vector_models') ? 'vector_models' : 'vectors';
  return { count: total, dims: db.prepare(`SELECT DISTINCT dim FROM ${source} ORDER BY dim`).pluck().all() as number[] };
}

export interface StatusSnapshot {
  readonly counts: RecordCounts;
  readonly runsTotal: number;
  /** The latest runs, newest first. */
  readonly runs: RunSummary[];
  readonly vectors: VectorStats;
}

/** Counts and runs read in one transaction, so they agree even while a run is writing. */
export function readStatusSnapshot(db: Database.Database, runLimit: number): StatusSnapshot {
  return db.transaction(() => ({
    counts: countRecords(db),
    runsTotal: countRuns(db),
    runs: listRuns(db, runLimit),
    vectors: readVectorStats(db),
  }))();
}

interface DoneRow {
  id: string;
  line: number;
  endpoint: string | null;
  cached: number;
  trimmed: number;
  attempts: number;
  latency_ms: number | null;
  hash: string | null;
  status_code: number | null;
  request_id: string | null;
  body: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  model?: string | null;
  cost_usd?: number | null;
}

function doneRecordsSql(where: string, extraColumns = ''): string {
  // INDEXED BY: without it SQLite picks records_status and sorts every done row in a temp B-tree.
  return `
  SELECT r.id, r.line, r.endpoint, r.cached, r.trimmed, r.attempts, r.latency_ms, r.hash,
         p.status_code, p.request_id, p.body, p.prompt_tokens, p.completion_tokens, p.total_tokens${extraColumns}
    FROM records AS r INDEXED BY records_line
    LEFT JOIN responses AS p ON p.hash = r.hash
   WHERE ${where}
   ORDER BY r.line`;
}

export const DONE_RECORDS_SQL = doneRecordsSql("r.status = 'done'");
/** The same with each record's model and cost (checkpoints with the cost schema). */
export const DONE_RECORDS_COST_SQL = doneRecordsSql("r.status = 'done'", DONE_RECORD_COST_COLUMNS);
/** Done embeddings records only, in input line order (the rows of a .npy export). */
export const DONE_EMBEDDINGS_SQL = doneRecordsSql(`r.status = 'done' AND r.endpoint = '${EMBEDDINGS_ENDPOINT}'`);

/** Done records in input line order, one row in memory at a time. */
export function iterateDoneRecords(db: Database.Database): Generator<DoneRecord, void, undefined> {
  return iterateDone(db.prepare(hasCostSchema(db) ? DONE_RECORDS_COST_SQL : DONE_RECORDS_SQL));
}

/** Done embeddings records in input line order; chat records of a mixed checkpoint are left out. */
export function iterateDoneEmbeddings(db: Database.Database): Generator<DoneRecord, void, undefined> {
  return iterateDone(db.prepare(DONE_EMBEDDINGS_SQL));
}

function missingResponse(id: string, line: number): FatalError {
  return new FatalError(`Record ${JSON.stringify(id)} (line ${line}) is done but its response is missing`, {
    code: 'MS_CHECKPOINT_INCONSISTENT',
  });
}

function* iterateDone(statement: Database.Statement): Generator<DoneRecord, void, undefined> {
  for (const row of statement.iterate() as IterableIterator<DoneRow>) {
    if (row.body === null || row.status_code === null) throw missingResponse(row.id, row.line);
    yield {
      id: row.id,
      line: row.line,
      endpoint: row.endpoint,
      cached: row.cached !== 0,
      trimmed: row.trimmed !== 0,
      attempts: row.attempts,
      latencyMs: row.latency_ms,
      statusCode: row.status_code,
      requestId: row.request_id,
      body: row.body,
      promptTokens: row.prompt_tokens,
      completionTokens: row.completion_tokens,
      totalTokens: row.total_tokens,
      model: row.model ?? null,
      costUsd: row.cost_usd ?? null,
    };
  }
}

export interface DoneKinds {
  readonly done: number;
  /** Done records whose body is an embedding manifest; the rest are chat records. */
  readonly embeddings: number;
}

export function countDoneKinds(db: Database.Database): DoneKinds {
  const row = db
    .prepare(`SELECT count(*) AS done, coalesce(sum(endpoint = ?), 0) AS embeddings FROM records WHERE status = 'done'`)
    .get(EMBEDDINGS_ENDPOINT) as DoneKinds;
  return { done: row.done, embeddings: row.embeddings };
}

/** How many vectors a done embeddings record holds and their dimension, read from its manifest without loading it. */
export interface EmbeddingShape {
  readonly id: string;
  readonly line: number;
  readonly vectors: number;
  readonly dim: number;
}

interface ShapeRow {
  id: string;
  line: number;
  body_present: number;
  vectors: number | null;
  dim: number | null;
}

export const EMBEDDING_SHAPES_SQL = `
  SELECT r.id, r.line, p.body IS NOT NULL AS body_present,
         json_array_length(p.body, '$.vectors') AS vectors, json_extract(p.body, '$.dim') AS dim
    FROM records AS r INDEXED BY records_line
    LEFT JOIN responses AS p ON p.hash = r.hash
   WHERE r.status = 'done' AND r.endpoint = '${EMBEDDINGS_ENDPOINT}'
   ORDER BY r.line`;

/** The shape of every done embeddings record in line order: lets a .npy export size its matrix before writing it. */
export function* iterateEmbeddingShapes(db: Database.Database): Generator<EmbeddingShape, void, undefined> {
  for (const row of db.prepare(EMBEDDING_SHAPES_SQL).iterate() as IterableIterator<ShapeRow>) {
    if (row.body_present === 0) throw missingResponse(row.id, row.line);
    if (row.vectors === null || typeof row.dim !== 'number' || !Number.isInteger(row.dim)) {
      throw new FatalError(`Record ${JSON.stringify(row.id)} (line ${row.line}) is an embeddings record without an embedding manifest`, {
        code: 'MS_CHECKPOINT_INCONSISTENT',
      });
    }
    yield { id: row.id, line: row.line, vectors: row.vectors, dim: row.dim };
  }
}

export interface StoredVector {
  readonly dim: number;
  /** dim little-endian float32 values. */
  readonly data: Buffer;
}

export type VectorLookup = (key: string) => StoredVector | undefined;

/** One indexed read per vector key, allowed while an export's record iterator is still stepping. */
export function vectorLookup(db: Database.Database): VectorLookup {
  // Prepared on first use: a checkpoint from before schema 2 has no vectors table (and no embeddings records).
  let statement: Database.Statement | undefined;
  return (key) => {
    statement ??= db.prepare('SELECT dim, data FROM vectors WHERE key = ?');
    return statement.get(key) as StoredVector | undefined;
  };
}

interface FailedRow {
  id: string | null;
  line: number;
  code: string | null;
  message: string | null;
  http_status: number | null;
  retryable: number;
  attempts: number;
}

// Both sides are read in line order (index / INTEGER PRIMARY KEY), so SQLite merges them without sorting.
export const FAILED_LINES_SQL = `
  SELECT id, line, error_code AS code, error_message AS message, http_status, retryable, attempts
    FROM records INDEXED BY records_line
   WHERE status = 'failed'
  UNION ALL
  SELECT id, line, code, message, NULL, 0, 0
    FROM line_errors
  ORDER BY line`;

/** Failed records and duplicate-id lines, merged in input line order. */
export function* iterateFailedLines(db: Database.Database): Generator<FailedLine, void, undefined> {
  for (const row of db.prepare(FAILED_LINES_SQL).iterate() as IterableIterator<FailedRow>) {
    yield {
      id: row.id,
      line: row.line,
      code: row.code ?? 'unknown_error',
      message: row.message ?? '',
      httpStatus: row.http_status,
      retryable: row.retryable !== 0,
      attempts: row.attempts,
    };
  }
}

/** The stored answer as JSON; a body that does not parse means the checkpoint is damaged. */
export function parseStoredBody(record: DoneRecord): unknown {
  try {
    return JSON.parse(record.body) as unknown;
  } catch (cause) {
    throw new FatalError(`The stored response of record ${JSON.stringify(record.id)} (line ${record.line}) is not JSON`, {
      code: 'MS_CHECKPOINT_INCONSISTENT',
      cause,
    });
  }
}
