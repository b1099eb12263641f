import { describe, expect, it } from 'vitest';
import { breakerVerdict, breakerWaits, Governor } from '../../../src/engine/governor.js';

const MB = 1024 * 1024;
const limits = { warnBytes: 100 * MB, maxBytes: 150 * MB, batchSize: 32, minBatchSize: 4, concurrency: 16 };

describe('Governor', () => {
  it.each([
    // readings (MB) -> final state, batch size, concurrency ceiling
    { readings: [50], state: 'NORMAL', batch: 32, ceiling: 16 },
    { readings: [99.9], state: 'NORMAL', batch: 32, ceiling: 16 },
    { readings: [100], state: 'CAUTIOUS', batch: 4, ceiling: 8 },
    { readings: [120, 90], state: 'CAUTIOUS', batch: 4, ceiling: 8 }, // hysteresis: 90 MB is above 85% of warn
    { readings: [120, 84], state: 'NORMAL', batch: 32, ceiling: 16 },
    { readings: [150], state: 'BREAKER', batch: 4, ceiling: 0 },
    { readings: [160, 10], state: 'BREAKER', batch: 4, ceiling: 0 }, // sticky until resetBreaker()
  ])('$readings MB -> $state', ({ readings, state, batch, ceiling }) => {
    const governor = new Governor(limits);
    for (const mb of readings) governor.observe(mb * MB);
    expect(governor.state).toBe(state);
    expect(governor.batchSize()).toBe(batch);
    expect(governor.concurrencyCeiling()).toBe(ceiling);
  });

  it('reports changes and the peak reading', () => {
    const governor = new Governor(limits);
    expect(governor.observe(10 * MB)).toEqual({ state: 'NORMAL', previous: 'NORMAL', changed: false });
    expect(governor.observe(110 * MB)).toEqual({ state: 'CAUTIOUS', previous: 'NORMAL', changed: true });
    governor.observe(60 * MB);
    expect(governor.peakRss).toBe(110 * MB);
  });

  it('resumes at the minimum batch size after a breaker reset', () => {
    const governor = new Governor(limits);
    governor.observe(200 * MB);
    governor.resetBreaker();
    expect(governor.state).toBe('CAUTIOUS');
    expect(governor.batchSize()).toBe(4);
    governor.observe(50 * MB);
    expect(governor.state).toBe('NORMAL');
  });

  it('never halves concurrency below one', () => {
    const governor = new Governor({ ...limits, concurrency: 1 });
    governor.observe(120 * MB);
    expect(governor.concurrencyCeiling()).toBe(1);
  });

  it('resumes after a breaker only below the warning line', () => {
    expect(breakerVerdict(99 * MB, 100 * MB)).toBe('resume');
    expect(breakerVerdict(100 * MB, 100 * MB)).toBe('wait');
  });
});

describe('breakerWaits', () => {
  it.each([
    [10_000, [250, 500, 1000, 2000, 4000, 2250]],
    [500, [250, 250]],
    [0, []],
  ])('%i ms -> %j', (total, waits) => {
    expect(breakerWaits(total)).toEqual(waits);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(total);
  });
});
