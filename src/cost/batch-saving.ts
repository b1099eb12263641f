// What a Batch API run saved against live calls: the same usage at standard prices minus what it cost at batch
// prices. Computed from the ledger's summary (per-model tokens), so it never re-reads the checkpoint.
import type { CostSummary } from './cost-ledger.js';
import { costUsd } from './model-price.js';
import type { PriceBook } from './price-table.js';

/**
 * Dollars saved by batch pricing over the priced models; null when nothing was priced. A model without batch
 * prices (DeepSeek) costs the same either way and saves 0. Cache hits are not in here: they are `saved_usd`.
 */
export function savedVsLiveUsd(summary: CostSummary, prices: PriceBook): number | null {
  if (summary.usd === null) return null;
  if (summary.pricing === 'standard') return 0;
  let saved = 0;
  for (const [model, entry] of Object.entries(summary.by_model)) {
    if (entry.usd === null) continue;
    const price = prices.lookup(model);
    if (price === undefined) continue;
    saved += costUsd(price, entry.prompt_tokens, entry.completion_tokens, 'standard') - entry.usd;
  }
  // Float sums of tiny prices can land a hair below zero when nothing was saved.
  return Math.max(0, saved);
}

/** The batch summary's `cost`: the live shape plus `saved_vs_live_usd`. */
export function batchCostSummary(summary: CostSummary, prices: PriceBook): CostSummary {
  return { ...summary, saved_vs_live_usd: savedVsLiveUsd(summary, prices) };
}
