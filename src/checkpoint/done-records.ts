// Done records with their stored answers, read in input line order through the records_line index, one row
// in memory at a time, so neither memory nor a sort grows with the checkpoint (the rows of every export).
import type Database from 'better-sqlite3';
import { FatalError } from '../errors.js';
import type { Endpoint } from '../input/record.js';
import { DONE_RECORD_COST_COLUMNS, hasCostSchema } from './cost-queries.js';

/** Records of this endpoint store an embedding manifest (src/checkpoint/embedding-manifest.ts) as their body. */
export const EMBEDDINGS_ENDPOINT: Endpoint = '/v1/embeddings';

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

/** A done record whose response row is gone: the checkpoint is damaged (also used by embedding-rows.ts). */
export function missingResponse(id: string, line: number): FatalError {
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
