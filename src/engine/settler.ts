// The settler: every way a record ends in this run becomes one outcome in the commit buffer, counted once.
import type { Logger } from 'pino';
import type { FailedOutcome, Outcome } from '../checkpoint/store.js';
import type { ProviderError } from '../errors.js';
import type { Job } from '../input/record.js';
import type { ProviderResponse } from '../provider/provider.js';
import type { UsageCounts } from '../cost/cost-ledger.js';
import type { CostTracker } from '../cost/cost-tracker.js';
import type { CommitBuffer } from './commit-buffer.js';
import type { SendResult } from './dispatch/request.js';
import { judgeFailure, type ServerIdentity } from './failure-verdict.js';
import type { IntakePlanner } from './intake-planner.js';
import type { Plan } from './planner.js';
import type { RunStats } from './run-stats.js';
import type { FatalStop } from './stops/fatal.js';

export interface SettlerParts {
  readonly buffer: Pick<CommitBuffer, 'add'>;
  readonly stats: RunStats;
  readonly planner: Pick<IntakePlanner, 'release'>;
  readonly fatal: Pick<FatalStop, 'fail'>;
  /** The server a job was sent to (its route's provider), for messages. */
  readonly serverOf: (job: Job) => ServerIdentity;
  /** Prices each answer for the summary and the record's cost columns; cache hits count as savings. */
  readonly cost: Pick<CostTracker, 'answered' | 'cacheHit'>;
  readonly logger: Logger;
  /** Scrubs known secrets out of messages before they are logged or stored. */
  readonly redact: (text: string) => string;
}

export class Settler {
  constructor(private readonly parts: SettlerParts) {}

  /** The plans that need no request: duplicates, bad lines, skips and cache hits. */
  apply(plan: Exclude<Plan, { kind: 'send' }>, cachedUsage?: ReadonlyMap<string, UsageCounts>): void {
    const { buffer, stats } = this.parts;
    switch (plan.kind) {
      case 'duplicate':
        stats.failed++;
        buffer.add({ kind: 'duplicate', id: plan.id, line: plan.line, firstLine: plan.firstLine });
        return;
      case 'bad':
        stats.failed++;
        buffer.add({
          kind: 'failed', id: plan.bad.id, line: plan.bad.line, endpoint: null, hash: null, code: plan.bad.code,
          message: plan.bad.message, httpStatus: null, retryable: false, attempts: 0, trimmed: false,
        });
        return;
      case 'skip':
        stats.skipped++;
        if (plan.status === 'failed') stats.failed++;
        buffer.add({ kind: 'seen', id: plan.id, line: plan.line });
        return;
      case 'cached':
        this.complete(plan.job, null, 0, true, cachedUsage?.get(plan.job.hash) ?? null);
        return;
    }
  }

  /**
   * `response: null`: the checkpoint holds (or is about to commit) the answer under the job's hash. A cache hit
   * costs nothing; `usage` (the stored answer's, when known) says what it saved.
   */
  complete(job: Job, response: ProviderResponse | null, attempts: number, cached: boolean, usage: UsageCounts | null = null): void {
    const { buffer, stats, cost } = this.parts;
    stats.done++;
    if (cached) stats.cacheHits++;
    const priced = cached ? cost.cacheHit(job, response?.usage ?? usage) : cost.answered(job, null, response?.usage ?? null);
    buffer.add({ kind: 'done', id: job.id, line: job.line, endpoint: job.endpoint, hash: job.hash, response, cached, attempts, trimmed: job.trimmed, cost: priced });
  }

  /** A chat record's request ended: done, failed, forgotten, or the run must stop. */
  settle(job: Job, result: SendResult): void {
    if (result.ok) return this.complete(job, result.response, result.attempts, false);
    const verdict = judgeFailure(result, this.parts.serverOf(job));
    switch (verdict.kind) {
      case 'forget':
        return this.forget(job);
      case 'stop-run':
        return this.stopRun(verdict.error, job);
      case 'fail-record':
        return this.fail(job, result.error, result.attempts, verdict.retryable);
    }
  }

  fail(job: Job, error: ProviderError, attempts: number, retryable: boolean): void {
    const { buffer, stats, logger, redact } = this.parts;
    stats.failed++;
    const outcome: FailedOutcome = {
      kind: 'failed', id: job.id, line: job.line, endpoint: job.endpoint, hash: job.hash, code: error.code,
      message: redact(error.message), httpStatus: error.status ?? null, retryable, attempts, trimmed: job.trimmed,
    };
    logger.warn({ id: job.id, line: job.line, code: error.code, attempts }, `record failed: ${outcome.message}`);
    buffer.add(outcome);
  }

  /** A job that will not finish in this run: it stays as it was in the checkpoint, for the next run. */
  forget(job: Job): void {
    this.parts.planner.release(job.id, job.line);
  }

  stopRun(error: unknown, job: Job): void {
    this.forget(job);
    this.parts.fatal.fail(error);
  }

  /** After a commit: the committed records' ids are no longer pending. */
  committed(outcomes: readonly Outcome[]): void {
    for (const outcome of outcomes) if (outcome.kind !== 'vector') this.parts.planner.release(outcome.id, outcome.line);
  }
}
