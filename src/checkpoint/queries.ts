// Read-only queries over the checkpoint for `status` and `export`. Exports stream rows with .iterate() in
// input line order through the records_line index, so neither memory nor a sort grows with the checkpoint.
import type Database from 'better-sqlite3';
import { FatalError } from '../errors.js';

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

export interface StatusSnapshot {
  readonly counts: RecordCounts;
  readonly runsTotal: number;
  /** The latest runs, newest first. */
  readonly runs: RunSummary[];
}

/** Counts and runs read in one transaction, so they agree even while a run is writing. */
export function readStatusSnapshot(db: Database.Database, runLimit: number): StatusSnapshot {
  return db.transaction(() => ({ counts: countRecords(db), runsTotal: countRuns(db), runs: listRuns(db, runLimit) }))();
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
}

// INDEXED BY: without it SQLite picks records_status and sorts every done row in a temp B-tree.
export const DONE_RECORDS_SQL = `
  SELECT r.id, r.line, r.endpoint, r.cached, r.trimmed, r.attempts, r.latency_ms, r.hash,
         p.status_code, p.request_id, p.body, p.prompt_tokens, p.completion_tokens, p.total_tokens
    FROM records AS r INDEXED BY records_line
    LEFT JOIN responses AS p ON p.hash = r.hash
   WHERE r.status = 'done'
   ORDER BY r.line`;

/** Done records in input line order, one row in memory at a time. */
export function* iterateDoneRecords(db: Database.Database): Generator<DoneRecord, void, undefined> {
  for (const row of db.prepare(DONE_RECORDS_SQL).iterate() as IterableIterator<DoneRow>) {
    if (row.body === null || row.status_code === null) {
      throw new FatalError(`Record ${JSON.stringify(row.id)} (line ${row.line}) is done but its response is missing`, {
        code: 'MS_CHECKPOINT_INCONSISTENT',
      });
    }
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
    };
  }
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
