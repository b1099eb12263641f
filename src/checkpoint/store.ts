// The writing side of the checkpoint: per-batch lookups, one transaction per committed batch, run bookkeeping.
// One handle over the pieces (record-lookup, outcome-writer, run-log) that share the database and its lock.
import type Database from 'better-sqlite3';
import { acquireLock, releaseLock } from './lock.js';
import { type LearnedState, readLearnedState, writeLearnedState } from './learned-state.js';
import { openCheckpoint } from './open.js';
import type { Outcome } from './outcome.js';
import { type CachedUsage, RecordLookup, type StoredRecord } from './record-lookup.js';
import { OutcomeWriter } from './outcome-writer.js';
import { type MemorySample, type RunCounters, type RunEnd, RunLog, type RunStart } from './run-log.js';

export type {
  DoneOutcome,
  DuplicateOutcome,
  FailedOutcome,
  Outcome,
  SeenOutcome,
  StoredAnswer,
  StoredUsage,
  VectorOutcome,
} from './outcome.js';
export type { CachedUsage, StoredRecord } from './record-lookup.js';
export type { RecordCost } from './cost-store.js';
export type { MemorySample, RunCounters, RunEnd, RunStart } from './run-log.js';

export class CheckpointStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly lookups: RecordLookup;
  private readonly writer: OutcomeWriter;
  private readonly runs: RunLog;
  private locked = false;

  private constructor(db: Database.Database, file: string) {
    this.db = db;
    this.file = file;
    this.lookups = new RecordLookup(db);
    this.writer = new OutcomeWriter(db);
    this.runs = new RunLog(db);
  }

  /** The connection, for batch mode's tables (src/checkpoint/batch-*.ts) written in the same transactions. */
  get database(): Database.Database {
    return this.db;
  }

  static open(file: string): CheckpointStore {
    return new CheckpointStore(openCheckpoint(file, { create: true }), file);
  }

  /** Takes the single-writer lock (exit 4 when a live run holds it) and marks runs left by dead processes as crashed. */
  lock(): void {
    acquireLock(this.db, this.file);
    this.locked = true;
    this.runs.markCrashedRuns();
  }

  startRun(details: RunStart): number {
    return this.runs.startRun(details);
  }

  finishRun(run: number, end: RunEnd): void {
    this.runs.finishRun(run, end);
  }

  /** See RecordLookup.lookup: what the checkpoint knows about these ids, chunked, never a set of every id. */
  lookup(ids: readonly string[], withResponseAt: boolean): Map<string, StoredRecord> {
    return this.lookups.lookup(ids, withResponseAt);
  }

  /** Fetch times of stored responses for these request hashes (the response cache). */
  cachedResponses(hashes: readonly string[]): Map<string, number> {
    return this.lookups.cachedResponses(hashes);
  }

  /** Stored token usage of these request hashes (what a cache hit saved). */
  cachedUsage(hashes: readonly string[]): Map<string, CachedUsage> {
    return this.lookups.cachedUsage(hashes);
  }

  /** Which of these vector keys are stored, with their dimension. */
  storedVectors(keys: readonly string[]): Map<string, number> {
    return this.lookups.storedVectors(keys);
  }

  storedDimension(model: string): number | undefined {
    return this.lookups.storedDimension(model);
  }

  /** Writes a batch of outcomes and the run's counters in one transaction. */
  commit(run: number, outcomes: readonly Outcome[], counters: RunCounters): void {
    this.writer.commit(run, outcomes, () => this.runs.writeCounters(run, counters));
  }

  /** What an earlier run learned about answer sizes and concurrency (meta 'learned'), if it can be read. */
  readLearned(): LearnedState | undefined {
    return readLearnedState(this.db);
  }

  writeLearned(state: Omit<LearnedState, 'version' | 'updatedAt'>): void {
    writeLearnedState(this.db, state);
  }

  recordSample(run: number, sample: MemorySample): void {
    this.runs.recordSample(run, sample);
  }

  recordEvent(run: number, kind: string, detail: Record<string, unknown>): void {
    this.runs.recordEvent(run, kind, detail);
  }

  /** Idempotent: releases the lock (if ours), checkpoints the WAL into the main file and closes. */
  close(): void {
    if (!this.db.open) return;
    try {
      if (this.locked) releaseLock(this.db);
    } finally {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // another reader may hold the WAL; SQLite checkpoints it later
      }
      this.db.close();
    }
  }
}
