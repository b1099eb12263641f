// Commits a batch of outcomes: responses, records, duplicate-id lines and embedding vectors, in one transaction.
import type Database from 'better-sqlite3';
import { CostWriter } from './cost-store.js';
import type { DoneOutcome, FailedOutcome, Outcome } from './outcome.js';

export class OutcomeWriter {
  private readonly statements;
  /** Duplicate-id rows are rare: skip clearing them line by line while there are none (a hot path per record). */
  private mayHoldLineErrors: boolean;
  /** Models with a vector_models row: a handful, so their row is written once, not once per vector. */
  private readonly vectorModels: Set<string>;
  private readonly costs: CostWriter;
  /** Made once: db.transaction() builds a wrapper each time it is called, once per commit before. */
  private readonly transaction: (run: number, outcomes: readonly Outcome[], now: number, newModels: string[], alongside: () => void) => void;

  constructor(db: Database.Database) {
    this.transaction = db.transaction((run: number, outcomes: readonly Outcome[], now: number, newModels: string[], alongside: () => void) => {
      this.writeOutcomes(run, outcomes, now, newModels);
      this.costs.flush(run);
      alongside();
    });
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
      insertVector: db.prepare('INSERT OR IGNORE INTO vectors (key, model, dim, data, created_at) VALUES (?, ?, ?, ?, ?)'),
      insertVectorModel: db.prepare('INSERT OR IGNORE INTO vector_models (model, dim) VALUES (?, ?)'),
    };
  }

  /**
   * One transaction: the outcomes, then `alongside` (the run's counters), so a batch and the counters that
   * count it are committed together or not at all.
   */
  commit(run: number, outcomes: readonly Outcome[], alongside: () => void): void {
    const now = Date.now();
    const newModels: string[] = [];
    try {
      this.transaction(run, outcomes, now, newModels, alongside);
    } catch (error) {
      this.costs.discard();
      // Rolled back: those models' rows were not written after all.
      for (const model of newModels) this.vectorModels.delete(model);
      throw error;
    }
  }

  private writeOutcomes(run: number, outcomes: readonly Outcome[], now: number, newModels: string[]): void {
    const s = this.statements;
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
}
