import { describe, expect, it } from 'vitest';
import type { StoredRun } from '../../../src/checkpoint/stored-runs.js';
import { renderRunTable, renderStatus, statusJson, type StatusReport } from '../../../src/output/status-view.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);

function run(overrides: Partial<StoredRun>): StoredRun {
  return {
    id: 1,
    pid: 100,
    mode: 'cache',
    status: 'done',
    exitCode: 0,
    input: 'in.jsonl',
    startedAt: START,
    endedAt: START + 90_000,
    recordsRead: 10,
    done: 10,
    failed: 0,
    skipped: 0,
    requests: 10,
    cacheHits: 0,
    retries: 0,
    throttled: 0,
    rateLimited: 0,
    backpressure: 0,
    learnedRateRps: null,
    heldMs: 0,
    peakRssBytes: 200 * 1024 * 1024,
    breakerTrips: 0,
    breakerResets: 0,
    haltReason: null,
    ...overrides,
  };
}

const report: StatusReport = {
  checkpoint: { path: '/data/in.memsafe.db', sizeBytes: 3 * 1024 * 1024 },
  counts: { done: 12_345, failed: 7, retryable: 4, lineErrors: 2 },
  runsTotal: 12,
  runs: [
    run({ id: 12, status: 'halted', exitCode: 75, endedAt: START + 120_000, done: 1500, breakerTrips: 1, haltReason: 'memory breaker' }),
    run({ id: 11, status: 'running', exitCode: null, endedAt: null, peakRssBytes: null }),
  ],
};

describe('statusJson', () => {
  it('has the documented shape: counts, checkpoint, runs newest first with snake_case fields', () => {
    const json = statusJson(report);
    expect(json).toMatchObject({
      checkpoint: { path: '/data/in.memsafe.db', size_bytes: 3 * 1024 * 1024 },
      done: 12_345,
      failed: 7,
      retryable: 4,
      line_errors: 2,
      vectors: { count: 0, dims: [] },
      runs_total: 12,
    });
    const runs = json['runs'] as Record<string, unknown>[];
    expect(runs[0]).toEqual({
      id: 12,
      status: 'halted',
      exit_code: 75,
      started_at: '2025-01-02T03:04:05.000Z',
      ended_at: '2025-01-02T03:06:05.000Z',
      duration_ms: 120_000,
      pid: 100,
      mode: 'cache',
      input: 'in.jsonl',
      records_read: 10,
      done: 1500,
      failed: 0,
      skipped: 0,
      requests: 10,
      cache_hits: 0,
      retries: 0,
      throttled: 0,
      rate_limited: 0,
      backpressure: 0,
      learned_rate_rps: null,
      held_ms: 0,
      peak_rss_bytes: 200 * 1024 * 1024,
      breaker_trips: 1,
      halt_reason: 'memory breaker',
    });
    expect(runs[1]).toMatchObject({ status: 'running', exit_code: null, ended_at: null, duration_ms: null, peak_rss_bytes: null });
  });
});

describe('vectors', () => {
  it('--json always has a vectors object, empty for a chat checkpoint', () => {
    expect(statusJson({ ...report, vectors: { count: 0, dims: [] } })['vectors']).toEqual({ count: 0, dims: [] });
    expect(statusJson({ ...report, vectors: { count: 1_000_000, dims: [768, 1536] } })['vectors']).toEqual({ count: 1_000_000, dims: [768, 1536] });
  });

  it('the table shows a vectors line only when there are vectors', () => {
    expect(renderStatus({ ...report, vectors: { count: 0, dims: [] } })).not.toContain('vectors');
    const one = renderStatus({ ...report, vectors: { count: 20_000, dims: [1536] } }).split('\n');
    expect(one[2]).toBe('vectors     20,000 stored (one per distinct text), dimension 1536');
    expect(one[3]).toMatch(/^runs /);
    const two = renderStatus({ ...report, vectors: { count: 3, dims: [8, 16] } }).split('\n');
    expect(two[2]).toBe('vectors     3 stored (one per distinct text), dimensions 8, 16');
  });
});

describe('renderStatus', () => {
  const text = renderStatus(report, START + 300_000);
  const lines = text.split('\n');

  it('summarises the checkpoint and its records', () => {
    expect(lines[0]).toBe('checkpoint  /data/in.memsafe.db (3 MB)');
    expect(lines[1]).toBe('records     12,345 done, 7 failed (4 will be retried, 2 duplicate-id lines)');
    expect(lines[2]).toBe('runs        last 2 of 12, newest first');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('lines the run table up in columns, with sizes and durations made readable', () => {
    const table = lines.slice(4).filter((line) => line !== '');
    expect(table).toHaveLength(3);
    expect(table[0]).toMatch(/^ {2}RUN {2}STARTED +TOOK {2}STATUS +EXIT +DONE {2}FAILED {2}SKIPPED {2}RETRIES {2}429s {2}RATE\/S {2}HELD {2}PEAK RSS {2}TRIPS {2}HALT$/);
    const exitColumn = table[0]?.indexOf('EXIT') ?? -1;
    expect(table[1]).toMatch(/^ {3}12 {2}\d{4}-\d\d-\d\d \d\d:\d\d +2m {2}halted .* 75 .*1,500 .*200 MB .*memory breaker$/);
    // the running run's duration runs up to "now"; missing exit code and peak show as "-"
    expect(table[2]).toMatch(/ 5m {2}running .* - .* - /);
    expect(table[1]?.slice(exitColumn, exitColumn + 4)).toBe('  75');
  });

  it('says when there are no runs, and hides zero detail counts', () => {
    const empty = renderStatus({ ...report, counts: { done: 0, failed: 0, retryable: 0, lineErrors: 0 }, runsTotal: 0, runs: [] });
    expect(empty).toBe('checkpoint  /data/in.memsafe.db (3 MB)\nrecords     0 done, 0 failed\nruns        none yet\n');
  });
});

describe('renderRunTable', () => {
  it('right-aligns numbers to the widest cell', () => {
    const [header, first, second] = renderRunTable([run({ id: 9, done: 5 }), run({ id: 10, done: 123_456 })], START + 1);
    const doneEnd = (header?.indexOf('DONE') ?? 0) + 'DONE'.length;
    expect(first?.slice(0, doneEnd).endsWith(' 5')).toBe(true);
    expect(second?.slice(0, doneEnd).endsWith('123,456')).toBe(true);
  });
});
