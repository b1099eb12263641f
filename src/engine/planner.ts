// Decides, for each line of an intake batch, what the run does with it, from what the checkpoint already holds.
// Pure: the engine does the lookups and passes their answers in.
import type { BadLine, Job, ParsedLine } from '../input/record.js';
import type { StoredRecord } from '../checkpoint/store.js';

export type Plan =
  | { readonly kind: 'duplicate'; readonly id: string; readonly line: number; readonly firstLine: number }
  | { readonly kind: 'bad'; readonly bad: BadLine }
  | { readonly kind: 'skip'; readonly id: string; readonly line: number; readonly status: 'done' | 'failed' }
  | { readonly kind: 'cached'; readonly job: Job }
  | { readonly kind: 'send'; readonly job: Job };

export interface PlanContext {
  readonly run: number;
  readonly now: number;
  readonly retryFailed: boolean;
  readonly refreshOlderThanMs: number | undefined;
  /** Ids this run has read but not yet committed, with their line: the in-memory half of duplicate detection. */
  readonly pendingIds: Map<string, number>;
}

export function idOf(item: ParsedLine): { id: string; line: number } {
  return item.kind === 'job' ? { id: item.job.id, line: item.job.line } : { id: item.bad.id, line: item.bad.line };
}

export function planBatch(
  items: readonly ParsedLine[],
  stored: ReadonlyMap<string, StoredRecord>,
  cachedAt: ReadonlyMap<string, number>,
  context: PlanContext,
): Plan[] {
  return items.map((item) => planOne(item, stored, cachedAt, context));
}

function planOne(
  item: ParsedLine,
  stored: ReadonlyMap<string, StoredRecord>,
  cachedAt: ReadonlyMap<string, number>,
  context: PlanContext,
): Plan {
  const { id, line } = idOf(item);
  const pendingLine = context.pendingIds.get(id);
  const record = stored.get(id);
  if (pendingLine !== undefined && pendingLine !== line) return { kind: 'duplicate', id, line, firstLine: pendingLine };
  // Seen earlier in this same run at another line, and already committed.
  if (record !== undefined && record.seenRun === context.run && record.line !== line) {
    return { kind: 'duplicate', id, line, firstLine: record.line };
  }
  context.pendingIds.set(id, line);
  if (item.kind === 'bad') return { kind: 'bad', bad: item.bad };
  const job = item.job;
  const fresh = (fetchedAt: number | null) =>
    fetchedAt !== null && (context.refreshOlderThanMs === undefined || context.now - fetchedAt <= context.refreshOlderThanMs);
  if (record !== undefined && record.hash === job.hash) {
    if (record.status === 'done' && fresh(record.responseAt)) return { kind: 'skip', id, line, status: 'done' };
    if (record.status === 'failed' && !record.retryable && !context.retryFailed) return { kind: 'skip', id, line, status: 'failed' };
  }
  if (fresh(cachedAt.get(job.hash) ?? null)) return { kind: 'cached', job };
  return { kind: 'send', job };
}
