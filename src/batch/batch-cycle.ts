// One run, one step forward: submit what is pending, poll the live batches, collect the finished ones. With --wait
// the cycle repeats (a fresh pass over the input when settled records became pending again) until all settle.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchTable } from '../checkpoint/batch-batches.js';
import type { BatchChunks } from '../checkpoint/batch-chunks.js';
import type { InputSource } from '../input/open-input.js';
import type { BatchSends } from '../checkpoint/batch-sends.js';
import type { BatchBudget } from '../cost/batch-budget.js';
import { AnthropicBatchClient } from '../provider/anthropic-batch-client.js';
import type { BatchClient } from '../provider/batch-client.js';
import { submitAnthropicChunks } from './anthropic-create.js';
import { pollAndCollect } from './batch-collect.js';
import { submitChunks } from './batch-create.js';
import type { BatchProgress } from './batch-progress.js';
import type { SettleContext } from './batch-settle.js';
import { streamPending, type SubmitContext } from './batch-submit.js';

export interface CycleContext {
  readonly client: BatchClient | AnthropicBatchClient;
  readonly chunks: BatchChunks;
  readonly batches: BatchTable;
  /** Anthropic: the creates sent, for adopting one whose answer was lost (its batches carry no metadata). */
  readonly sends?: BatchSends | undefined;
  readonly submit: SubmitContext;
  readonly settle: SettleContext;
  readonly provider: string;
  readonly checkpointId: string;
  readonly maxRetries: number;
  readonly maxLineBytes: number;
  readonly wait: boolean;
  readonly pollIntervalMs: number;
  /** The input for the first pass, then a fresh one for each later pass. */
  readonly firstInput: InputSource;
  readonly reopenInput: () => InputSource;
  readonly signal: AbortSignal;
  /** --max-runtime: --wait stops polling here (exit 75, rerun to go on). */
  readonly deadline: number | undefined;
  readonly progress: BatchProgress;
  readonly log: (message: string, detail: Record<string, unknown>) => void;
  readonly gc?: (() => void) | undefined;
  /** --max-cost: the budget the passes reserve from, and the chunks it holds back this run. */
  readonly budget?: { readonly budget: BatchBudget; readonly held: ReadonlySet<number> } | undefined;
}

export interface CycleResult {
  /** Every record settled: nothing in a batch, nothing waiting for one. */
  readonly settled: boolean;
  /** Nothing running, but --max-cost held records (or written chunks) back: the run halts on the budget. */
  readonly budgetHalted: boolean;
  readonly batchesCreated: number;
  readonly polls: number;
  readonly stoppedBy: string | undefined;
}

export async function runCycles(context: CycleContext): Promise<CycleResult> {
  let input: InputSource | undefined = context.firstInput;
  let batchesCreated = 0;
  let polls = 0;
  const transaction = (work: () => void): void => context.settle.store.database.transaction(work)();
  // A pass that found nothing to queue: retryable records it did not meet (not in this input) cannot be resubmitted.
  let inputExhausted = false;
  let retryableSeen = context.settle.tally.retryable;
  for (;;) {
    if (input !== undefined) {
      const pass = input;
      const started = Date.now();
      try {
        const tally = await streamPending(context.submit, pass);
        inputExhausted = tally.queued === 0;
        context.log('input read', { queued: tally.queued, inFlight: tally.inFlight, ms: Date.now() - started });
        context.gc?.();
      } finally {
        if (pass !== context.firstInput) pass.close();
      }
      input = undefined;
    }
    const client = context.client;
    const transactionally = { chunks: context.chunks, batches: context.batches, transaction, provider: context.provider, maxRetries: context.maxRetries, signal: context.signal, log: context.log, held: context.budget?.held };
    batchesCreated += client instanceof AnthropicBatchClient
      ? await submitAnthropicChunks({ ...transactionally, client, sends: sendsOf(context) })
      : await submitChunks({ ...transactionally, client, checkpointId: context.checkpointId });
    const running = await pollAndCollect({
      client: context.client, batches: context.batches, settle: context.settle, maxLineBytes: context.maxLineBytes, signal: context.signal, log: context.log, gc: context.gc,
    });
    polls += 1;
    const live = context.chunks.countLive();
    // Chunks the budget holds stay unsubmitted all run: they are not waited for.
    const heldChunks = context.budget?.held.size ?? 0;
    const active = live.chunks - heldChunks;
    if (context.settle.tally.retryable > retryableSeen) inputExhausted = false;
    retryableSeen = context.settle.tally.retryable;
    const retryPending = !inputExhausted && hasRetryPending(context.settle);
    context.progress.update({
      batchesLive: live.chunks,
      batchesTotal: context.batches.unsettled().length + settledCount(context.settle),
      recordsInFlight: live.members,
      done: context.settle.counters.done,
      failed: context.settle.counters.failed,
    });
    const budget = context.budget?.budget;
    const budgetHeld = heldChunks > 0 || (budget !== undefined && budget.held > 0);
    // What the settled batches did not spend of their reservations may fit what the last pass held back.
    const budgetWaits = budget !== undefined && budget.held > 0 && budget.verdict === 'later';
    const end = (settled: boolean, stoppedBy?: string): CycleResult => ({ settled, budgetHalted: !settled && active === 0 && budgetHeld && !budgetWaits, batchesCreated, polls, stoppedBy });
    if (active === 0 && !retryPending && !budgetWaits) return end(!budgetHeld);
    // Nothing is running, so the next pass reserves beside this run's spend alone: it fits more or is exhausted.
    if (active === 0 && budgetWaits && !context.signal.aborted) {
      input = context.reopenInput();
      continue;
    }
    if (!context.wait) return end(false);
    if (context.signal.aborted) return end(false, String(context.signal.reason));
    if (context.deadline !== undefined && Date.now() + context.pollIntervalMs > context.deadline) return end(false);
    // Resubmit now when nothing is running; else wait for the batches first.
    if (running > 0 || !retryPending) {
      try {
        await sleep(context.pollIntervalMs, undefined, { signal: context.signal });
      } catch {
        return end(false, String(context.signal.reason));
      }
    }
    if (retryPending) input = context.reopenInput();
  }
}

function sendsOf(context: CycleContext): BatchSends {
  if (context.sends === undefined) throw new Error('an Anthropic batch run needs the checkpoint\'s create sends');
  return context.sends;
}

/** Failed records that a later batch will try again, not yet in one. */
export function hasRetryPending(settle: SettleContext): boolean {
  const sql = `SELECT EXISTS (SELECT 1 FROM records r WHERE r.status = 'failed' AND r.retryable = 1
    AND NOT EXISTS (SELECT 1 FROM batch_members m WHERE m.record_id = r.id))`;
  return (settle.store.database.prepare(sql).pluck().get() as number) === 1;
}

function settledCount(settle: SettleContext): number {
  return settle.store.database.prepare("SELECT count(*) FROM batches WHERE step = 'settled'").pluck().get() as number;
}
