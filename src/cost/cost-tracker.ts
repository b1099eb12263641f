// The one object the engine talks to about money: before a request it reserves the estimate (with --max-cost),
// after the answer it prices the usage, settles the reservation, feeds the ledger and hands back the record's
// cost for the checkpoint. Without --max-cost it only prices and counts.
import type { RecordCost } from '../checkpoint/cost-store.js';
import type { Job } from '../input/record.js';
import { CostLedger, type CostSummary, type UsageCounts } from './cost-ledger.js';
import { formatUsd, type Pricing } from './model-price.js';
import type { PriceBook } from './price-table.js';
import { SpendBudget, type Reservation } from './spend-budget.js';
import { SpendEstimator, completionBound } from './spend-estimate.js';

export type AdmitVerdict = { readonly kind: 'send'; readonly reservation: Reservation | null } | { readonly kind: 'wait' } | { readonly kind: 'exhausted' };

export interface CostTrackerOptions {
  readonly prices: PriceBook;
  readonly pricing?: Pricing;
  /** --max-cost; undefined: no budget, nothing is reserved. */
  readonly maxCostUsd?: number | undefined;
}

function modelOf(job: Pick<Job, 'body'>): string {
  const model = job.body['model'];
  return typeof model === 'string' ? model : '';
}

const SEND_UNRESERVED: AdmitVerdict = { kind: 'send', reservation: null };

export class CostTracker {
  readonly ledger: CostLedger;
  readonly budget: SpendBudget | undefined;
  private readonly estimator: SpendEstimator;

  constructor(options: CostTrackerOptions) {
    this.ledger = new CostLedger(options.prices, options.pricing ?? 'standard');
    this.estimator = new SpendEstimator(options.prices, options.pricing ?? 'standard');
    this.budget = options.maxCostUsd === undefined ? undefined : new SpendBudget(options.maxCostUsd);
  }

  /**
   * With --max-cost, when the planner first meets a job: UnpricedModelError (exit 2) for a model without a price,
   * before anything is sent.
   */
  check(job: Pick<Job, 'line' | 'body'>): void {
    if (this.budget !== undefined) this.estimator.priceFor(job.line, modelOf(job));
  }

  /**
   * Right before the dispatcher sends a job (after the rate limiter, before the HTTP call). `fallbackMaxTokens`:
   * the max_tokens the route or --max-tokens fills in when the line sets none (the provider sends it).
   */
  admit(job: Pick<Job, 'body' | 'endpoint' | 'estimatedTokens'> & { readonly line?: number }, fallbackMaxTokens?: number): AdmitVerdict {
    if (this.budget === undefined) return SEND_UNRESERVED;
    const verdict = this.budget.reserve(this.estimate(job, fallbackMaxTokens));
    if (verdict === 'wait') return { kind: 'wait' };
    if (verdict === 'exhausted') return { kind: 'exhausted' };
    return { kind: 'send', reservation: verdict };
  }

  /**
   * What the job may cost, at this tracker's pricing (the batch pipeline reserves it per batch-file line). Throws
   * UnpricedModelError (exit 2) for a model without a price.
   */
  estimate(job: Pick<Job, 'body' | 'endpoint' | 'estimatedTokens'> & { readonly line?: number }, fallbackMaxTokens?: number): number {
    return this.estimator.estimateUsd({
      // A request without its line (the spend layer) was checked by check() when it was planned.
      line: job.line ?? 0,
      model: modelOf(job),
      promptTokens: job.estimatedTokens,
      maxTokens: completionBound(job.body) ?? fallbackMaxTokens,
      embeddings: job.endpoint === '/v1/embeddings',
    });
  }

  /** The API answered: its usage is priced, the reservation replaced by the real cost, the record's cost returned. */
  answered(job: Pick<Job, 'body'>, reservation: Reservation | null, usage: UsageCounts | null): RecordCost {
    const model = modelOf(job);
    const costUsd = this.ledger.recordResponse(model, usage);
    if (usage?.completionTokens !== null && usage?.completionTokens !== undefined) this.estimator.learn(model, usage.completionTokens);
    // No usage in the answer: keep what was reserved as its cost, so the budget never counts it as free.
    if (reservation !== null) this.budget?.settle(reservation, costUsd ?? reservation.usd);
    return { model, promptTokens: usage?.promptTokens ?? null, completionTokens: usage?.completionTokens ?? null, costUsd };
  }

  /** The budget side of an answer (the spend layer, per attempt): the reservation is replaced by the priced usage. */
  settle(reservation: Reservation | null, job: Pick<Job, 'body'>, usage: UsageCounts | null): void {
    if (reservation === null || this.budget === undefined) return;
    this.budget.settle(reservation, this.ledger.priceOf(modelOf(job), usage) ?? reservation.usd);
  }

  /**
   * The request ended without an answer. `charged`: it may have been billed (a timeout or a reset after sending):
   * the reservation is kept as spent. Otherwise (refused before any work: 4xx, 429, 5xx) it is given back.
   */
  unanswered(reservation: Reservation | null, charged: boolean): void {
    if (reservation === null || this.budget === undefined) return;
    if (charged) this.budget.settle(reservation, reservation.usd);
    else this.budget.release(reservation);
  }

  /** A job answered from the response cache (usage from CheckpointStore.cachedUsage): free, counted as saved. */
  cacheHit(job: Pick<Job, 'body'>, usage: UsageCounts | null): RecordCost {
    const model = modelOf(job);
    const costUsd = this.ledger.recordCacheHit(model, usage);
    return { model, promptTokens: usage?.promptTokens ?? null, completionTokens: usage?.completionTokens ?? null, costUsd };
  }

  /** The summary's `cost` object. */
  summary(): CostSummary {
    return this.ledger.summary();
  }

  /** For the progress bar: `$1.23` or `$1.23 of $5.00`. */
  progressText(): string {
    const spent = formatUsd(this.ledger.spentUsd);
    return this.budget === undefined ? spent : `${spent} of ${formatUsd(this.budget.limitUsd)}`;
  }
}
