import { describe, expect, it } from 'vitest';
import { BoundedSeries, RingBuffer } from '../../../src/monitor/bounded.js';

describe('RingBuffer', () => {
  it('keeps the newest items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    for (let value = 1; value <= 7; value++) ring.push(value);
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect(ring.last(2)).toEqual([6, 7]);
    expect(ring.last(10)).toEqual([5, 6, 7]);
    expect(ring.droppedCount).toBe(4);
    expect(ring.length).toBe(3);
  });
});

describe('BoundedSeries', () => {
  const peak = (a: { t: number; v: number }, b: { t: number; v: number }) => ({ t: a.t, v: Math.max(a.v, b.v) });

  it('keeps every point while they fit', () => {
    const series = new BoundedSeries(10, peak);
    for (let t = 0; t < 9; t++) series.push({ t, v: t });
    expect(series.toArray().map((point) => point.t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('never holds more than its capacity, keeps the peak, and still spans the whole series', () => {
    const series = new BoundedSeries(100, peak);
    for (let t = 0; t < 100_000; t++) series.push({ t, v: t === 54_321 ? 1e9 : t % 100 });
    const points = series.toArray();
    expect(points.length).toBeLessThanOrEqual(100);
    expect(points.length).toBeGreaterThanOrEqual(50);
    expect(series.count).toBe(100_000);
    expect(Math.max(...points.map((point) => point.v))).toBe(1e9);
    expect(points[0]?.t).toBe(0);
    expect(points[points.length - 1]?.t).toBeGreaterThan(98_000);
    // evenly spaced: every stored point stands for the same number of inputs
    const gaps = new Set(points.slice(1).map((point, index) => point.t - (points[index]?.t ?? 0)));
    expect(gaps.size).toBe(1);
  });

  it('refuses a capacity too small to halve', () => {
    expect(() => new BoundedSeries(1, peak)).toThrow(RangeError);
  });
});
