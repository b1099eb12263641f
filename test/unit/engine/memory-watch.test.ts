import { describe, expect, it } from 'vitest';
import { Governor } from '../../../src/engine/governor.js';
import { MemoryWatch, readHeap } from '../../../src/engine/memory-watch.js';

const MB = 1024 * 1024;
const limits = { warnBytes: 100 * MB, maxBytes: 200 * MB, batchSize: 32, minBatchSize: 4, concurrency: 8 };

function watchWith(readings: number[], clock: { now: number }) {
  const governor = new Governor(limits);
  const seen: number[] = [];
  const samples: number[] = [];
  let next = 0;
  const read = () => readings[Math.min(next++, readings.length - 1)] ?? 0;
  const watch = new MemoryWatch(governor, {
    now: () => clock.now,
    readRss: read,
    read: () => ({ rss: read(), heapUsed: 1 }),
    minReadIntervalMs: 5,
    sampleEveryMs: 1000,
    onReading: (rss) => seen.push(rss),
    onSample: (sample) => samples.push(sample.t),
  });
  return { governor, watch, seen, samples };
}

describe('MemoryWatch', () => {
  it('reads at most once per minReadIntervalMs and reuses the state in between', () => {
    const clock = { now: 1000 };
    const { watch, seen } = watchWith([50 * MB, 250 * MB, 260 * MB], clock);
    expect(watch.check().state).toBe('NORMAL');
    clock.now += 4;
    expect(watch.check()).toEqual({ state: 'NORMAL', previous: 'NORMAL', changed: false });
    clock.now += 1;
    expect(watch.check()).toEqual({ state: 'BREAKER', previous: 'NORMAL', changed: true });
    expect(seen).toEqual([50 * MB, 250 * MB]);
  });

  it('a reused state is the governor\'s current one, so a breaker reset is seen at once', () => {
    const clock = { now: 0 };
    const { governor, watch } = watchWith([250 * MB], clock);
    expect(watch.check().state).toBe('BREAKER');
    governor.resetBreaker();
    clock.now += 1;
    expect(watch.check().state).toBe('CAUTIOUS');
  });

  it('hands out a full sample at most every sampleEveryMs', () => {
    const clock = { now: 0 };
    const { watch, samples } = watchWith([10 * MB], clock);
    for (let t = 0; t <= 2500; t += 100) {
      clock.now = t;
      watch.check();
    }
    expect(samples).toEqual([0, 1000, 2000]);
  });

  it('shows the heap at most every heapEveryMs, at the readings it takes', () => {
    const clock = { now: 0 };
    const seen: number[] = [];
    const watch = new MemoryWatch(new Governor(limits), {
      now: () => clock.now,
      readRss: () => 10 * MB,
      read: () => ({ rss: 10 * MB, heapUsed: 1 }),
      readHeap: () => ({ usedBytes: clock.now, newSpaceBytes: 16 * MB }),
      minReadIntervalMs: 5,
      heapEveryMs: 50,
      onHeap: (heap) => seen.push(heap.usedBytes),
    });
    for (let t = 0; t <= 160; t += 5) {
      clock.now = t;
      watch.check();
    }
    expect(seen).toEqual([0, 50, 100, 150]);
  });

  it('reuses a reading far below the warning line for farReadIntervalMs, and reads every minReadIntervalMs once near it', () => {
    const clock = { now: 0 };
    const readings = [10 * MB, 60 * MB, 250 * MB];
    const seen: number[] = [];
    let next = 0;
    const watch = new MemoryWatch(new Governor(limits), {
      now: () => clock.now,
      readRss: () => readings[Math.min(next++, readings.length - 1)] ?? 0,
      read: () => ({ rss: readings[Math.min(next++, readings.length - 1)] ?? 0, heapUsed: 1 }),
      minReadIntervalMs: 5,
      farBelowBytes: 50 * MB,
      farReadIntervalMs: 50,
      onReading: (rss) => seen.push(rss),
    });
    watch.check(); // 10 MB: far
    clock.now = 45;
    watch.check(); // reused
    clock.now = 50;
    watch.check(); // 60 MB: near
    clock.now = 55;
    expect(watch.check().state).toBe('BREAKER');
    // guards: a far reading delays the next one by at most farReadIntervalMs; near the lines reads stay 5 ms apart
    expect(seen).toEqual([10 * MB, 60 * MB, 250 * MB]);
  });

  it('reads the real heap by default: a used size and a young generation', () => {
    const heap = readHeap();
    expect(heap.usedBytes).toBeGreaterThan(0);
    expect(heap.newSpaceBytes).toBeGreaterThan(0);
  });
});
