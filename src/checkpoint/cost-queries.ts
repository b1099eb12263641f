// Read-only cost queries for `status`, `report` and `export`: spend per run and model (run_costs), the total for
// the checkpoint, and the cost of the records as they stand. A checkpoint from before the cost schema (opened
// read-only, so not migrated) answers with nothing tracked instead of failing.
import type Database from 'better-sqlite3';

export interface ModelSpend {
  readonly model: string;
  readonly requests: number;
  readonly cacheHits: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** null: unpriced. */
  readonly usd: number | null;
  readonly savedUsd: number | null;
}

export interface SpendSummary {
  /** Sum over priced models; null when requests were paid for but no model is priced. */
  readonly usd: number | null;
  readonly savedUsd: number;
  readonly byModel: readonly ModelSpend[];
  readonly unpricedModels: readonly string[];
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(name) !== undefined;
}

/** The cost schema is there (records.cost_usd and run_costs): false for a read-only open of an older checkpoint. */
export function hasCostSchema(db: Database.Database): boolean {
  if (!hasTable(db, 'run_costs')) return false;
  return (db.prepare("SELECT name FROM pragma_table_info('records')").pluck().all() as string[]).includes('cost_usd');
}

interface SpendRow {
  model: string;
  requests: number;
  cache_hits: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number | null;
  saved_usd: number | null;
}

function summarise(rows: readonly SpendRow[]): SpendSummary {
  const byModel = rows.map((row) => ({
    model: row.model,
    requests: row.requests,
    cacheHits: row.cache_hits,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    usd: row.cost_usd,
    savedUsd: row.saved_usd,
  }));
  const priced = byModel.filter((model) => model.usd !== null);
  const paidFor = byModel.some((model) => model.requests > 0);
  return {
    usd: paidFor && !priced.some((model) => model.requests > 0) ? null : priced.reduce((sum, model) => sum + (model.usd ?? 0), 0),
    savedUsd: byModel.reduce((sum, model) => sum + (model.savedUsd ?? 0), 0),
    byModel,
    unpricedModels: byModel.filter((model) => model.usd === null && (model.requests > 0 || model.cacheHits > 0)).map((model) => model.model),
  };
}

const EMPTY: SpendSummary = { usd: 0, savedUsd: 0, byModel: [], unpricedModels: [] };

/** What each of these runs spent, per model (status per run). Runs from before the cost schema spent nothing tracked. */
export function readRunSpend(db: Database.Database, runIds: readonly number[]): Map<number, SpendSummary> {
  const spend = new Map<number, SpendSummary>();
  if (!hasCostSchema(db)) return spend;
  const statement = db.prepare(`SELECT model, requests, cache_hits, prompt_tokens, completion_tokens, cost_usd, saved_usd
    FROM run_costs WHERE run_id = ? ORDER BY model`);
  for (const run of runIds) spend.set(run, summarise(statement.all(run) as SpendRow[]));
  return spend;
}

/** What every run on this checkpoint spent together, per model (status total). */
export function readCheckpointSpend(db: Database.Database): SpendSummary {
  if (!hasCostSchema(db)) return EMPTY;
  // sum() over only NULLs is NULL: a model unpriced in every run stays unpriced.
  const rows = db
    .prepare(`SELECT model, sum(requests) AS requests, sum(cache_hits) AS cache_hits, sum(prompt_tokens) AS prompt_tokens,
        sum(completion_tokens) AS completion_tokens, sum(cost_usd) AS cost_usd, sum(saved_usd) AS saved_usd
      FROM run_costs GROUP BY model ORDER BY model`)
    .all() as SpendRow[];
  return summarise(rows);
}

export interface RecordCostTotals {
  readonly model: string;
  readonly records: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Cost of the answers as stored (cache hits included at what they would cost); null: unpriced. */
  readonly usd: number | null;
}

/** Done records per model as they stand now (report); `untracked` counts those written before the cost schema. */
export function readRecordCosts(db: Database.Database): { readonly models: RecordCostTotals[]; readonly untracked: number } {
  if (!hasCostSchema(db)) {
    return { models: [], untracked: (db.prepare("SELECT count(*) FROM records WHERE status = 'done'").pluck().get() as number | null) ?? 0 };
  }
  const rows = db
    .prepare(`SELECT model, count(*) AS records, coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
        coalesce(sum(completion_tokens), 0) AS completion_tokens, sum(cost_usd) AS cost_usd
      FROM records WHERE status = 'done' GROUP BY model ORDER BY model`)
    .all() as { model: string | null; records: number; prompt_tokens: number; completion_tokens: number; cost_usd: number | null }[];
  let untracked = 0;
  const models: RecordCostTotals[] = [];
  for (const row of rows) {
    if (row.model === null) untracked += row.records;
    else models.push({ model: row.model, records: row.records, promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, usd: row.cost_usd });
  }
  return { models, untracked };
}

/**
 * Extra columns of the done-records export query: the model and what this record cost the run that wrote it
 * (0 for a cache hit, NULL for an unpriced model or a record from before the cost schema).
 */
export const DONE_RECORD_COST_COLUMNS = ', r.model, CASE WHEN r.model IS NULL THEN NULL WHEN r.cached = 1 THEN 0 ELSE r.cost_usd END AS cost_usd';
