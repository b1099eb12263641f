import { describe, expect, it } from 'vitest';
import { FloorTrend, leastSquares, trendOptionsFor, type TrendOptions } from '../../../src/monitor/trend.js';

const MB = 1024 * 1024;
const OPTIONS: TrendOptions = trendOptionsFor(1000); // 10 s floors over 30 floors, verdict after 6
const MAX = 2048 * MB;

/** Samples at 1 s for `seconds`, from `bytesAt(second)`. */
function feed(bytesAt: (second: number) => number, seconds: number, options = OPTIONS): FloorTrend {
  const trend = new FloorTrend(options);
  for (let second = 0; second < seconds; second++) trend.add(second * 1000, bytesAt(second));
  return trend;
}

/** A garbage-collected heap: a 40 MB saw-tooth on top of `base`. */
const sawtooth = (second: number) => ((second % 7) / 6) * 40 * MB;

describe('FloorTrend', () => {
  it('says nothing before it has enough floors', () => {
    const reading = feed((s) => 100 * MB + s * MB, 50).reading(50_000, MAX);
    expect(reading.floors).toBe(4);
    expect(reading.mbPerMinute).toBeUndefined();
    expect(reading.leakSuspected).toBe(false);
  });

  it.each([
    // name, bytes at second s, leak?
    ['a steady allocator under a GC saw-tooth', (s: number) => 100 * MB + s * 0.5 * MB + sawtooth(s), true],
    ['a slow steady leak (6 MB/min)', (s: number) => 300 * MB + s * 0.1 * MB, true],
    ['a flat process with GC peaks', (s: number) => 300 * MB + sawtooth(s), false],
    ['a flat process with noise of a few pages', (s: number) => 300 * MB + (s % 3) * 8192, false],
    ['one big allocation, then flat', (s: number) => (s < 120 ? 100 * MB : 400 * MB), false],
    ['memory given back', (s: number) => 800 * MB - s * MB, false],
    ['peaks that grow while the floor stays', (s: number) => 200 * MB + (s % 10 === 5 ? s * MB : 0), false],
  ])('%s: leak suspected = %s', (_name, bytesAt, leak) => {
    const reading = feed(bytesAt, 300).reading(300_000, MAX);
    expect(reading.leakSuspected).toBe(leak);
  });

  it('measures the slope of the floor in MB per minute, not of the peaks', () => {
    const reading = feed((s) => 100 * MB + s * 0.5 * MB + sawtooth(s), 300).reading(300_000, MAX);
    expect(reading.mbPerMinute).toBeCloseTo(30, 0);
  });

  it('forecasts the time until --max from the fitted floor', () => {
    // 60 MB/min from 100 MB: the floor is at ~400 MB after 300 s; 2048 MB is ~27.5 min further on
    const reading = feed((s) => 100 * MB + s * MB, 300).reading(300_000, MAX);
    expect(reading.forecastMs).toBeGreaterThan(26 * 60_000);
    expect(reading.forecastMs).toBeLessThan(29 * 60_000);
    expect(feed((s) => 100 * MB + s * MB, 300).reading(300_000, 200 * MB).forecastMs).toBe(0);
    expect(feed(() => 100 * MB, 300).reading(300_000, MAX).forecastMs).toBeUndefined();
  });

  it('keeps a fixed number of floors however long it runs', () => {
    const trend = feed((s) => 100 * MB + s * 1024, 100_000);
    expect(trend.reading(100_000_000, MAX).floors).toBe(OPTIONS.buckets);
  });

  it('scales with the sampling interval', () => {
    const fast = trendOptionsFor(50);
    const trend = new FloorTrend(fast);
    for (let t = 0; t < 5000; t += 50) trend.add(t, 50 * MB + t * 4 * 1024); // 4 MB/s
    const reading = trend.reading(5000, MAX);
    expect(reading.leakSuspected).toBe(true);
    expect(reading.mbPerMinute).toBeCloseTo(234, -1);
  });
});

describe('leastSquares', () => {
  it.each([
    [[[0, 1], [1, 3], [2, 5]], 2, 1],
    [[[0, 4], [1, 4], [2, 4]], 0, 4],
    [[[5, 1], [5, 3]], 0, 2],
  ] as const)('fits %j', (points, slope, intercept) => {
    const fit = leastSquares(points);
    expect(fit.slope).toBeCloseTo(slope);
    expect(fit.intercept).toBeCloseTo(intercept);
  });
});
