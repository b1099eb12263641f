// Submit, part one: one pass over the input that streams every pending record into chunk files. Pending: not
// done, not failed for good (the planner's rules), and not in a live batch (no batch_members row). Identical
// requests share one batch line (custom_id = request hash); answers already stored are cache hits, as in live mode.
import type { BatchChunks, MemberRow } from '../checkpoint/batch-chunks.js';
import type { CheckpointStore, Outcome, RunCounters } from '../checkpoint/store.js';
import type { BatchBudget } from '../cost/batch-budget.js';
import type { CostTracker } from '../cost/cost-tracker.js';
import { cacheCandidates, idOf, planBatch, type PlanContext } from '../engine/planner.js';
import { inShard, type Shard } from '../input/shard.js';
import type { InputSource } from '../input/open-input.js';
import { normalizeLine, type NormalizeOptions } from '../input/normalize.js';
import { ProviderError } from '../errors.js';
import type { Job, ParsedLine } from '../input/record.js';
import { embeddingDetail, embeddingsRequestBody } from './batch-embeddings.js';
import type { ChunkWriter } from './chunk-writer.js';

export interface SubmitContext {
  readonly store: CheckpointStore;
  readonly chunks: BatchChunks;
  readonly writer: ChunkWriter;
  readonly run: number;
  readonly counters: RunCounters;
  readonly normalise: NormalizeOptions;
  readonly retryFailed: boolean;
  readonly refreshOlderThanMs: number | undefined;
  readonly limit: number | undefined;
  readonly shard: Shard | undefined;
  readonly normalize: boolean;
  readonly embeddingEncoding: 'base64' | 'float';
  /** The batch-file line of a request (default: OpenAI's {custom_id, method, url, body}); may throw a record-scoped ProviderError. */
  readonly requestLine?: ((job: Job, body: Record<string, unknown>) => string) | undefined;
  /** Full GC, every GC_BYTES of input: a pass's garbage would otherwise grow the heap with the input. */
  readonly gc?: (() => void) | undefined;
  /** Answers already stored are cache hits: free, what they would have cost counts as saved. */
  readonly cost: Pick<CostTracker, 'cacheHit'>;
  /** --max-cost: each new batch line is reserved as it is written; what does not fit stays pending. */
  readonly budget?: SubmitBudget | undefined;
}

export interface SubmitBudget {
  readonly budget: BatchBudget;
  readonly estimate: CostTracker['estimate'];
  /** The max_tokens a line without one is sent with (Anthropic's --max-tokens), for the estimate. */
  readonly fallbackMaxTokens: number | undefined;
  /** What the live chunks reserve now (the checkpoint's sum, held chunks left out): read before each pass. */
  readonly liveReservedUsd: () => number;
}

export interface SubmitTally {
  /** Records put into a batch file by this pass (new lines or joined to an identical request's line). */
  queued: number;
  /** Records already in a live batch. */
  inFlight: number;
}

const INTAKE = 500;
/** An intake also ends at this many input bytes: long lines must not multiply its memory. */
const INTAKE_BYTES = 1024 * 1024;
const GC_BYTES = 16 * 1024 * 1024;

export async function streamPending(context: SubmitContext, input: InputSource): Promise<SubmitTally> {
  const tally: SubmitTally = { queued: 0, inFlight: 0 };
  const planContext: PlanContext = {
    run: context.run,
    now: Date.now(),
    retryFailed: context.retryFailed,
    refreshOlderThanMs: context.refreshOlderThanMs,
    pendingIds: new Map(),
  };
  let items: ParsedLine[] = [];
  let itemBytes = 0;
  let sinceGc = 0;
  let read = 0;
  context.budget?.budget.beginPass(context.budget.liveReservedUsd());
  try {
    for await (const raw of input.lines()) {
      const parsed = normalizeLine(raw, context.normalise);
      if (context.shard !== undefined && !inShard(idOf(parsed).id, context.shard)) continue;
      items.push(parsed);
      itemBytes += 'bytes' in raw ? raw.bytes.length : 0;
      read += 1;
      if (items.length >= INTAKE || itemBytes >= INTAKE_BYTES) {
        intake(context, items, planContext, tally);
        sinceGc += itemBytes;
        items = [];
        itemBytes = 0;
        if (sinceGc >= GC_BYTES) {
          context.gc?.();
          sinceGc = 0;
        }
      }
      if (context.limit !== undefined && read >= context.limit) break;
    }
    if (items.length > 0) intake(context, items, planContext, tally);
    context.store.database.transaction(() => {
      context.writer.finishCurrent();
      context.store.commit(context.run, [], context.counters);
    })();
  } catch (error) {
    context.writer.abandon();
    throw error;
  }
  return tally;
}

function intake(context: SubmitContext, items: readonly ParsedLine[], planContext: PlanContext, tally: SubmitTally): void {
  const { store, chunks, writer, counters } = context;
  const ids = items.map((item) => idOf(item).id);
  const stored = store.lookup(ids, context.refreshOlderThanMs !== undefined);
  const live = chunks.liveMembers(ids);
  const cachedAt = store.cachedResponses(cacheCandidates(items, stored, planContext));
  const plans = planBatch(items, stored, cachedAt, planContext);
  const cachedHashes = plans.flatMap((plan) => (plan.kind === 'cached' ? [plan.job.hash] : []));
  const cachedUsage = cachedHashes.length === 0 ? undefined : store.cachedUsage(cachedHashes);
  const outcomes: Outcome[] = [];
  const toSend: Job[] = [];
  counters.recordsRead += items.length;
  for (const plan of plans) {
    switch (plan.kind) {
      case 'duplicate':
        outcomes.push(plan);
        counters.failed += 1;
        break;
      case 'bad':
        outcomes.push({ kind: 'failed', id: plan.bad.id, line: plan.bad.line, endpoint: null, hash: null, code: plan.bad.code, message: plan.bad.message, httpStatus: null, retryable: false, attempts: 0, trimmed: false });
        counters.failed += 1;
        break;
      case 'skip':
        outcomes.push({ kind: 'seen', id: plan.id, line: plan.line });
        counters.skipped += 1;
        break;
      case 'cached':
        outcomes.push({ kind: 'done', id: plan.job.id, line: plan.job.line, endpoint: plan.job.endpoint, hash: plan.job.hash, response: null, cached: true, attempts: 0, trimmed: plan.job.trimmed, cost: context.cost.cacheHit(plan.job, cachedUsage?.get(plan.job.hash) ?? null) });
        counters.done += 1;
        counters.cacheHits += 1;
        break;
      case 'send': {
        const member = live.get(plan.job.id);
        if (member === undefined) toSend.push(plan.job);
        else if (member.runId === context.run && member.line !== plan.job.line) {
          outcomes.push({ kind: 'duplicate', id: plan.job.id, line: plan.job.line, firstLine: member.line });
          counters.failed += 1;
        } else tally.inFlight += 1;
        break;
      }
    }
  }
  // Lines of earlier intakes, in live chunks and in the one being written (their members are committed).
  const sharedLines = chunks.liveLines(toSend.map((job) => job.hash));
  // Lines this intake wrote, also into chunks it already finished.
  const written = new Map<string, { chunkId: number; fileLine: number }>();
  for (const job of toSend) {
    const shared = written.get(job.hash) ?? sharedLines.get(job.hash);
    const detail = job.endpoint === '/v1/embeddings' ? embeddingDetail(job, context.normalize) : null;
    const member = (chunkId: number, fileLine: number, reservedUsd: number): MemberRow => ({
      recordId: job.id, chunkId, customId: job.hash, line: job.line, fileLine, runId: context.run, trimmed: job.trimmed, tokens: job.estimatedTokens, detail, reservedUsd,
    });
    if (shared !== undefined) {
      // A copy rides on a line already reserved: it costs nothing more.
      writer.addMember(member(shared.chunkId, shared.fileLine, 0));
      tally.queued += 1;
      continue;
    }
    const body = job.endpoint === '/v1/embeddings' ? embeddingsRequestBody(job, context.embeddingEncoding) : job.body;
    const lineText = requestLineOf(context, job, body);
    if (typeof lineText !== 'string') {
      outcomes.push({ kind: 'failed', id: job.id, line: job.line, endpoint: job.endpoint, hash: job.hash, code: lineText.code, message: lineText.message, httpStatus: null, retryable: false, attempts: 0, trimmed: job.trimmed });
      counters.failed += 1;
      continue;
    }
    const reserved = reserve(context.budget, job);
    if (reserved === undefined) continue;
    const added = writer.add(lineText);
    if ('tooLarge' in added) {
      context.budget?.budget.settle(reserved, 0);
      const message = `the request is ${added.bytes} bytes, over --batch-max-bytes: it cannot go in a batch file`;
      outcomes.push({ kind: 'failed', id: job.id, line: job.line, endpoint: job.endpoint, hash: job.hash, code: 'request_too_large', message, httpStatus: null, retryable: false, attempts: 0, trimmed: job.trimmed });
      counters.failed += 1;
      continue;
    }
    written.set(job.hash, added);
    writer.addMember(member(added.chunkId, added.fileLine, reserved));
    tally.queued += 1;
  }
  store.database.transaction(() => {
    writer.flushMembers();
    store.commit(context.run, outcomes, counters);
  })();
  planContext.pendingIds.clear();
}

/** The job's reservation (0 without --max-cost), or undefined: it does not fit and stays pending. */
function reserve(budget: SubmitBudget | undefined, job: Job): number | undefined {
  if (budget === undefined) return 0;
  // Once one request did not fit, the rest of the pass is held without estimating them.
  const estimate = budget.budget.verdict === 'fit' ? budget.estimate(job, budget.fallbackMaxTokens) : 0;
  return budget.budget.admit(estimate) === 'fit' ? estimate : undefined;
}

/** The request's batch-file line, or why it cannot be one (a request the provider's format cannot carry). */
function requestLineOf(context: SubmitContext, job: Job, body: Record<string, unknown>): string | { code: string; message: string } {
  if (context.requestLine === undefined) return JSON.stringify({ custom_id: job.hash, method: 'POST', url: job.endpoint, body });
  try {
    return context.requestLine(job, body);
  } catch (error) {
    if (error instanceof ProviderError && error.scope === 'record') return { code: error.code, message: error.message };
    throw error;
  }
}
