// The runs a checkpoint has recorded, as `status` lists them and `report` draws them.
import type Database from 'better-sqlite3';
import { count } from './read-helpers.js';

/** One row of the runs table, as stored (not the end-of-run summary a run prints: that is ui/summary.ts). */
export interface StoredRun {
  readonly id: number;
  readonly pid: number;
  readonly mode: string;
  readonly status: string;
  readonly exitCode: number | null;
  readonly input: string | null;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly recordsRead: number;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly requests: number;
  readonly cacheHits: number;
  readonly retries: number;
  readonly throttled: number;
  /** 429s that were rate refusals; 0 for runs before issue 12. */
  readonly rateLimited: number;
  readonly backpressure: number;
  /** Requests/s the run paced to at its last count; null while unbounded (or before issue 12). */
  readonly learnedRateRps: number | null;
  /** Wall time the whole server was held. */
  readonly heldMs: number;
  /** The run's recorded peak, else the highest memory sample (a killed run never wrote its peak). */
  readonly peakRssBytes: number | null;
  readonly breakerTrips: number;
  readonly breakerResets: number;
  readonly haltReason: string | null;
}

interface RunTableRow {
  id: number;
  pid: number;
  mode: string;
  status: string;
  exit_code: number | null;
  input: string | null;
  started_at: number;
  ended_at: number | null;
  records_read: number;
  done: number;
  failed: number;
  skipped: number;
  requests: number;
  cache_hits: number;
  retries: number;
  throttled: number;
  rate_limited: number;
  backpressure: number;
  learned_rate_rps: number | null;
  held_ms: number;
  peak_rss: number | null;
  breaker_trips: number;
  breaker_resets: number;
  halt_reason: string | null;
}

export function countRuns(db: Database.Database): number {
  return count(db, 'SELECT count(*) FROM runs');
}

/** The latest `limit` runs, newest first. */
export function listRuns(db: Database.Database, limit: number): StoredRun[] {
  // `status` reads a checkpoint without migrating it: one from before the traffic columns reads them as none.
  const traffic = hasTrafficColumns(db)
    ? 'rate_limited, backpressure, learned_rate_rps, held_ms'
    : '0 AS rate_limited, 0 AS backpressure, NULL AS learned_rate_rps, 0 AS held_ms';
  const rows = db
    .prepare(
      `SELECT id, pid, mode, status, exit_code, input, started_at, ended_at, records_read, done, failed, skipped,
              requests, cache_hits, retries, throttled, ${traffic}, breaker_trips, breaker_resets, halt_reason,
              COALESCE(peak_rss, (SELECT max(rss) FROM samples WHERE samples.run_id = runs.id)) AS peak_rss
         FROM runs ORDER BY id DESC LIMIT ?`,
    )
    .all(limit) as RunTableRow[];
  return rows.map((row) => ({
    id: row.id,
    pid: row.pid,
    mode: row.mode,
    status: row.status,
    exitCode: row.exit_code,
    input: row.input,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    recordsRead: row.records_read,
    done: row.done,
    failed: row.failed,
    skipped: row.skipped,
    requests: row.requests,
    cacheHits: row.cache_hits,
    retries: row.retries,
    throttled: row.throttled,
    rateLimited: row.rate_limited,
    backpressure: row.backpressure,
    learnedRateRps: row.learned_rate_rps,
    heldMs: row.held_ms,
    peakRssBytes: row.peak_rss,
    breakerTrips: row.breaker_trips,
    breakerResets: row.breaker_resets,
    haltReason: row.halt_reason,
  }));
}

function hasTrafficColumns(db: Database.Database): boolean {
  return (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('runs') as string[]).includes('held_ms');
}
