// Decides, for each line of an intake batch, what the run does with it, from what the checkpoint already holds.
// Pure: the engine does the lookups (response cache only for the cacheCandidates) and passes their answers in.
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
  const skip = skipStored(record, job, context);
  if (skip !== undefined) return { kind: 'skip', id, line, status: skip };
  if (fresh(cachedAt.get(job.hash) ?? null, context)) return { kind: 'cached', job };
  return { kind: 'send', job };
}

/** The request hashes whose cached answer planBatch may use: every job's but those skipped for their stored record. */
export function cacheCandidates(items: readonly ParsedLine[], stored: ReadonlyMap<string, StoredRecord>, context: PlanContext): string[] {
  const hashes: string[] = [];
  for (const item of items) {
    if (item.kind === 'job' && skipStored(stored.get(item.job.id), item.job, context) === undefined) hashes.push(item.job.hash);
  }
  return hashes;
}

/** Whether the record stored under this id already settles the job: done with the same request, or failed for good. */
function skipStored(record: StoredRecord | undefined, job: Job, context: PlanContext): 'done' | 'failed' | undefined {
  if (record === undefined || record.hash !== job.hash) return undefined;
  if (record.status === 'done') {
    // A done record's response is committed with it and never deleted: only its age can make it stale.
    return context.refreshOlderThanMs === undefined || fresh(record.responseAt, context) ? 'done' : undefined;
  }
  return record.retryable || context.retryFailed ? undefined : 'failed';
}

/** A stored answer may be reused unless --refresh-older-than finds it too old (or it has no fetch time). */
function fresh(fetchedAt: number | null, context: PlanContext): boolean {
  return fetchedAt !== null && (context.refreshOlderThanMs === undefined || context.now - fetchedAt <= context.refreshOlderThanMs);
}
