// The run_costs side of per-record cost: adds each commit's spend to run_costs, one upsert per model per commit
// (not per record). The record's own cost columns are written by CheckpointStore's record upsert.
import type Database from 'better-sqlite3';

/** Tokens and cost of one done record, as the engine priced it (see src/cost/cost-ledger.ts). */
export interface RecordCost {
  /** The model the request was sent to (body.model). */
  readonly model: string;
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  /** What the answer costs at the run's prices; null when the model is unpriced or the answer had no usage. */
  readonly costUsd: number | null;
}

interface PendingModel {
  requests: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
  savedUsd: number | null;
}

function add(total: number | null, value: number | null): number | null {
  return value === null ? total : (total ?? 0) + value;
}

export class CostWriter {
  private readonly addRunCost: Database.Statement;
  private readonly pending = new Map<string, PendingModel>();

  constructor(db: Database.Database) {
    // NULL + x would lose a priced sum: an unpriced model's cost stays NULL, a priced one's adds up.
    this.addRunCost = db.prepare(`INSERT INTO run_costs
      (run_id, model, requests, cache_hits, prompt_tokens, completion_tokens, cost_usd, saved_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(run_id, model) DO UPDATE SET requests = requests + excluded.requests, cache_hits = cache_hits + excluded.cache_hits,
        prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens,
        cost_usd = CASE WHEN excluded.cost_usd IS NULL THEN cost_usd ELSE coalesce(cost_usd, 0) + excluded.cost_usd END,
        saved_usd = CASE WHEN excluded.saved_usd IS NULL THEN saved_usd ELSE coalesce(saved_usd, 0) + excluded.saved_usd END`);
  }

  /** A done record's share of the run's spend (or, for a cache hit, of its savings). */
  add(cost: RecordCost, cached: boolean): void {
    let tally = this.pending.get(cost.model);
    if (tally === undefined) {
      tally = { requests: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0, costUsd: null, savedUsd: null };
      this.pending.set(cost.model, tally);
    }
    if (cached) {
      tally.cacheHits++;
      tally.savedUsd = add(tally.savedUsd, cost.costUsd);
    } else {
      tally.requests++;
      tally.promptTokens += cost.promptTokens ?? 0;
      tally.completionTokens += cost.completionTokens ?? 0;
      tally.costUsd = add(tally.costUsd, cost.costUsd);
    }
  }

  /** Inside the commit's transaction, after its records: adds the batch's spend per model to run_costs. */
  flush(run: number): void {
    for (const [model, t] of this.pending) {
      this.addRunCost.run(run, model, t.requests, t.cacheHits, t.promptTokens, t.completionTokens, t.costUsd, t.savedUsd);
    }
    this.pending.clear();
  }

  /** The commit rolled back: forget what it would have added. */
  discard(): void {
    this.pending.clear();
  }
}
