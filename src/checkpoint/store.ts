// The writing side of the checkpoint: per-batch lookups, one transaction per committed batch, run bookkeeping.
import type Database from 'better-sqlite3';
import type { Endpoint } from '../input/record.js';
import type { ProviderResponse } from '../provider/provider.js';
import { CostWriter, type RecordCost } from './cost-store.js';
import { acquireLock, processAlive, releaseLock } from './lock.js';
import { openCheckpoint } from './open.js';

export interface StoredRecord {
  readonly id: string;
  readonly line: number;
  readonly hash: string | null;
  readonly status: 'done' | 'failed';
  readonly retryable: boolean;
  readonly seenRun: number;
  /** When the stored response was fetched: done records looked up `withResponseAt` only, else null. */
  readonly responseAt: number | null;
}

/** A record completed by this run; `response: null` when the checkpoint already holds the answer under `hash`. */
export interface DoneOutcome {
  readonly kind: 'done';
  readonly id: string;
  readonly line: number;
  readonly endpoint: Endpoint;
  readonly hash: string;
  readonly response: ProviderResponse | null;
  /** Answered without an API call of its own (response cache, or a shared embedding). */
  readonly cached: boolean;
  readonly attempts: number;
  readonly trimmed: boolean;
  /** Model, tokens and cost of the record (written to its cost columns and to run_costs). */
  readonly cost?: RecordCost;
}

export interface FailedOutcome {
  readonly kind: 'failed';
  readonly id: string;
  readonly line: number;
  readonly endpoint: Endpoint | null;
  readonly hash: string | null;
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number | null;
  readonly retryable: boolean;
  readonly attempts: number;
  readonly trimmed: boolean;
}

/** A record this run read but did not need to touch (already done, or failed for good): only marked as seen. */
export interface SeenOutcome {
  readonly kind: 'seen';
  readonly id: string;
  readonly line: number;
}

/** A line whose id an earlier line of the same input already holds. */
export interface DuplicateOutcome {
  readonly kind: 'duplicate';
  readonly id: string;
  readonly line: number;
  readonly firstLine: number;
}

/** An embedding vector for one distinct text; committed with (before) the records that use it. */
export interface VectorOutcome {
  readonly kind: 'vector';
  readonly key: string;
  readonly model: string;
  readonly dim: number;
  readonly data: Buffer;
}

export type Outcome = DoneOutcome | FailedOutcome | SeenOutcome | DuplicateOutcome | VectorOutcome;

export interface RunCounters {
  recordsRead: number;
  done: number;
  failed: number;
  skipped: number;
  requests: number;
  cacheHits: number;
  retries: number;
  throttled: number;
  peakRss: number;
  breakerTrips: number;
  breakerResets: number;
}

export interface MemorySample {
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly state: string;
  readonly done: number;
}

/** SQLite allows 32766 bound parameters; lookups are chunked well below it. */
const LOOKUP_CHUNK = 500;

export class CheckpointStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly statements;
  private locked = false;
  /** Duplicate-id rows are rare: skip clearing them line by line while there are none (a hot path per record). */
  private mayHoldLineErrors: boolean;
  /** Prepared IN (...) lookups by placeholder count: batch sizes repeat, so this stays small. */
  private readonly lookupStatements = new Map<string, Database.Statement>();
  /** Models with a vector_models row: a handful, so their row is written once, not once per vector. */
  private readonly vectorModels: Set<string>;
  private readonly costs: CostWriter;

  private constructor(db: Database.Database, file: string) {
    this.db = db;
    this.file = file;
    this.mayHoldLineErrors = (db.prepare('SELECT EXISTS (SELECT 1 FROM line_errors) AS present').get() as { present: number }).present === 1;
    this.vectorModels = new Set(db.prepare('SELECT model FROM vector_models').pluck().all() as string[]);
    this.costs = new CostWriter(db);
    this.statements = {
      // Positional parameters: binding a named object costs 6-9% of a commit (scripts/bench/checkpoint-writes.mjs).
      upsertResponse: db.prepare(`INSERT OR REPLACE INTO responses
        (hash, endpoint, status_code, request_id, body, prompt_tokens, completion_tokens, total_tokens, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      // Bound by writeRecord, in this column order.
      // The cost columns ride in the same statement: a separate UPDATE per record made commits 70-120% slower.
      upsertRecord: db.prepare(`INSERT INTO records
        (id, line, seen_run, run_id, endpoint, hash, status, retryable, attempts, http_status, error_code, error_message,
         cached, trimmed, latency_ms, updated_at, model, prompt_tokens, completion_tokens, cost_usd)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET line = excluded.line, seen_run = excluded.seen_run, run_id = excluded.run_id,
          endpoint = excluded.endpoint, hash = excluded.hash, status = excluded.status, retryable = excluded.retryable,
          attempts = records.attempts + excluded.attempts, http_status = excluded.http_status,
          error_code = excluded.error_code, error_message = excluded.error_message, cached = excluded.cached,
          trimmed = excluded.trimmed, latency_ms = excluded.latency_ms, updated_at = excluded.updated_at,
          model = excluded.model, prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
          cost_usd = excluded.cost_usd`),
      // A resume finds nearly every record at its old line: then records_line is left alone (-25% per mark).
      markSeen: db.prepare('UPDATE records SET seen_run = ? WHERE id = ? AND line = ?'),
      markSeenMoved: db.prepare('UPDATE records SET seen_run = ?, line = ? WHERE id = ?'),
      upsertLineError: db.prepare(`INSERT OR REPLACE INTO line_errors (line, id, run_id, code, message, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)`),
      clearLineError: db.prepare('DELETE FROM line_errors WHERE line = ?'),
      // Bound by writeCounters, in this column order.
      updateRun: db.prepare(`UPDATE runs SET records_read = ?, done = ?, failed = ?, skipped = ?, requests = ?,
        cache_hits = ?, retries = ?, throttled = ?, peak_rss = ?, breaker_trips = ?, breaker_resets = ? WHERE id = ?`),
      insertSample: db.prepare(`INSERT INTO samples (run_id, t, rss, heap_used, batch_size, concurrency, state, done)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      insertVector: db.prepare('INSERT OR IGNORE INTO vectors (key, model, dim, data, created_at) VALUES (?, ?, ?, ?, ?)'),
      insertVectorModel: db.prepare('INSERT OR IGNORE INTO vector_models (model, dim) VALUES (?, ?)'),
      vectorDim: db.prepare('SELECT dim FROM vector_models WHERE model = ?'),
      insertEvent: db.prepare('INSERT INTO events (run_id, t, kind, detail) VALUES (?, ?, ?, ?)'),
    };
  }

  static open(file: string): CheckpointStore {
    return new CheckpointStore(openCheckpoint(file, { create: true }), file);
  }

  /** Takes the single-writer lock (exit 4 when a live run holds it) and marks runs left by dead processes as crashed. */
  lock(): void {
    acquireLock(this.db, this.file);
    this.locked = true;
    const running = this.db.prepare("SELECT id, pid FROM runs WHERE status = 'running'").all() as { id: number; pid: number }[];
    const crashed = this.db.prepare("UPDATE runs SET status = 'crashed' WHERE id = ?");
    for (const run of running) if (run.pid === process.pid || !processAlive(run.pid)) crashed.run(run.id);
  }

  startRun(details: { mode: string; input: string; options: Record<string, unknown>; initialRss: number }): number {
    const result = this.db
      .prepare(`INSERT INTO runs (started_at, pid, mode, status, options, input, initial_rss, peak_rss)
        VALUES (?, ?, ?, 'running', ?, ?, ?, ?)`)
      .run(Date.now(), process.pid, details.mode, JSON.stringify(details.options), details.input, details.initialRss, details.initialRss);
    return Number(result.lastInsertRowid);
  }

  finishRun(run: number, end: { status: string; exitCode: number; counters: RunCounters; finalRss: number; haltReason: string | null }): void {
    this.db.transaction(() => {
      this.writeCounters(run, end.counters);
      this.db
        .prepare('UPDATE runs SET ended_at = ?, status = ?, exit_code = ?, final_rss = ?, halt_reason = ? WHERE id = ?')
        .run(Date.now(), end.status, end.exitCode, end.finalRss, end.haltReason, run);
    })();
  }

  /**
   * What the checkpoint knows about these ids: one indexed query per chunk, never a set of every id.
   * `withResponseAt` joins responses for the fetch time; only --refresh-older-than needs it (the join triples the cost).
   */
  lookup(ids: readonly string[], withResponseAt: boolean): Map<string, StoredRecord> {
    type Row = Omit<StoredRecord, 'retryable'> & { retryable: number };
    const columns = 'r.id, r.line, r.hash, r.status, r.retryable, r.seen_run AS seenRun';
    return this.lookupIn<Row, StoredRecord>(
      withResponseAt ? 'records+responseAt' : 'records',
      ids,
      (list) =>
        withResponseAt
          ? `SELECT ${columns}, p.created_at AS responseAt
              FROM records r LEFT JOIN responses p ON p.hash = r.hash AND r.status = 'done' WHERE r.id IN (${list})`
          : `SELECT ${columns}, NULL AS responseAt FROM records r WHERE r.id IN (${list})`,
      (row) => [row.id, { ...row, retryable: row.retryable === 1 }],
    );
  }

  /** Fetch times of stored responses for these request hashes (the response cache). */
  cachedResponses(hashes: readonly string[]): Map<string, number> {
    return this.lookupIn<{ hash: string; createdAt: number }, number>(
      'responses',
      hashes,
      (list) => `SELECT hash, created_at AS createdAt FROM responses WHERE hash IN (${list})`,
      (row) => [row.hash, row.createdAt],
    );
  }

  /** Stored token usage of these request hashes: what a cache hit would have cost (counted as saved). */
  cachedUsage(hashes: readonly string[]): Map<string, { promptTokens: number | null; completionTokens: number | null }> {
    type Row = { hash: string; promptTokens: number | null; completionTokens: number | null };
    return this.lookupIn<Row, { promptTokens: number | null; completionTokens: number | null }>(
      'responses-usage',
      hashes,
      (list) => `SELECT hash, prompt_tokens AS promptTokens, completion_tokens AS completionTokens FROM responses WHERE hash IN (${list})`,
      (row) => [row.hash, { promptTokens: row.promptTokens, completionTokens: row.completionTokens }],
    );
  }

  /** Which of these vector keys are stored, with their dimension. */
  storedVectors(keys: readonly string[]): Map<string, number> {
    return this.lookupIn<{ key: string; dim: number }, number>(
      'vectors',
      keys,
      (list) => `SELECT key, dim FROM vectors WHERE key IN (${list})`,
      (row) => [row.key, row.dim],
    );
  }

  storedDimension(model: string): number | undefined {
    return (this.statements.vectorDim.get(model) as { dim: number } | undefined)?.dim;
  }

  /** `WHERE key IN (...)` in chunks below SQLite's parameter limit, each statement prepared once per size. */
  private lookupIn<Row, Value>(
    name: string,
    keys: readonly string[],
    sql: (list: string) => string,
    entry: (row: Row) => [string, Value],
  ): Map<string, Value> {
    const found = new Map<string, Value>();
    for (let start = 0; start < keys.length; start += LOOKUP_CHUNK) {
      const chunk = keys.slice(start, start + LOOKUP_CHUNK);
      const cacheKey = `${name}:${chunk.length}`;
      let statement = this.lookupStatements.get(cacheKey);
      if (statement === undefined) {
        statement = this.db.prepare(sql(new Array<string>(chunk.length).fill('?').join(', ')));
        this.lookupStatements.set(cacheKey, statement);
      }
      for (const row of statement.all(...chunk) as Row[]) {
        const [key, value] = entry(row);
        found.set(key, value);
      }
    }
    return found;
  }

  /** Writes a batch of outcomes and the run's counters in one transaction. */
  commit(run: number, outcomes: readonly Outcome[], counters: RunCounters): void {
    const now = Date.now();
    const s = this.statements;
    const newModels: string[] = [];
    const write = this.db.transaction(() => {
      for (const outcome of outcomes) {
        switch (outcome.kind) {
          case 'vector':
            s.insertVector.run(outcome.key, outcome.model, outcome.dim, outcome.data, now);
            if (!this.vectorModels.has(outcome.model)) {
              s.insertVectorModel.run(outcome.model, outcome.dim);
              this.vectorModels.add(outcome.model);
              newModels.push(outcome.model);
            }
            break;
          case 'seen':
            if (s.markSeen.run(run, outcome.id, outcome.line).changes === 0) s.markSeenMoved.run(run, outcome.line, outcome.id);
            if (this.mayHoldLineErrors) s.clearLineError.run(outcome.line);
            break;
          case 'duplicate':
            this.mayHoldLineErrors = true;
            s.upsertLineError.run(
              outcome.line,
              outcome.id,
              run,
              'duplicate_id',
              `duplicate id "${outcome.id}": line ${outcome.firstLine} already has it; this line was not sent`,
              now,
            );
            break;
          case 'done': {
            const response = outcome.response;
            if (response !== null) {
              const usage = response.usage;
              s.upsertResponse.run(
                outcome.hash,
                outcome.endpoint,
                response.status,
                response.requestId,
                response.bodyText,
                usage?.promptTokens ?? null,
                usage?.completionTokens ?? null,
                usage?.totalTokens ?? null,
                now,
              );
            }
            const latency = response === null || outcome.cached ? null : Math.round(response.latencyMs);
            this.writeRecord(outcome, run, now, 'done', 0, response?.status ?? null, null, null, outcome.cached ? 1 : 0, latency);
            if (outcome.cost !== undefined) this.costs.add(outcome.cost, outcome.cached);
            if (this.mayHoldLineErrors) s.clearLineError.run(outcome.line);
            break;
          }
          case 'failed':
            this.writeRecord(outcome, run, now, 'failed', outcome.retryable ? 1 : 0, outcome.httpStatus, outcome.code, outcome.message, 0, null);
            if (this.mayHoldLineErrors) s.clearLineError.run(outcome.line);
            break;
        }
      }
      this.costs.flush(run);
      this.writeCounters(run, counters);
    });
    try {
      write();
    } catch (error) {
      this.costs.discard();
      // Rolled back: those models' rows were not written after all.
      for (const model of newModels) this.vectorModels.delete(model);
      throw error;
    }
  }

  /** The columns a done and a failed record share come from the outcome; the rest are the caller's. */
  private writeRecord(
    outcome: DoneOutcome | FailedOutcome,
    run: number,
    now: number,
    status: 'done' | 'failed',
    retryable: 0 | 1,
    httpStatus: number | null,
    code: string | null,
    message: string | null,
    cached: 0 | 1,
    latency: number | null,
  ): void {
    const cost = outcome.kind === 'done' ? outcome.cost : undefined;
    this.statements.upsertRecord.run(
      outcome.id, outcome.line, run, run, outcome.endpoint, outcome.hash, status, retryable, outcome.attempts, httpStatus, code, message,
      cached, outcome.trimmed ? 1 : 0, latency, now,
      cost?.model ?? null, cost?.promptTokens ?? null, cost?.completionTokens ?? null, cost?.costUsd ?? null,
    );
  }

  private writeCounters(run: number, c: RunCounters): void {
    this.statements.updateRun.run(
      c.recordsRead, c.done, c.failed, c.skipped, c.requests, c.cacheHits, c.retries, c.throttled, c.peakRss, c.breakerTrips, c.breakerResets, run,
    );
  }

  recordSample(run: number, sample: MemorySample): void {
    this.statements.insertSample.run(run, sample.t, sample.rss, sample.heapUsed, sample.batchSize, sample.concurrency, sample.state, sample.done);
  }

  recordEvent(run: number, kind: string, detail: Record<string, unknown>): void {
    this.statements.insertEvent.run(run, Date.now(), kind, JSON.stringify(detail));
  }

  /** Idempotent: releases the lock (if ours), checkpoints the WAL into the main file and closes. */
  close(): void {
    if (!this.db.open) return;
    try {
      if (this.locked) releaseLock(this.db);
    } finally {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // another reader may hold the WAL; SQLite checkpoints it later
      }
      this.db.close();
    }
  }
}

