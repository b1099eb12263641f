// Builds real checkpoint files with plain SQL inserts, the way a run leaves them, for the status and export tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { encodeVector } from '../../../src/checkpoint/embedding-manifest.js';
import { openCheckpoint } from '../../../src/checkpoint/open.js';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-status-export-'));
}

export function createCheckpoint(file: string): Database.Database {
  return openCheckpoint(file, { create: true });
}

export function chatBody(content: string, usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 }): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'mock',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage,
  });
}

export interface DoneInsert {
  id: string;
  line: number;
  content?: string;
  body?: string;
  requestId?: string | null;
  cached?: boolean;
  trimmed?: boolean;
  runId?: number;
  tokens?: boolean;
}

/** A done record and its response row (hash derived from the id, so every record has its own answer). */
export function insertDone(db: Database.Database, record: DoneInsert): void {
  const hash = `hash-${record.id}`;
  const body = record.body ?? chatBody(record.content ?? `answer ${record.id}`);
  db.prepare(
    `INSERT INTO records (id, line, seen_run, run_id, endpoint, hash, status, attempts, cached, trimmed, updated_at)
     VALUES (?, ?, ?, ?, '/v1/chat/completions', ?, 'done', 1, ?, ?, 0)`,
  ).run(record.id, record.line, record.runId ?? 1, record.runId ?? 1, hash, record.cached === true ? 1 : 0, record.trimmed === true ? 1 : 0);
  const tokens = record.tokens === false ? [null, null, null] : [5, 7, 12];
  db.prepare(
    `INSERT INTO responses (hash, endpoint, status_code, request_id, body, prompt_tokens, completion_tokens, total_tokens, created_at)
     VALUES (?, '/v1/chat/completions', 200, ?, ?, ?, ?, ?, 0)`,
  ).run(hash, record.requestId === undefined ? `req-${record.id}` : record.requestId, body, ...tokens);
}

export interface FailedInsert {
  id: string;
  line: number;
  code: string;
  message: string;
  httpStatus?: number | null;
  retryable?: boolean;
  attempts?: number;
  /** A bad input line never became a request: no hash. */
  badLine?: boolean;
  endpoint?: string;
}

export function insertFailed(db: Database.Database, record: FailedInsert): void {
  db.prepare(
    `INSERT INTO records (id, line, seen_run, run_id, endpoint, hash, status, retryable, attempts, http_status,
                          error_code, error_message, updated_at)
     VALUES (?, ?, 1, 1, ?, ?, 'failed', ?, ?, ?, ?, ?, 0)`,
  ).run(
    record.id,
    record.line,
    record.badLine === true ? null : (record.endpoint ?? '/v1/chat/completions'),
    record.badLine === true ? null : `hash-${record.id}`,
    record.retryable === true ? 1 : 0,
    record.attempts ?? (record.badLine === true ? 0 : 1),
    record.httpStatus ?? null,
    record.code,
    record.message,
  );
}

export function insertLineError(db: Database.Database, line: number, id: string | null, message = 'id already used by an earlier line'): void {
  db.prepare(`INSERT INTO line_errors (line, id, run_id, code, message, updated_at) VALUES (?, ?, 1, 'duplicate_id', ?, 0)`).run(
    line,
    id,
    message,
  );
}

export interface RunInsert {
  startedAt: number;
  endedAt?: number | null;
  status: string;
  exitCode?: number | null;
  done?: number;
  failed?: number;
  skipped?: number;
  peakRss?: number | null;
  breakerTrips?: number;
  haltReason?: string | null;
}

export function insertRun(db: Database.Database, run: RunInsert): number {
  const result = db
    .prepare(
      `INSERT INTO runs (started_at, ended_at, pid, mode, status, exit_code, options, input, records_read, done, failed,
                         skipped, requests, cache_hits, retries, throttled, peak_rss, breaker_trips, halt_reason)
       VALUES (?, ?, 4242, 'cache', ?, ?, '{}', 'in.jsonl', ?, ?, ?, ?, ?, 1, 2, 3, ?, ?, ?)`,
    )
    .run(
      run.startedAt,
      run.endedAt ?? null,
      run.status,
      run.exitCode ?? null,
      (run.done ?? 0) + (run.failed ?? 0) + (run.skipped ?? 0),
      run.done ?? 0,
      run.failed ?? 0,
      run.skipped ?? 0,
      run.done ?? 0,
      run.peakRss ?? null,
      run.breakerTrips ?? 0,
      run.haltReason ?? null,
    );
  return Number(result.lastInsertRowid);
}

export function insertSample(db: Database.Database, runId: number, t: number, rss: number): void {
  db.prepare(
    `INSERT INTO samples (run_id, t, rss, heap_used, batch_size, concurrency, state, done) VALUES (?, ?, ?, 0, 8, 4, 'NORMAL', 0)`,
  ).run(runId, t, rss);
}

export interface VectorInsert {
  /** vectors.key; records that share a text share the key (and the row). */
  key: string;
  values: readonly number[];
}

export interface EmbeddingInsert {
  id: string;
  line: number;
  vectors: readonly VectorInsert[];
  /** 'string' (one text) unless given; 'array' for a list input. */
  input?: 'string' | 'array';
  model?: string;
  /** The manifest's dim; the first vector's length unless given. */
  dim?: number;
  usage?: { prompt_tokens: number; total_tokens: number };
  requestId?: string | null;
  cached?: boolean;
  runId?: number;
}

/** As the store writes it: the vector, and its model's dimension the first time the model is seen. */
export function insertVector(db: Database.Database, vector: VectorInsert, model = 'mock-embed'): void {
  db.prepare('INSERT OR IGNORE INTO vectors (key, model, dim, data, created_at) VALUES (?, ?, ?, ?, 0)').run(
    vector.key,
    model,
    vector.values.length,
    encodeVector(vector.values),
  );
  db.prepare('INSERT OR IGNORE INTO vector_models (model, dim) VALUES (?, ?)').run(model, vector.values.length);
}

export function embeddingManifest(record: EmbeddingInsert): string {
  return JSON.stringify({
    object: 'memsafe.embedding_manifest',
    model: record.model ?? 'mock-embed',
    input: record.input ?? 'string',
    vectors: record.vectors.map((vector) => vector.key),
    dim: record.dim ?? record.vectors[0]?.values.length ?? 0,
    usage: record.usage ?? { prompt_tokens: 3, total_tokens: 3 },
  });
}

/** A done embeddings record, its manifest response and its vectors, the way an embeddings run stores them. */
export function insertEmbedding(db: Database.Database, record: EmbeddingInsert): void {
  const hash = `hash-${record.id}`;
  for (const vector of record.vectors) insertVector(db, vector, record.model);
  db.prepare(
    `INSERT INTO records (id, line, seen_run, run_id, endpoint, hash, status, attempts, cached, updated_at)
     VALUES (?, ?, ?, ?, '/v1/embeddings', ?, 'done', 1, ?, 0)`,
  ).run(record.id, record.line, record.runId ?? 1, record.runId ?? 1, hash, record.cached === true ? 1 : 0);
  const usage = record.usage ?? { prompt_tokens: 3, total_tokens: 3 };
  db.prepare(
    `INSERT INTO responses (hash, endpoint, status_code, request_id, body, prompt_tokens, completion_tokens, total_tokens, created_at)
     VALUES (?, '/v1/embeddings', 200, ?, ?, ?, NULL, ?, 0)`,
  ).run(hash, record.requestId === undefined ? `req-${record.id}` : record.requestId, embeddingManifest(record), usage.prompt_tokens, usage.total_tokens);
}
