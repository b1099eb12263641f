// The runs table and each run's memory samples and events: one row per run, its counters kept current.
import type Database from 'better-sqlite3';
import { processAlive } from './lock.js';

export interface RunCounters {
  recordsRead: number;
  done: number;
  failed: number;
  skipped: number;
  requests: number;
  cacheHits: number;
  retries: number;
  throttled: number;
  /** 429s that were rate refusals (traffic control). */
  rateLimited: number;
  /** 503 busy / 529 overloaded answers. */
  backpressure: number;
  /** Requests/s traffic control paced to at the last count; null while unbounded. */
  learnedRateRps: number | null;
  /** Wall time the whole server was held. */
  heldMs: number;
  peakRss: number;
  breakerTrips: number;
  breakerResets: number;
}

/** One memory sample of a run, as written each second and as `report` reads it back. */
export interface MemorySample {
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly batchSize: number;
  readonly concurrency: number;
  /** The governor's state then (NORMAL, CAUTIOUS, BREAKER); read back as any string an older version wrote. */
  readonly state: string;
  /** Records the run had completed by then. */
  readonly done: number;
}

export interface RunStart {
  readonly mode: string;
  readonly input: string;
  readonly options: Record<string, unknown>;
  readonly initialRss: number;
}

export interface RunEnd {
  readonly status: string;
  readonly exitCode: number;
  readonly counters: RunCounters;
  readonly finalRss: number;
  readonly haltReason: string | null;
}

export class RunLog {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(db: Database.Database) {
    this.db = db;
    this.statements = {
      // Bound by writeCounters, in this column order.
      updateRun: db.prepare(`UPDATE runs SET records_read = ?, done = ?, failed = ?, skipped = ?, requests = ?,
        cache_hits = ?, retries = ?, throttled = ?, peak_rss = ?, breaker_trips = ?, breaker_resets = ?,
        rate_limited = ?, backpressure = ?, learned_rate_rps = ?, held_ms = ? WHERE id = ?`),
      insertSample: db.prepare(`INSERT INTO samples (run_id, t, rss, heap_used, batch_size, concurrency, state, done)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      insertEvent: db.prepare('INSERT INTO events (run_id, t, kind, detail) VALUES (?, ?, ?, ?)'),
    };
  }

  /** Runs still marked running whose process is gone (or is this one, reusing a pid) ended by crashing. */
  markCrashedRuns(): void {
    const running = this.db.prepare("SELECT id, pid FROM runs WHERE status = 'running'").all() as { id: number; pid: number }[];
    const crashed = this.db.prepare("UPDATE runs SET status = 'crashed' WHERE id = ?");
    for (const run of running) if (run.pid === process.pid || !processAlive(run.pid)) crashed.run(run.id);
  }

  startRun(details: RunStart): number {
    const result = this.db
      .prepare(`INSERT INTO runs (started_at, pid, mode, status, options, input, initial_rss, peak_rss)
        VALUES (?, ?, ?, 'running', ?, ?, ?, ?)`)
      .run(Date.now(), process.pid, details.mode, JSON.stringify(details.options), details.input, details.initialRss, details.initialRss);
    return Number(result.lastInsertRowid);
  }

  finishRun(run: number, end: RunEnd): void {
    this.db.transaction(() => {
      this.writeCounters(run, end.counters);
      this.db
        .prepare('UPDATE runs SET ended_at = ?, status = ?, exit_code = ?, final_rss = ?, halt_reason = ? WHERE id = ?')
        .run(Date.now(), end.status, end.exitCode, end.finalRss, end.haltReason, run);
    })();
  }

  /** Inside the caller's transaction when there is one (a commit writes its batch and the counters together). */
  writeCounters(run: number, c: RunCounters): void {
    this.statements.updateRun.run(
      c.recordsRead, c.done, c.failed, c.skipped, c.requests, c.cacheHits, c.retries, c.throttled, c.peakRss, c.breakerTrips, c.breakerResets,
      c.rateLimited, c.backpressure, c.learnedRateRps, Math.round(c.heldMs), run,
    );
  }

  recordSample(run: number, sample: MemorySample): void {
    this.statements.insertSample.run(run, sample.t, sample.rss, sample.heapUsed, sample.batchSize, sample.concurrency, sample.state, sample.done);
  }

  recordEvent(run: number, kind: string, detail: Record<string, unknown>): void {
    this.statements.insertEvent.run(run, Date.now(), kind, JSON.stringify(detail));
  }
}
