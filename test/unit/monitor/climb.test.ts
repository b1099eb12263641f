// The short-term half of the trend: a clear climb in the last few samples, and no climb in noise or GC swings.
import { describe, expect, it } from 'vitest';
import { ClimbDetector, largestFall, theilSen } from '../../../src/monitor/climb.js';
import { MemoryTrend, trendOptionsFor } from '../../../src/monitor/trend.js';
import { formatTrend } from '../../../src/monitor/summary.js';

const MB = 1024 * 1024;

/** A deterministic jitter in [-1, 1): the same "noise" on every run. */
function jitter(seed: number): (index: number) => number {
  return (index) => {
    const x = Math.sin((index + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    return (x - Math.floor(x)) * 2 - 1;
  };
}
const noise = jitter(1);

/** The samples (index 0..) at which the detector says `climbing`, fed at `intervalMs`. */
function climbingAt(bytesAt: (index: number) => number, count: number, maxBytes: number, intervalMs = 1000): number[] {
  const detector = new ClimbDetector();
  const at: number[] = [];
  for (let index = 0; index < count; index++) {
    const t = index * intervalMs;
    detector.add(t, bytesAt(index));
    if (detector.reading(t, maxBytes).climbing) at.push(index);
  }
  return at;
}

const sawtooth = (index: number) => ((index % 7) / 6) * 40 * MB;

describe('ClimbDetector', () => {
  it('sees a steady 32 MB/s climb within four samples and forecasts --max before it is reached', () => {
    // guards: issue 10 defect 7, "a process climbing a steady 32 MB/s reached --max after 9 s and 36 samples,
    // and the trend still said 'not enough samples yet'" (250 ms samples, 8 MB apart)
    const maxBytes = 50 * MB + 36 * 8 * MB;
    const trend = new MemoryTrend(trendOptionsFor(250));
    const readings = [];
    for (let index = 0; index < 36; index++) {
      trend.add(index * 250, 50 * MB + index * 8 * MB + noise(index) * 256 * 1024);
      readings.push(trend.reading(index * 250, maxBytes));
    }
    const first = readings.findIndex((reading) => reading.climbing);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThanOrEqual(4);
    expect(readings.slice(first).every((reading) => reading.climbing)).toBe(true);
    const at = readings[first] as (typeof readings)[number];
    expect(at.mbPerMinute).toBeGreaterThan(1800); // 32 MB/s is 1920 MB/min
    expect(at.mbPerMinute).toBeLessThan(2050);
    // --max is 36 samples (9 s) from the start: the forecast at sample `first` is the time still left
    const leftMs = (36 - first) * 250;
    expect(at.forecastMs).toBeGreaterThan(leftMs * 0.85);
    expect(at.forecastMs).toBeLessThan(leftMs * 1.15);
    expect(formatTrend(at)).toMatch(/^\+19\d\d\.\d MB\/min \(climbing\), --max in ~\d+s$/);
  });

  it.each([
    // name, bytes at sample i, samples, climbing expected from sample (undefined: never)
    ['a flat process with noise of ±2 MB', (i: number) => 300 * MB + noise(i) * 2 * MB, 300, undefined],
    ['a flat process with noise of a few pages', (i: number) => 300 * MB + (i % 3) * 8192, 300, undefined],
    ['memory given back', (i: number) => 800 * MB - i * MB, 300, undefined],
    ['one big allocation, then flat', (i: number) => (i < 30 ? 100 * MB : 400 * MB), 300, undefined],
    ['a flat stretch, then a climb of 10 MB a sample', (i: number) => 200 * MB + Math.max(0, i - 30) * 10 * MB + noise(i) * MB, 60, 34],
    ['a slow climb of 1.5 MB a sample', (i: number) => 200 * MB + i * 1.5 * MB, 60, 3],
  ])('%s: climbing from sample %s', (_name, bytesAt, count, from) => {
    const at = climbingAt(bytesAt, count, 4096 * MB);
    if (from === undefined) expect(at).toEqual([]);
    else {
      expect(at[0]).toBeLessThanOrEqual(from);
      expect(at[0]).toBeGreaterThanOrEqual(Math.max(3, from - 4));
      expect(at.at(-1)).toBe(count - 1);
    }
  });

  it('does not call a garbage-collected saw-tooth a climb once it has seen one collection', () => {
    // The first ramp, before any collection, is a climb as far as anyone can tell; every later ramp is a swing.
    const at = climbingAt((i) => 300 * MB + sawtooth(i) + noise(i) * 512 * 1024, 300, 4096 * MB);
    expect(at.filter((index) => index >= 7)).toEqual([]);
  });

  it('stops calling a climb within a few samples of a plateau', () => {
    const at = climbingAt((i) => 100 * MB + Math.min(i, 20) * 8 * MB, 40, 4096 * MB);
    expect(at[0]).toBe(3);
    expect(at.at(-1)).toBeLessThanOrEqual(24);
  });

  it('forecasts 0 once the climb has passed --max', () => {
    const detector = new ClimbDetector();
    for (let index = 0; index < 6; index++) detector.add(index * 1000, 100 * MB + index * 20 * MB);
    expect(detector.reading(5000, 150 * MB)).toMatchObject({ climbing: true, forecastMs: 0 });
    expect(formatTrend({ floors: 0, samples: 6, leakSuspected: false, climbing: true, mbPerMinute: 1200, forecastMs: 0 })).toBe('+1200.0 MB/min (climbing), at --max');
  });
});

describe('theilSen and largestFall', () => {
  it('fits a line that one outlier cannot tilt', () => {
    const points = [0, 1, 2, 3, 4, 5].map((t) => ({ t, bytes: t === 3 ? 1000 : 10 + 2 * t }));
    expect(theilSen(points)).toEqual({ slope: 2, intercept: 10 });
  });

  it.each([
    [[1, 2, 3, 4], 0],
    [[5, 9, 4, 8, 7], 5],
    [[10, 2, 12, 11], 8],
  ])('the largest fall of %j is %d', (values, fall) => {
    expect(largestFall(values.map((bytes, t) => ({ t, bytes })))).toBe(fall);
  });
});
