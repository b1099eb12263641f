import { describe, expect, it } from 'vitest';
import { SlidingRate } from '../../../src/ui/rate.js';

type Step = readonly [at: number, total: number];

describe('SlidingRate', () => {
  it.each<[string, readonly Step[], number, number]>([
    ['no observation', [], 1000, 0],
    ['a single observation at the same instant', [[0, 0]], 0, 0],
    ['steady 100/s over the first seconds', [[0, 0], [1000, 100], [2000, 200]], 2000, 100],
    ['steady 50/s well past the window', Array.from({ length: 61 }, (_, i) => [i * 500, i * 25] as const), 30_000, 50],
    ['a stall: the rate falls while nothing is observed', [[0, 0], [10_000, 1000]], 15_000, 66.7],
    ['a stall: a whole window without progress is 0', [[0, 0], [10_000, 1000]], 20_000, 0],
    ['the old burst leaves the window', [[0, 0], [1000, 10_000], ...Array.from({ length: 30 }, (_, i) => [2000 + i * 1000, 10_000 + (i + 1) * 10] as const)], 31_000, 10],
  ])('%s', (_name, steps, at, expected) => {
    const rate = new SlidingRate({ windowMs: 10_000 });
    for (const [time, total] of steps) rate.observe(total, time);
    expect(rate.perSecond(at)).toBeCloseTo(expected, 0);
  });

  it('counts observations inside one resolution step towards the latest total', () => {
    const rate = new SlidingRate({ windowMs: 10_000, slots: 10 });
    rate.observe(0, 0);
    for (let at = 1; at <= 999; at += 1) rate.observe(at, at);
    expect(rate.perSecond(1000)).toBeCloseTo(999, 0);
  });

  it('keeps fixed memory however many observations it gets', () => {
    const rate = new SlidingRate({ windowMs: 1000, slots: 4 });
    for (let at = 0; at < 100_000; at += 10) rate.observe(at, at);
    // 1 record per ms over any window
    expect(rate.perSecond(99_990)).toBeCloseTo(1000, 0);
    expect((rate as unknown as { times: Float64Array }).times.length).toBe(5);
  });
});
