import { describe, expect, it } from 'vitest';
import { type RunSummary, formatSummary, nextSteps, shellQuote, summaryJson } from '../../../src/ui/summary.js';

const MB = 1024 * 1024;

function summary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    status: 'done',
    exitCode: 0,
    checkpoint: 'memsafe.db',
    input: 'prompts.jsonl',
    elapsedMs: 125_000,
    records: { read: 12_000, done: 11_950, failed: 0, skipped: 40, cacheHits: 10 },
    requests: 11_960,
    retries: 52,
    throttled: 12,
    rateLimited: 12,
    backpressure: 0,
    learnedRateRps: null,
    heldMs: 0,
    memory: { initialRss: 80 * MB, peakRss: 300 * MB, finalRss: 250 * MB, maxMemory: 1536 * MB, warnMemory: 1229 * MB, inflightPeak: 0 },
    breakerTrips: 0,
    breakerResets: 0,
    haltReason: null,
    hint: null,
    ...overrides,
  };
}

describe('formatSummary', () => {
  it('summarises a clean run in a few lines without next steps', () => {
    const text = formatSummary(summary());
    expect(text).toBe(
      [
        'memsafe: done after 2m (exit 0)',
        '  records    12,000 read · 11,950 done · 0 failed · 40 skipped · 10 cache hits',
        '  requests   11,960 (52 retries, 12 throttled)',
        '  memory     peak 300 MB of 1.5 GB max (warn at 1.2 GB) · start 80 MB · end 250 MB',
        '  input      prompts.jsonl',
        '  checkpoint memsafe.db',
        '',
      ].join('\n'),
    );
  });

  it('tells a halted run how to resume and says why it halted', () => {
    const text = formatSummary(
      summary({ status: 'halted', exitCode: 75, breakerTrips: 1, breakerResets: 0, haltReason: 'RSS 1.5 GB reached --max-memory' }),
    );
    expect(text).toContain('memsafe: halted after 2m (exit 75)');
    expect(text).toContain('breaker 1 trip, 0 resets');
    expect(text).toContain('  halted     RSS 1.5 GB reached --max-memory');
    expect(text).toMatch(/ {2}next {7}run the same command again to resume\n$/);
  });

  it('points at the export command when records failed, with the checkpoint quoted for the shell', () => {
    const text = formatSummary(
      summary({ status: 'finished with failures', exitCode: 3, checkpoint: '/data/my run.db', records: { read: 5, done: 3, failed: 2, skipped: 0, cacheHits: 0 } }),
    );
    expect(text).toContain("next       memsafe export --db '/data/my run.db' --errors to see the failed records");
    expect(text).not.toContain('resume');
  });

  it('stays within 10 lines when everything happens at once', () => {
    const text = formatSummary(
      summary({
        status: 'halted',
        exitCode: 75,
        breakerTrips: 3,
        breakerResets: 2,
        haltReason: 'memory',
        hint: 'lower --concurrency',
        records: { read: 5, done: 3, failed: 2, skipped: 0, cacheHits: 0 },
      }),
    );
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(6);
    expect(lines.length).toBeLessThanOrEqual(10);
  });
});

describe('nextSteps', () => {
  it.each<[string, Partial<RunSummary>, string[]]>([
    ['nothing after a clean run', {}, []],
    ['resume after SIGINT', { exitCode: 130 }, ['run the same command again to resume']],
    ['resume after SIGTERM', { exitCode: 143 }, ['run the same command again to resume']],
    ['the engine hint first, without repeating it', { exitCode: 75, hint: 'run the same command again to resume' }, ['run the same command again to resume']],
    ['the engine hint alone for a fatal error', { exitCode: 1, hint: 'check --api-key' }, ['check --api-key']],
  ])('%s', (_name, overrides, expected) => {
    expect(nextSteps(summary(overrides))).toEqual(expected);
  });
});

describe('summaryJson', () => {
  it('is one JSON document with snake_case keys', () => {
    const text = summaryJson(summary({ elapsedMs: 1234.4, haltReason: 'memory', hint: 'resume' }));
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(text)).toEqual({
      status: 'done',
      exit_code: 0,
      checkpoint: 'memsafe.db',
      input: 'prompts.jsonl',
      elapsed_ms: 1234,
      records: { read: 12_000, done: 11_950, failed: 0, skipped: 40, cache_hits: 10 },
      requests: 11_960,
      retries: 52,
      throttled: 12,
      rate_limited: 12,
      backpressure: 0,
      learned_rate_rps: null,
      held_ms: 0,
      memory: {
        initial_rss_bytes: 80 * MB,
        peak_rss_bytes: 300 * MB,
        final_rss_bytes: 250 * MB,
        max_memory_bytes: 1536 * MB,
        warn_memory_bytes: 1229 * MB,
        inflight_peak_bytes: 0,
      },
      breaker_trips: 0,
      breaker_resets: 0,
      halt_reason: 'memory',
      hint: 'resume',
    });
  });

  it('reports the learned rate and the time held (issue 12)', () => {
    const parsed = JSON.parse(summaryJson(summary({ learnedRateRps: 287.46, heldMs: 1500.4, backpressure: 3 }))) as Record<string, unknown>;
    expect(parsed).toMatchObject({ rate_limited: 12, learned_rate_rps: 287.5, held_ms: 1500, backpressure: 3 });
    expect(formatSummary(summary({ learnedRateRps: 287.46, heldMs: 0 }))).toContain('(52 retries, 12 throttled) · paced to 287/s');
  });

  it('keeps nulls for no halt reason and no hint', () => {
    expect(JSON.parse(summaryJson(summary()))).toMatchObject({ halt_reason: null, hint: null });
  });
});

describe('shellQuote', () => {
  it.each([
    ['memsafe.db', 'memsafe.db'],
    ['/data/run-1/cp.db', '/data/run-1/cp.db'],
    ['my run.db', "'my run.db'"],
    ["it's.db", `'it'\\''s.db'`],
  ])('%s -> %s', (input, expected) => {
    expect(shellQuote(input)).toBe(expected);
  });
});
