import { describe, expect, it } from 'vitest';
import type { SpendSummary } from '../../../src/checkpoint/cost-queries.js';
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
      cost: null,
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

  it('reports the in-flight peak (issue 11): --json inflight_peak_bytes, null before any run learned one; a text line when known', () => {
    expect(statusJson(report)['inflight_peak_bytes']).toBeNull();
    expect(statusJson({ ...report, inflightPeakBytes: 26_214_396 })['inflight_peak_bytes']).toBe(26_214_396);
    expect(renderStatus(report)).not.toContain('in flight');
    expect(renderStatus({ ...report, inflightPeakBytes: 25 * 1024 * 1024 })).toContain('in flight   peak 25 MB of answers reserved at once (latest run)');
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

function spend(models: { model: string; requests: number; usd: number | null; cacheHits?: number; savedUsd?: number | null }[]): SpendSummary {
  const byModel = models.map((model) => ({ promptTokens: 10 * model.requests, completionTokens: 5 * model.requests, cacheHits: 0, savedUsd: null, ...model }));
  const priced = byModel.filter((model) => model.usd !== null);
  return {
    usd: byModel.some((model) => model.requests > 0) && priced.length === 0 ? null : priced.reduce((sum, model) => sum + (model.usd ?? 0), 0),
    savedUsd: byModel.reduce((sum, model) => sum + (model.savedUsd ?? 0), 0),
    byModel,
    unpricedModels: byModel.filter((model) => model.usd === null).map((model) => model.model),
  };
}

describe('cost', () => {
  const run12 = spend([{ model: 'gpt-4o', requests: 3, usd: 0.25 }, { model: 'claude-haiku-4-5', requests: 2, usd: 0.5 }]);
  const run11 = spend([{ model: 'llama3', requests: 4, usd: null }]);
  const total = spend([{ model: 'claude-haiku-4-5', requests: 2, usd: 0.5 }, { model: 'gpt-4o', requests: 3, usd: 0.25 }, { model: 'llama3', requests: 4, usd: null }]);
  const costed: StatusReport = { ...report, spend: { total, byRun: new Map([[12, run12], [11, run11]]) } };

  it('--json has the checkpoint total and each run\'s cost in the run summary\'s shape', () => {
    const json = statusJson(costed);
    expect(json['cost']).toEqual({
      usd: 0.75,
      by_model: {
        'claude-haiku-4-5': { requests: 2, prompt_tokens: 20, completion_tokens: 10, usd: 0.5 },
        'gpt-4o': { requests: 3, prompt_tokens: 30, completion_tokens: 15, usd: 0.25 },
        llama3: { requests: 4, prompt_tokens: 40, completion_tokens: 20, usd: null },
      },
      unpriced_models: ['llama3'],
      saved_usd: 0,
      cache_hits: 0,
    });
    const runs = json['runs'] as { cost: { usd: number | null } | null }[];
    expect(runs[0]?.cost?.usd).toBe(0.75);
    expect(runs[1]?.cost?.usd).toBeNull();
    // A run the checkpoint holds no cost rows for (older than the cost schema) has cost null.
    expect((statusJson({ ...costed, spend: { total, byRun: new Map() } })['runs'] as { cost: unknown }[])[0]?.cost).toBeNull();
  });

  it('the table has a cost line over all runs and a COST column per run', () => {
    const lines = renderStatus(costed, START + 300_000).split('\n');
    expect(lines[2]).toBe('cost        $0.75 (claude-haiku-4-5 $0.50, gpt-4o $0.25; unpriced: llama3) over all runs');
    const table = lines.filter((line) => line.startsWith('  '));
    expect(table[0]).toMatch(/ TRIPS +COST {2}HALT$/);
    expect(table[1]).toMatch(/ \$0\.75 {2}memory breaker$/);
    expect(table[2]).toMatch(/ unpriced$/);
  });

  it('shows no cost line or column when nothing was tracked', () => {
    const text = renderStatus({ ...report, spend: { total: spend([]), byRun: new Map() } }, START + 300_000);
    expect(text).not.toMatch(/cost|COST/);
  });
});
