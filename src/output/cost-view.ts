// How status and report show what a run, or the whole checkpoint, cost: the JSON shape of the run summary's
// `cost` object (so scripts read one shape everywhere), and one line for people.
import type { SpendSummary } from '../checkpoint/cost-queries.js';
import type { CostSummary } from '../cost/cost-ledger.js';
import { formatUsd } from '../cost/model-price.js';

/** `{"usd", "by_model": {"<model>": {"requests", "prompt_tokens", "completion_tokens", "usd"}}, "unpriced_models", "saved_usd", "cache_hits"}`. */
export function spendJson(spend: SpendSummary): Record<string, unknown> {
  const byModel: Record<string, unknown> = {};
  for (const model of spend.byModel) {
    byModel[model.model] = { requests: model.requests, prompt_tokens: model.promptTokens, completion_tokens: model.completionTokens, usd: model.usd };
  }
  return {
    usd: spend.usd,
    by_model: byModel,
    unpriced_models: [...spend.unpricedModels],
    saved_usd: spend.savedUsd,
    cache_hits: spend.byModel.reduce((sum, model) => sum + model.cacheHits, 0),
  };
}

/** `$1.23 (gpt-4o $1.00, claude-sonnet-4-5 $0.23; unpriced: llama3; cache saved $0.10)`, or `-` when nothing was tracked. */
export function spendText(spend: SpendSummary): string {
  if (spend.byModel.length === 0) return '-';
  const models = spend.byModel.filter((model) => model.usd !== null && model.requests > 0).map((model) => `${model.model} ${formatUsd(model.usd ?? 0)}`);
  const parts = [models.join(', ')].filter((part) => part !== '');
  if (spend.unpricedModels.length > 0) parts.push(`unpriced: ${spend.unpricedModels.join(', ')}`);
  if (spend.savedUsd > 0) parts.push(`cache saved ${formatUsd(spend.savedUsd)}`);
  const total = spend.usd === null ? 'unpriced' : formatUsd(spend.usd);
  return parts.length === 0 ? total : `${total} (${parts.join('; ')})`;
}

/** The run summary's cost as a SpendSummary, so the human summary prints it like status does. */
function asSpend(cost: CostSummary): SpendSummary {
  const byModel = Object.entries(cost.by_model).map(([model, entry]) => ({
    model,
    requests: entry.requests,
    cacheHits: 0,
    promptTokens: entry.prompt_tokens,
    completionTokens: entry.completion_tokens,
    usd: entry.usd,
    savedUsd: null,
  }));
  return { usd: cost.usd, savedUsd: cost.saved_usd, byModel, unpricedModels: cost.unpriced_models };
}

/** Lines of the human run summary: `cost   $1.23 (...)`, then the built-in prices' date when they were used. */
export function costSummaryLines(cost: CostSummary): string[] {
  const lines = [`cost       ${spendText(asSpend(cost))}${cost.pricing === 'batch' ? ' at batch prices' : ''}`];
  const savedVsLive = cost.saved_vs_live_usd;
  if (savedVsLive !== undefined && savedVsLive !== null) lines.push(`           saved ${formatUsd(savedVsLive)} against live prices`);
  if (cost.requests_without_usage > 0) lines.push(`           ${cost.requests_without_usage} answers had no token usage: their cost is not counted`);
  if (cost.prices_note !== null) lines.push(`           ${cost.prices_note}`);
  return lines;
}
