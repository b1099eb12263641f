// A checkpoint with runs, samples and events written straight into its tables, for the report tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCheckpoint } from '../../../src/checkpoint/open.js';

export const MB = 1024 * 1024;
export const T0 = 1_700_000_000_000;

export interface FixtureRun {
  readonly samples: number;
  /** Governor state of sample i. */
  readonly stateAt?: (index: number) => string;
  /** Sample indexes where the breaker tripped. */
  readonly trips?: readonly number[];
}

/** Writes the runs (one sample a second, RSS rising 1 MB a second, 10 records a second) and returns the file. */
export function writeCheckpoint(dir: string, runs: readonly FixtureRun[]): string {
  const file = path.join(dir, 'prompts.jsonl.memsafe.db');
  const db = openCheckpoint(file, { create: true });
  try {
    const insertRun = db.prepare(
      `INSERT INTO runs (id, started_at, ended_at, pid, mode, status, exit_code, options, done, failed, peak_rss, breaker_trips, halt_reason)
       VALUES (?, ?, ?, ?, 'cache', ?, ?, '{}', ?, 0, ?, ?, ?)`,
    );
    const insertSample = db.prepare('INSERT INTO samples (run_id, t, rss, heap_used, batch_size, concurrency, state, done) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const insertEvent = db.prepare('INSERT INTO events (run_id, t, kind, detail) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      runs.forEach((run, index) => {
        const id = index + 1;
        const start = T0 + index * 86_400_000;
        const trips = run.trips ?? [];
        insertRun.run(id, start, start + run.samples * 1000, 1000 + id, trips.length > 0 ? 'halted' : 'done', trips.length > 0 ? 75 : 0, run.samples * 10, (100 + run.samples) * MB, trips.length, trips.length > 0 ? 'memory breaker' : null);
        for (let sample = 0; sample < run.samples; sample++) {
          const state = run.stateAt?.(sample) ?? 'NORMAL';
          insertSample.run(id, start + sample * 1000, (100 + sample) * MB, (40 + sample / 2) * MB, state === 'NORMAL' ? 32 : 8, 4, state, sample * 10);
        }
        for (const trip of trips) insertEvent.run(id, start + trip * 1000, 'breaker_trip', JSON.stringify({ rss: (100 + trip) * MB, reason: 'rss over <limit> & rising' }));
        insertEvent.run(id, start + 500, 'state', JSON.stringify({ from: 'NORMAL', to: 'NORMAL' }));
      });
    })();
  } finally {
    db.close();
  }
  return file;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-report-'));
}
