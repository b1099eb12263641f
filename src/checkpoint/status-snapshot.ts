// What `memsafe status` reads: record counts, stored vectors, the latest runs and what they cost, in one read transaction.
import type Database from 'better-sqlite3';
import { readCheckpointSpend, readRunSpend, type SpendSummary } from './cost-queries.js';
import { readLearnedState } from './learned-state.js';
import { count, hasTable } from './read-helpers.js';
import { countRuns, listRuns, type StoredRun } from './stored-runs.js';

export interface RecordCounts {
  readonly done: number;
  /** Every failed input line: failed records (bad lines included) plus duplicate-id lines. */
  readonly failed: number;
  /** Failed records that the next run will try again. */
  readonly retryable: number;
  /** Lines refused because their id was taken by an earlier line (part of `failed`). */
  readonly lineErrors: number;
}

export function countRecords(db: Database.Database): RecordCounts {
  const failedRecords = count(db, "SELECT count(*) FROM records WHERE status = 'failed'");
  const lineErrors = count(db, 'SELECT count(*) FROM line_errors');
  return {
    done: count(db, "SELECT count(*) FROM records WHERE status = 'done'"),
    failed: failedRecords + lineErrors,
    retryable: count(db, "SELECT count(*) FROM records WHERE status = 'failed' AND retryable = 1"),
    lineErrors,
  };
}

/** The embedding vectors stored once per distinct text (not per record). */
export interface VectorStats {
  readonly count: number;
  /** Every dimension among them, ascending; one entry unless models or `dimensions` changed between runs. */
  readonly dims: number[];
}

/** Zero and no dims for a checkpoint written before schema 2 (read-only opens do not migrate). */
export function readVectorStats(db: Database.Database): VectorStats {
  if (!hasTable(db, 'vectors')) return { count: 0, dims: [] };
  const total = count(db, 'SELECT count(*) FROM vectors');
  if (total === 0) return { count: 0, dims: [] };
  // Schema 2, not migrated yet, has no vector_models but still its index on vectors(model, dim).
  const source = hasTable(db, 'vector_models') ? 'vector_models' : 'vectors';
  return { count: total, dims: db.prepare(`SELECT DISTINCT dim FROM ${source} ORDER BY dim`).pluck().all() as number[] };
}

/** What the answers cost: every run on the checkpoint together, and each listed run (by run id). */
export interface CheckpointSpend {
  readonly total: SpendSummary;
  /** No entry for a run from before the cost schema. */
  readonly byRun: ReadonlyMap<number, SpendSummary>;
}

export interface StatusSnapshot {
  readonly counts: RecordCounts;
  readonly runsTotal: number;
  /** The latest runs, newest first. */
  readonly runs: StoredRun[];
  readonly vectors: VectorStats;
  /** The most in-flight answer bytes reserved at once by the latest run (its learned state), null before any. */
  readonly inflightPeakBytes: number | null;
  readonly spend: CheckpointSpend;
}

/** Counts and runs read in one transaction, so they agree even while a run is writing. */
export function readStatusSnapshot(db: Database.Database, runLimit: number): StatusSnapshot {
  return db.transaction(() => {
    const runs = listRuns(db, runLimit);
    return {
      counts: countRecords(db),
      runsTotal: countRuns(db),
      runs,
      vectors: readVectorStats(db),
      inflightPeakBytes: readLearnedState(db)?.inflightPeakBytes ?? null,
      spend: { total: readCheckpointSpend(db), byRun: readRunSpend(db, runs.map((run) => run.id)) },
    };
  })();
}
