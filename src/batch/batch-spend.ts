// --max-cost in a batch run: the budget (cost/batch-budget.ts) wired to the checkpoint. The live chunks'
// reservations are read back from batch_members, so a rerun after a kill -9 counts what is still out at the API.
import type { BatchChunks } from '../checkpoint/batch-chunks.js';
import { BatchBudget, adoptLive } from '../cost/batch-budget.js';
import type { CostTracker } from '../cost/cost-tracker.js';
import type { SubmitBudget } from './batch-submit.js';

export interface BatchSpend {
  readonly budget: BatchBudget;
  /** Chunks an earlier run wrote that no longer fit: not submitted this run. */
  readonly held: ReadonlySet<number>;
  readonly submit: SubmitBudget;
}

/** `fallbackMaxTokens`: what a line without max_tokens is sent with (Anthropic's --max-tokens), for the estimate. */
export function openBatchSpend(limitUsd: number, chunks: BatchChunks, tracker: CostTracker, fallbackMaxTokens: number | undefined): BatchSpend {
  const budget = new BatchBudget(limitUsd);
  const { held } = adoptLive(limitUsd, chunks.liveReservations());
  const liveReservedUsd = (): number => chunks.liveReservations().reduce((sum, chunk) => (held.has(chunk.chunkId) ? sum : sum + chunk.usd), 0);
  return { budget, held, submit: { budget, estimate: (job, fallback) => tracker.estimate(job, fallback), fallbackMaxTokens, liveReservedUsd } };
}

/** The hint of a run the budget halted: what it left for a rerun with a larger --max-cost. */
export function budgetHint(spend: BatchSpend, heldMembers: number): string {
  const records = spend.budget.held + heldMembers;
  return `${records} record${records === 1 ? ' was' : 's were'} not submitted within --max-cost; rerun with a larger --max-cost to submit ${records === 1 ? 'it' : 'them'} (nothing done or in a live batch is submitted again)`;
}
