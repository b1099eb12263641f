// Each run's memory samples and events read back (for `memsafe report`): samples streamed, events capped.
import type Database from 'better-sqlite3';
import type { MemorySample } from './run-log.js';

export interface RunEvent {
  readonly t: number;
  readonly kind: string;
  /** The detail JSON as stored. */
  readonly detail: string;
}

export interface RunTimeline {
  /** The run's samples in time order, one row in memory at a time. */
  samples(run: number): IterableIterator<MemorySample>;
  /** The run's first `limit` events in time order. */
  events(run: number, limit: number): RunEvent[];
  eventCount(run: number): number;
}

/** Statements prepared once, for reading many runs. */
export function runTimeline(db: Database.Database): RunTimeline {
  const samples = db.prepare(
    'SELECT t, rss, heap_used AS heapUsed, batch_size AS batchSize, concurrency, state, done FROM samples WHERE run_id = ? ORDER BY t',
  );
  const events = db.prepare('SELECT t, kind, detail FROM events WHERE run_id = ? ORDER BY t LIMIT ?');
  const eventCount = db.prepare('SELECT count(*) FROM events WHERE run_id = ?').pluck();
  return {
    samples: (run) => samples.iterate(run) as IterableIterator<MemorySample>,
    events: (run, limit) => events.all(run, limit) as RunEvent[],
    eventCount: (run) => eventCount.get(run) as number,
  };
}
