// What `memsafe report` draws from a checkpoint: the runs, and each run's samples and events, bounded in memory
// (samples are streamed through a BoundedSeries, events are capped) however long the runs were. The reads
// themselves live in checkpoint/ (stored-runs, run-timeline); this module only shapes them.
import type Database from 'better-sqlite3';
import { readCheckpointSpend, readRecordCosts, readRunSpend, type RecordCostTotals, type SpendSummary } from '../checkpoint/cost-queries.js';
import type { MemorySample } from '../checkpoint/run-log.js';
import { type RunEvent, runTimeline } from '../checkpoint/run-timeline.js';
import { countRuns, listRuns, type StoredRun } from '../checkpoint/stored-runs.js';
import { governorStateRank } from '../memory/governor-state.js';
import { BoundedSeries } from './bounded.js';

export interface RunData {
  readonly run: StoredRun;
  /** What the run's answers cost; absent for a run from before the cost schema. */
  readonly spend?: SpendSummary;
  readonly points: readonly MemorySample[];
  readonly sampleCount: number;
  /** Details cut to a readable length. */
  readonly events: readonly RunEvent[];
  readonly eventCount: number;
}

/** What the checkpoint's answers cost: spent over every run, and the done records per model as they stand. */
export interface ReportCost {
  readonly total: SpendSummary;
  readonly records: readonly RecordCostTotals[];
  /** Done records written before the cost schema (no model or cost stored). */
  readonly untracked: number;
}

export interface ReportData {
  readonly runs: readonly RunData[];
  readonly totalRuns: number;
  readonly cost?: ReportCost;
}

/** Points per run in the charts: enough for a smooth line, bounded for a run of a week. */
const POINTS_PER_RUN = 1500;
const EVENTS_PER_RUN = 500;
const DETAIL_CHARS = 300;

/** Neighbours merged: peaks of memory, the worse governor state, and the later counters. */
export function mergeRunPoints(earlier: MemorySample, later: MemorySample): MemorySample {
  return {
    t: earlier.t,
    rss: Math.max(earlier.rss, later.rss),
    heapUsed: Math.max(earlier.heapUsed, later.heapUsed),
    batchSize: later.batchSize,
    concurrency: later.concurrency,
    state: governorStateRank(later.state) > governorStateRank(earlier.state) ? later.state : earlier.state,
    done: later.done,
  };
}

/** The latest `maxRuns` runs, oldest first. */
export function readReportData(db: Database.Database, maxRuns: number): ReportData {
  const totalRuns = countRuns(db);
  const runs = listRuns(db, maxRuns).reverse();
  const timeline = runTimeline(db);
  const spend = readRunSpend(db, runs.map((run) => run.id));
  const records = readRecordCosts(db);
  return {
    totalRuns,
    cost: { total: readCheckpointSpend(db), records: records.models, untracked: records.untracked },
    runs: runs.map((run) => {
      const series = new BoundedSeries<MemorySample>(POINTS_PER_RUN, mergeRunPoints);
      for (const point of timeline.samples(run.id)) series.push(point);
      const runSpend = spend.get(run.id);
      return {
        run,
        ...(runSpend === undefined ? {} : { spend: runSpend }),
        points: series.toArray(),
        sampleCount: series.count,
        events: timeline.events(run.id, EVENTS_PER_RUN).map((event) => ({ ...event, detail: clip(event.detail) })),
        eventCount: timeline.eventCount(run.id),
      };
    }),
  };
}

function clip(detail: string): string {
  return detail.length > DETAIL_CHARS ? `${detail.slice(0, DETAIL_CHARS)}…` : detail;
}
