// What `memsafe report` reads from a checkpoint: the runs, and each run's samples and events, bounded in memory
// (samples are streamed through a BoundedSeries, events are capped) however long the runs were.
import type Database from 'better-sqlite3';
import { BoundedSeries } from './bounded.js';

export interface RunRow {
  readonly id: number;
  readonly started_at: number;
  readonly ended_at: number | null;
  readonly pid: number;
  readonly mode: string;
  readonly status: string;
  readonly exit_code: number | null;
  readonly input: string | null;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly requests: number;
  readonly retries: number;
  readonly throttled: number;
  readonly peak_rss: number | null;
  readonly breaker_trips: number;
  readonly breaker_resets: number;
  readonly halt_reason: string | null;
}

export type GovernorState = 'NORMAL' | 'CAUTIOUS' | 'BREAKER' | string;

export interface RunPoint {
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly state: GovernorState;
  /** Records the run had completed by then. */
  readonly done: number;
}

export interface RunEvent {
  readonly t: number;
  readonly kind: string;
  /** The detail JSON as stored, cut to a readable length. */
  readonly detail: string;
}

export interface RunData {
  readonly run: RunRow;
  readonly points: readonly RunPoint[];
  readonly sampleCount: number;
  readonly events: readonly RunEvent[];
  readonly eventCount: number;
}

export interface ReportData {
  readonly runs: readonly RunData[];
  readonly totalRuns: number;
}

/** Points per run in the charts: enough for a smooth line, bounded for a run of a week. */
const POINTS_PER_RUN = 1500;
const EVENTS_PER_RUN = 500;
const DETAIL_CHARS = 300;

const STATE_RANK: Record<string, number> = { NORMAL: 0, CAUTIOUS: 1, BREAKER: 2 };

/** Neighbours merged: peaks of memory, the worse governor state, and the later counters. */
export function mergeRunPoints(earlier: RunPoint, later: RunPoint): RunPoint {
  return {
    t: earlier.t,
    rss: Math.max(earlier.rss, later.rss),
    heapUsed: Math.max(earlier.heapUsed, later.heapUsed),
    batchSize: later.batchSize,
    concurrency: later.concurrency,
    state: (STATE_RANK[later.state] ?? 0) > (STATE_RANK[earlier.state] ?? 0) ? later.state : earlier.state,
    done: later.done,
  };
}

/** The latest `maxRuns` runs, oldest first. */
export function readReportData(db: Database.Database, maxRuns: number): ReportData {
  const totalRuns = (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
  const runs = db
    .prepare(
      `SELECT id, started_at, ended_at, pid, mode, status, exit_code, input, done, failed, skipped, requests, retries,
              throttled, peak_rss, breaker_trips, breaker_resets, halt_reason
         FROM runs ORDER BY id DESC LIMIT ?`,
    )
    .all(maxRuns) as RunRow[];
  runs.reverse();
  const samples = db.prepare(
    'SELECT t, rss, heap_used AS heapUsed, batch_size AS batchSize, concurrency, state, done FROM samples WHERE run_id = ? ORDER BY t',
  );
  const events = db.prepare('SELECT t, kind, detail FROM events WHERE run_id = ? ORDER BY t LIMIT ?');
  const eventCount = db.prepare('SELECT count(*) AS n FROM events WHERE run_id = ?');
  return {
    totalRuns,
    runs: runs.map((run) => {
      const series = new BoundedSeries<RunPoint>(POINTS_PER_RUN, mergeRunPoints);
      for (const point of samples.iterate(run.id) as IterableIterator<RunPoint>) series.push(point);
      const stored = events.all(run.id, EVENTS_PER_RUN) as RunEvent[];
      return {
        run,
        points: series.toArray(),
        sampleCount: series.count,
        events: stored.map((event) => ({ ...event, detail: event.detail.length > DETAIL_CHARS ? `${event.detail.slice(0, DETAIL_CHARS)}…` : event.detail })),
        eventCount: (eventCount.get(run.id) as { n: number }).n,
      };
    }),
  };
}
