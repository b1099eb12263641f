// The planner stage: one checkpoint lookup per intake batch (and a response-cache lookup only for the records
// that are not skipped), then the pure planner decides each line. Holds the ids read but not yet committed.
import type { CheckpointStore } from '../checkpoint/store.js';
import type { ParsedLine } from '../input/record.js';
import { cacheCandidates, idOf, planBatch, type Plan, type PlanContext } from './planner.js';

export interface IntakePlannerOptions {
  readonly run: number;
  readonly retryFailed: boolean;
  readonly refreshOlderThanMs: number | undefined;
  readonly now?: () => number;
}

export class IntakePlanner {
  /** Ids this run has read but not yet committed, with their line: the in-memory half of duplicate detection. */
  private readonly pendingIds = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly store: Pick<CheckpointStore, 'lookup' | 'cachedResponses'>,
    private readonly options: IntakePlannerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  plan(batch: readonly ParsedLine[]): Plan[] {
    const { run, retryFailed, refreshOlderThanMs } = this.options;
    const stored = this.store.lookup(batch.map((item) => idOf(item).id), refreshOlderThanMs !== undefined);
    const context: PlanContext = { run, now: this.now(), retryFailed, refreshOlderThanMs, pendingIds: this.pendingIds };
    // Records that will be skipped need no cache lookup: on a resume that is almost every record.
    const cachedAt = this.store.cachedResponses(cacheCandidates(batch, stored, context));
    return planBatch(batch, stored, cachedAt, context);
  }

  /** The record at this line is committed, or will not finish in this run: its id is no longer pending. */
  release(id: string, line: number): void {
    if (this.pendingIds.get(id) === line) this.pendingIds.delete(id);
  }
}
