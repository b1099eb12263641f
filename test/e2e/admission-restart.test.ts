// Issue 11: "a fresh worker after a restart starts from what the killed one learned", not at the --concurrency
// ceiling, and `memsafe status` reports the in-flight peak the run kept in its learned state.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { query, writePrompts } from '../helpers/checkpoint.js';
import { runCli } from '../helpers/cli.js';
import { useTestWork } from '../helpers/test-work.js';

const CEILING = 32;
const work = useTestWork('admission-restart');

const pressure = (input: string, db: string, extra: string[] = []) => [
  'cache', '--input', input, '--db', db, '--provider', 'mock', '--mock-response-bytes', '2MB', '--warn-memory', '40MB', '--max-memory', '150MB',
  '--breaker-wait', '200ms', '--concurrency', String(CEILING), '--no-progress', '--log-level', 'warn', '--json', ...extra,
];

/** The concurrency of each run's first memory sample: where the run started. */
const firstConcurrency = (db: string) =>
  query<{ run_id: number; concurrency: number }>(db, 'SELECT run_id, concurrency FROM samples s WHERE t = (SELECT min(t) FROM samples WHERE run_id = s.run_id) ORDER BY run_id');

describe('a restart starts from what was learned', () => {
  it('after a breaker halt the next worker of --restarts starts below the ceiling, at what the checkpoint learned', async () => {
    // guards: issue 11, "every fresh worker ramped straight back to 64 requests in flight"
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.db');
    writePrompts(input, 400);
    const result = await runCli(pressure(input, db, ['--restarts', '1']));
    expect([0, 75], result.stderr).toContain(result.code);
    const runs = query<{ status: string }>(db, 'SELECT status FROM runs ORDER BY id');
    expect(runs[0]?.status).toBe('halted');
    const starts = firstConcurrency(db);
    expect(starts.length).toBe(2);
    expect(starts[0]?.concurrency).toBe(CEILING); // nothing learned yet: the first run starts at the ceiling
    for (const start of starts.slice(1)) expect(start.concurrency, JSON.stringify(starts)).toBeLessThan(CEILING);
  }, 60_000);

  it('memsafe status shows the in-flight peak (text and --json inflight_peak_bytes)', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.db');
    writePrompts(input, 20);
    const run = await runCli(pressure(input, db, ['--max-memory', '1GB']));
    expect(run.code, run.stderr).toBe(0);
    const summaryPeak = (JSON.parse(run.stdout) as { memory: { inflight_peak_bytes: number } }).memory.inflight_peak_bytes;
    expect(summaryPeak).toBeGreaterThan(0);
    const json = await runCli(['status', '--db', db, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { inflight_peak_bytes: number }).inflight_peak_bytes).toBe(summaryPeak);
    const text = await runCli(['status', '--db', db]);
    expect(text.stdout).toMatch(/in flight +peak \d/);
  }, 60_000);
});
