import { describe, expect, it } from 'vitest';
import {
  ProgressMeter,
  type ProgressSnapshot,
  type ProgressView,
  formatProgressLine,
  formatRate,
  progressLogFields,
} from '../../../src/ui/progress-view.js';

function snapshot(overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    bytesRead: 0,
    done: 0,
    failed: 0,
    cached: 0,
    skipped: 0,
    rssBytes: 200 * 1024 * 1024,
    batchSize: 64,
    concurrency: 8,
    state: 'NORMAL',
    ...overrides,
  };
}

function view(overrides: Partial<ProgressView> = {}): ProgressView {
  return { snapshot: snapshot({ bytesRead: 500, done: 12_345, failed: 3 }), totalBytes: 1000, rate: 850, percent: 50, etaMs: 120_000, ...overrides };
}

describe('ProgressMeter', () => {
  it('derives rate, percent and ETA from snapshots and the clock', () => {
    let now = 0;
    const meter = new ProgressMeter(10_000, () => now);
    now = 2000;
    meter.observe(snapshot({ bytesRead: 2000, done: 150, failed: 20, cached: 30, skipped: 1000 }));
    const seen = meter.view();
    expect(seen.rate).toBeCloseTo(100, 5); // (150 + 20 + 30) / 2 s; skipped records are not work done
    expect(seen.percent).toBeCloseTo(20, 5);
    expect(seen.etaMs).toBeCloseTo(8000, 5); // 8000 bytes left at 1000 bytes/s
  });

  it('has no percent or ETA without a total (stdin)', () => {
    let now = 0;
    const meter = new ProgressMeter(undefined, () => now);
    now = 1000;
    meter.observe(snapshot({ bytesRead: 5000, done: 10 }));
    expect(meter.view()).toMatchObject({ percent: undefined, etaMs: undefined, rate: 10 });
  });

  it('has no ETA before any byte is read, and caps percent at 100', () => {
    let now = 0;
    const meter = new ProgressMeter(100, () => now);
    expect(meter.view().etaMs).toBeUndefined();
    now = 1000;
    meter.observe(snapshot({ bytesRead: 150 }));
    expect(meter.view().percent).toBe(100);
  });
});

describe('formatProgressLine', () => {
  it('shows bar, percent, counts, rate, ETA, RSS, batch and state on a wide terminal', () => {
    const line = formatProgressLine(view({ snapshot: snapshot({ bytesRead: 500, done: 12_345, failed: 3, cached: 7, skipped: 9 }) }), 160);
    expect(line).toMatch(/^\[█{12}░{12}\] 50\.0%/);
    for (const part of ['12,345 done', '3 failed', '7 cached', '9 skipped', '850/s', 'ETA 2m', 'RSS 200 MB', 'batch 64 ×8', 'NORMAL']) {
      expect(line).toContain(part);
    }
  });

  it('drops the least useful parts to fit a narrow terminal, keeping done, failed and a breaker', () => {
    const narrow = formatProgressLine(view({ snapshot: snapshot({ done: 5, failed: 1, skipped: 2, state: 'BREAKER' }) }), 50);
    expect(narrow.length).toBeLessThanOrEqual(50);
    expect(narrow).toContain('5 done');
    expect(narrow).toContain('1 failed');
    expect(narrow).toContain('BREAKER');
    expect(narrow).not.toContain('skipped');
  });

  it('never exceeds the width', () => {
    for (const width of [0, 5, 20, 40, 79, 80, 109, 110, 200]) {
      expect(formatProgressLine(view(), width).length).toBeLessThanOrEqual(width);
    }
  });

  it('shows bytes read instead of percent and ETA for stdin', () => {
    const line = formatProgressLine(view({ totalBytes: undefined, percent: undefined, etaMs: undefined }), 160);
    expect(line).not.toContain('%');
    expect(line).not.toContain('ETA');
    expect(line).not.toContain('[');
    expect(line).toContain('read 500 B');
  });
});

describe('formatRate', () => {
  it.each([
    [0, '0.0/s'],
    [3.25, '3.3/s'],
    [42.4, '42/s'],
    [1234, '1.2k/s'],
    [25_600, '26k/s'],
  ])('%d -> %s', (value, expected) => {
    expect(formatRate(value)).toBe(expected);
  });
});

describe('progressLogFields', () => {
  it('has every field of the progress log line', () => {
    expect(progressLogFields(view({ rate: 850.04, percent: 49.96, etaMs: 1234.5 }))).toEqual({
      done: 12_345,
      failed: 3,
      cached: 0,
      skipped: 0,
      rate: 850,
      rss: 200 * 1024 * 1024,
      inflightBytes: 0,
      batchSize: 64,
      concurrency: 8,
      state: 'NORMAL',
      bytesRead: 500,
      totalBytes: 1000,
      percent: 50,
      etaMs: 1235,
      learnedRateRps: null,
      refusedShare: 0,
    });
  });

  it('shows the learned rate and the refused share once traffic control has learned anything (issue 12)', () => {
    const learned = view({ snapshot: snapshot({ bytesRead: 500, done: 10, failed: 0, learnedRateRps: 287.4, refusedShare: 0.021 }) });
    expect(formatProgressLine(learned, 200)).toContain('paced 287/s 2% refused');
    expect(progressLogFields(learned)).toMatchObject({ learnedRateRps: 287.4, refusedShare: 0.021 });
    expect(formatProgressLine(view(), 200)).not.toContain('paced');
  });

  it('uses null for what stdin cannot know', () => {
    expect(progressLogFields(view({ totalBytes: undefined, percent: undefined, etaMs: undefined }))).toMatchObject({
      totalBytes: null,
      percent: null,
      etaMs: null,
    });
  });
});
