// What a run spent, per model: requests, tokens and US dollars from each answer's usage, and what cache hits
// saved. Produces the summary's `cost` object. A model without a price is listed as unpriced, never as $0.
import { BUILTIN_PRICES_NOTE, PRICES_AS_OF } from './builtin-prices.js';
import { costUsd, type Pricing, type PriceSource } from './model-price.js';
import type { PriceBook } from './price-table.js';

export interface ModelCostSummary {
  readonly requests: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  /** null: the model has no price. */
  readonly usd: number | null;
}

export interface CostSummary {
  /** Sum over the priced models (unpriced ones are listed, not counted); null when requests were sent but none is priced. */
  readonly usd: number | null;
  readonly by_model: Record<string, ModelCostSummary>;
  readonly unpriced_models: string[];
  /** What the cache hits would have cost at the same prices (priced models only). */
  readonly saved_usd: number;
  readonly cache_hits: number;
  /** Answers without token usage: counted in requests, their cost is not in usd. */
  readonly requests_without_usage: number;
  readonly pricing: Pricing;
  /** The built-in table's date when any of its prices was used, else null. */
  readonly prices_as_of: string | null;
  /** `file` (--prices), `builtin`, `file+builtin`, or null when nothing was priced. */
  readonly prices_source: 'file' | 'builtin' | 'file+builtin' | null;
  /** BUILTIN_PRICES_NOTE when built-in prices were used: print it next to any cost. */
  readonly prices_note: string | null;
  /** Batch runs only: the same usage at live (standard) prices minus its batch cost; null when nothing was priced. */
  readonly saved_vs_live_usd?: number | null;
}

export interface UsageCounts {
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
}

interface ModelTally {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  usd: number;
  priced: boolean;
}

export class CostLedger {
  private readonly models = new Map<string, ModelTally>();
  private readonly sources = new Set<PriceSource>();
  private readonly unpriced = new Set<string>();
  private saved = 0;
  private cacheHits = 0;
  private withoutUsage = 0;
  private spent = 0;

  constructor(
    private readonly prices: PriceBook,
    readonly pricing: Pricing = 'standard',
  ) {}

  /** The cost of one answer at the ledger's prices; null when the model is unpriced or usage is missing. */
  priceOf(model: string, usage: UsageCounts | null): number | null {
    const price = this.prices.lookup(model);
    if (price === undefined || usage === null || usage.promptTokens === null || usage.completionTokens === null) return null;
    return costUsd(price, usage.promptTokens, usage.completionTokens, this.pricing);
  }

  /** An answer the API sent (one request); returns its cost, or null (unpriced, or no usage). */
  recordResponse(model: string, usage: UsageCounts | null): number | null {
    const tally = this.tally(model);
    tally.requests++;
    if (usage === null || usage.promptTokens === null || usage.completionTokens === null) this.withoutUsage++;
    tally.promptTokens += usage?.promptTokens ?? 0;
    tally.completionTokens += usage?.completionTokens ?? 0;
    const usd = this.priceOf(model, usage);
    if (usd !== null) {
      tally.usd += usd;
      this.spent += usd;
    }
    return usd;
  }

  /** An answer from the response cache: free; what it would have cost counts as saved. Returns that, or null. */
  recordCacheHit(model: string, usage: UsageCounts | null): number | null {
    this.tally(model);
    this.cacheHits++;
    const usd = this.priceOf(model, usage);
    if (usd !== null) this.saved += usd;
    return usd;
  }

  /** Dollars spent so far on priced models (for the progress bar). */
  get spentUsd(): number {
    return this.spent;
  }

  /** True when any price came from the built-in table: show BUILTIN_PRICES_NOTE with the cost. */
  get usesBuiltinPrices(): boolean {
    return this.sources.has('builtin');
  }

  summary(): CostSummary {
    const byModel: Record<string, ModelCostSummary> = {};
    let anyPricedRequest = false;
    let anyRequest = false;
    for (const [model, tally] of [...this.models].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (tally.requests > 0) anyRequest = true;
      if (tally.priced && tally.requests > 0) anyPricedRequest = true;
      byModel[model] = {
        requests: tally.requests,
        prompt_tokens: tally.promptTokens,
        completion_tokens: tally.completionTokens,
        usd: tally.priced ? tally.usd : null,
      };
    }
    const builtin = this.sources.has('builtin');
    const file = this.sources.has('file');
    return {
      usd: anyRequest && !anyPricedRequest ? null : this.spent,
      by_model: byModel,
      unpriced_models: [...this.unpriced].sort(),
      saved_usd: this.saved,
      cache_hits: this.cacheHits,
      requests_without_usage: this.withoutUsage,
      pricing: this.pricing,
      prices_as_of: builtin ? PRICES_AS_OF : null,
      prices_source: file && builtin ? 'file+builtin' : file ? 'file' : builtin ? 'builtin' : null,
      prices_note: builtin ? BUILTIN_PRICES_NOTE : null,
    };
  }

  private tally(model: string): ModelTally {
    let tally = this.models.get(model);
    if (tally === undefined) {
      const price = this.prices.lookup(model);
      tally = { requests: 0, promptTokens: 0, completionTokens: 0, usd: 0, priced: price !== undefined };
      if (price === undefined) this.unpriced.add(model);
      else this.sources.add(price.source);
      this.models.set(model, tally);
    }
    return tally;
  }
}
