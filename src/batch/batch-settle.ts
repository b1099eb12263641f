// Applies batch verdicts to the checkpoint: each page of lines in one transaction that writes the records' outcomes
// and removes their membership, so a download cut short is simply downloaded again (settled lines find no members).
import type { BatchChunks, MemberRow } from '../checkpoint/batch-chunks.js';
import type { CheckpointStore, Outcome, RecordCost, RunCounters } from '../checkpoint/store.js';
import type { UsageCounts } from '../cost/cost-ledger.js';
import type { BatchBudget } from '../cost/batch-budget.js';
import type { CostTracker } from '../cost/cost-tracker.js';
import type { Endpoint } from '../input/record.js';
import { settleEmbeddings } from './batch-embeddings.js';
import { capRetries, judgeLine, type LineVerdict } from './settle-rules.js';

export interface SettleTally {
  done: number;
  cacheHits: number;
  failed: number;
  /** Settled as retryable: pending again, for a later batch. */
  retryable: number;
  /** Output lines matching no member (already settled by an earlier download). */
  unmatched: number;
}

export interface SettleContext {
  readonly store: CheckpointStore;
  readonly chunks: BatchChunks;
  readonly run: number;
  readonly counters: RunCounters;
  readonly tally: SettleTally;
  readonly normalize: boolean;
  readonly maxRetries: number;
  /** Prices each answer at batch prices; copies of a line (shared custom_id) count as cache hits. */
  readonly cost: Pick<CostTracker, 'answered' | 'cacheHit'>;
  /** --max-cost: each settled line's real cost replaces its reservation. */
  readonly budget?: BatchBudget | undefined;
}

const PAGE = 500;

export function newTally(): SettleTally {
  return { done: 0, cacheHits: 0, failed: 0, retryable: 0, unmatched: 0 };
}

/** One page of output- or error-file lines of a chunk's batch. */
export function settleLines(context: SettleContext, chunkId: number, endpoint: string, lines: readonly string[]): void {
  const db = context.store.database;
  db.transaction(() => {
    const outcomes: Outcome[] = [];
    const matched: { members: MemberRow[]; verdict: LineVerdict }[] = [];
    for (const text of lines) {
      const judged = judgeLine(text);
      if (judged === undefined) continue;
      const members = context.chunks.membersOfLine(chunkId, judged.customId);
      if (members.length === 0) context.tally.unmatched += 1;
      else matched.push({ members, verdict: judged.verdict });
    }
    // One attempts lookup for the page, not one per line.
    const attempts = context.chunks.attempts(matched.flatMap((entry) => entry.members.map((member) => member.recordId)));
    for (const entry of matched) settleMembers(context, endpoint, entry.members, () => entry.verdict, attempts, outcomes);
    context.store.commit(context.run, outcomes, context.counters);
  })();
}

/** Every member a finished batch left unanswered, with the verdict `verdictFor` gives each. */
export function settleRemaining(context: SettleContext, chunkId: number, endpoint: string, verdictFor: (member: MemberRow) => LineVerdict): void {
  const db = context.store.database;
  for (;;) {
    const page = db.prepare('SELECT record_id FROM batch_members WHERE chunk_id = ? ORDER BY file_line LIMIT ?').pluck().all(chunkId, PAGE) as string[];
    if (page.length === 0) return;
    db.transaction(() => {
      const outcomes: Outcome[] = [];
      const members = [...context.chunks.liveMembers(page).values()];
      // Members of one line settle together: the first writes the response the copies share.
      const byLine = new Map<string, MemberRow[]>();
      for (const member of members) byLine.set(member.customId, [...(byLine.get(member.customId) ?? []), member]);
      const attempts = context.chunks.attempts(page);
      for (const group of byLine.values()) settleMembers(context, endpoint, group, verdictFor, attempts, outcomes);
      context.store.commit(context.run, outcomes, context.counters);
    })();
  }
}

function settleMembers(
  context: SettleContext,
  endpoint: string,
  members: readonly MemberRow[],
  verdictFor: (member: MemberRow) => LineVerdict,
  attempts: ReadonlyMap<string, number>,
  outcomes: Outcome[],
): void {
  let responseWritten = false;
  const shared: Shared = { usage: null, costUsd: null };
  let reservedUsd = 0;
  for (const member of members) {
    reservedUsd += member.reservedUsd;
    let verdict = capRetries(verdictFor(member), attempts.get(member.recordId) ?? 0, context.maxRetries);
    if (verdict.kind === 'done') {
      const first = !responseWritten;
      const settled = doneOutcomes(context, endpoint, member, verdict, first, shared);
      if (settled === undefined) {
        verdict = { kind: 'failed', retryable: false, status: verdict.status, code: 'invalid_response', message: 'the batch answer could not be stored' };
      } else {
        outcomes.push(...settled);
        responseWritten = true;
        context.counters.done += 1;
        if (first) context.tally.done += 1;
        else {
          context.tally.cacheHits += 1;
          context.counters.cacheHits += 1;
        }
      }
    }
    if (verdict.kind === 'failed') {
      outcomes.push({
        kind: 'failed', id: member.recordId, line: member.line, endpoint: endpoint as Endpoint, hash: member.customId,
        code: verdict.code, message: verdict.message, httpStatus: verdict.status, retryable: verdict.retryable, attempts: 1, trimmed: member.trimmed,
      });
      if (verdict.retryable) context.tally.retryable += 1;
      else {
        context.tally.failed += 1;
        context.counters.failed += 1;
      }
    }
    context.chunks.removeMember(member.recordId);
  }
  // Failed lines are not billed; an answer without usage keeps what was reserved as its cost.
  context.budget?.settle(reservedUsd, responseWritten ? (shared.costUsd ?? reservedUsd) : 0);
}

/** What the line's answer used and cost: its copies are cache hits that saved as much. */
interface Shared {
  usage: UsageCounts | null;
  costUsd: number | null;
}

function doneOutcomes(
  context: SettleContext,
  endpoint: string,
  member: MemberRow,
  verdict: Extract<LineVerdict, { kind: 'done' }>,
  first: boolean,
  shared: Shared,
): Outcome[] | undefined {
  const base = { kind: 'done' as const, id: member.recordId, line: member.line, endpoint: endpoint as Endpoint, hash: member.customId, attempts: 1, trimmed: member.trimmed };
  const model = memberModel(member, verdict.body);
  if (!first) return [{ ...base, response: null, cached: true, cost: context.cost.cacheHit(model, shared.usage) }];
  if (member.detail !== null) {
    const settled = settleEmbeddings(member.detail, verdict.body, verdict.requestId, context.normalize, member.tokens);
    if (!settled.ok) return undefined;
    // An embedding has no completion: 0 tokens, so it is priced instead of counted as an answer without usage.
    shared.usage = { promptTokens: settled.response.usage?.promptTokens ?? null, completionTokens: 0 };
    return [...settled.vectors, { ...base, response: settled.response, cached: false, cost: priced(context, model, shared) }];
  }
  const usage = (verdict.body['usage'] ?? {}) as Record<string, unknown>;
  const n = (value: unknown): number | null => (typeof value === 'number' ? value : null);
  const response = {
    status: verdict.status,
    requestId: verdict.requestId,
    bodyText: verdict.bodyText,
    usage: { promptTokens: n(usage['prompt_tokens']), completionTokens: n(usage['completion_tokens']), totalTokens: n(usage['total_tokens']) },
    latencyMs: 0,
  };
  shared.usage = { promptTokens: response.usage.promptTokens, completionTokens: response.usage.completionTokens };
  return [{ ...base, response, cached: false, cost: priced(context, model, shared) }];
}

function priced(context: SettleContext, job: { body: Record<string, unknown> }, shared: Shared): RecordCost {
  const cost = context.cost.answered(job, null, shared.usage);
  shared.costUsd = cost.costUsd;
  return cost;
}

/**
 * The model a member was sent to, as a job-like body for the tracker: an embeddings member keeps it in its detail;
 * a chat line's is the answer's `model` (the chunk file with the request is gone by now).
 */
function memberModel(member: MemberRow, body: Readonly<Record<string, unknown>>): { body: Record<string, unknown> } {
  if (member.detail !== null) {
    const model = (JSON.parse(member.detail) as { model?: unknown }).model;
    if (typeof model === 'string') return { body: { model } };
  }
  return { body: { model: typeof body['model'] === 'string' ? body['model'] : '' } };
}
