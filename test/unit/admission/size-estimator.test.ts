import { describe, expect, it } from 'vitest';
import { LogHistogram } from '../../../src/admission/log-histogram.js';
import { BYTES_PER_VALUE, HOLD_FACTOR, ITEM_OVERHEAD_BYTES, SizeEstimator } from '../../../src/admission/size-estimator.js';

const CHAT = '/v1/chat/completions';

describe('LogHistogram', () => {
  it.each<[string, number[], number, [number, number]]>([
    ['one value: within one bucket above it', [1000], 0.95, [1000, 1190]],
    ['p95 of 95 small and 5 big is small', [...Array<number>(95).fill(1000), ...Array<number>(5).fill(1_000_000)], 0.95, [1000, 1190]],
    ['p95 of 90 small and 10 big is big', [...Array<number>(90).fill(1000), ...Array<number>(10).fill(1_000_000)], 0.95, [1_000_000, 1_190_000]],
    ['values below the first edge', [1, 2, 3], 0.5, [64, 77]],
    ['huge values stay in the last bucket', [2 ** 50], 0.95, [2 ** 38, 2 ** 38 + 1]],
  ])('%s', (_name, values, q, [low, high]) => {
    const histogram = new LogHistogram();
    for (const value of values) histogram.observe(value);
    const estimate = histogram.quantile(q) as number;
    expect(estimate).toBeGreaterThanOrEqual(low);
    expect(estimate).toBeLessThanOrEqual(high);
  });

  it('forgets: after many small answers, old big ones no longer set p95', () => {
    const histogram = new LogHistogram();
    for (let i = 0; i < 100; i++) histogram.observe(5_000_000);
    for (let i = 0; i < 10_000; i++) histogram.observe(2000);
    expect(histogram.quantile(0.95)).toBeLessThan(3000);
    expect(histogram.samples).toBe(10_100);
  });

  it('round-trips a snapshot and ignores garbage in one', () => {
    const histogram = new LogHistogram();
    for (const value of [100, 5000, 5000, 70_000]) histogram.observe(value);
    const copy = LogHistogram.restore(JSON.parse(JSON.stringify(histogram.snapshot())));
    expect(copy.quantile(0.5)).toBe(histogram.quantile(0.5));
    expect(copy.quantile(0.99)).toBe(histogram.quantile(0.99));
    expect(copy.samples).toBe(4);
    for (const garbage of [null, 3, { buckets: 'x' }, { buckets: [[-1, 2], [1e9, 1], ['a', 1], [3, -1], [4, Number.NaN]] }]) {
      expect(LogHistogram.restore(garbage).quantile(0.5)).toBeUndefined();
    }
  });
});

describe('SizeEstimator', () => {
  it('answers the conservative default before an answer is seen, then what was learned', () => {
    const estimator = new SizeEstimator({ defaultBodyBytes: 1_000_000 });
    expect(estimator.bodyBytes(CHAT, 'm')).toBe(1_000_000);
    expect(estimator.heldBytes(CHAT, 'm')).toBe(1_000_000 * HOLD_FACTOR);
    estimator.observe(CHAT, 'm', 2000);
    // guards: one or two small answers must not open the gate wide yet
    expect(estimator.bodyBytes(CHAT, 'm')).toBe(1_000_000);
    estimator.observe(CHAT, 'm', 2000);
    estimator.observe(CHAT, 'm', 2000);
    expect(estimator.bodyBytes(CHAT, 'm')).toBeLessThan(2400);
    expect(estimator.bodyBytes(CHAT, 'other')).toBe(1_000_000);
  });

  it('a few answers above the default raise the estimate at once', () => {
    const estimator = new SizeEstimator({ defaultBodyBytes: 1000 });
    estimator.observe(CHAT, 'm', 6_000_000);
    expect(estimator.bodyBytes(CHAT, 'm')).toBeGreaterThanOrEqual(6_000_000);
  });

  it.each<[string, number | undefined, 'base64' | 'float', number]>([
    ['base64 with a known dimension', 3072, 'base64', 10 * (3072 * (16 / 3) + ITEM_OVERHEAD_BYTES) * HOLD_FACTOR],
    ['float with a known dimension', 1536, 'float', 10 * (1536 * BYTES_PER_VALUE.float + ITEM_OVERHEAD_BYTES) * HOLD_FACTOR],
    ['no dimension yet: the default per text', undefined, 'base64', 10 * 5000 * HOLD_FACTOR],
  ])('embeddings before any answer: %s', (_name, dimension, encoding, expected) => {
    const estimator = new SizeEstimator({ defaultBodyBytes: 5000 });
    expect(estimator.embeddingHeldBytes('e', 10, dimension, encoding)).toBe(Math.ceil(expected));
  });

  it('embeddings learn bytes per text from answers (a server that writes floats tersely gets smaller estimates)', () => {
    const estimator = new SizeEstimator({ defaultBodyBytes: 5000 });
    for (let i = 0; i < 5; i++) estimator.observe('/v1/embeddings', 'e', 64 * 3072 * 9.4, 64);
    const perText = estimator.embeddingBytesPerText('e', 3072, 'float');
    expect(perText).toBeGreaterThanOrEqual(3072 * 9.4);
    expect(perText).toBeLessThan(3072 * 9.4 * 1.2);
  });

  it('a fresh worker restored from a snapshot starts from what was learned', () => {
    const killed = new SizeEstimator({ defaultBodyBytes: 1000 });
    for (let i = 0; i < 10; i++) killed.observe(CHAT, 'm', 6_000_000);
    for (let i = 0; i < 10; i++) killed.observe('/v1/embeddings', 'e', 8_000_000, 512);
    const fresh = new SizeEstimator({ defaultBodyBytes: 1000 });
    fresh.restore(JSON.parse(JSON.stringify(killed.snapshot())));
    expect(fresh.bodyBytes(CHAT, 'm')).toBe(killed.bodyBytes(CHAT, 'm'));
    expect(fresh.embeddingBytesPerText('e', 3072, 'base64')).toBe(killed.embeddingBytesPerText('e', 3072, 'base64'));
    fresh.restore({ version: 2 });
    fresh.restore('nonsense');
    expect(fresh.bodyBytes(CHAT, 'm')).toBe(killed.bodyBytes(CHAT, 'm'));
  });

  it('remembers a bounded number of models', () => {
    const estimator = new SizeEstimator({ defaultBodyBytes: 1000 });
    for (let i = 0; i < 500; i++) estimator.observe(CHAT, `model-${i}`, 10);
    expect(Object.keys(estimator.snapshot().bodies).length).toBeLessThanOrEqual(64);
  });
});
