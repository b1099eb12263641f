import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryControl } from '../../../src/engine/memory-control.js';
import { RoutePools } from '../../../src/engine/route-pools.js';
import type { Provider } from '../../../src/provider/provider.js';
import { implicitRoute } from '../../../src/routing/route.js';

const MB = 1024 * 1024;

function control(readings: number[]) {
  const provider: Provider = { name: 'mock', baseUrl: 'http://127.0.0.1:1/v1', embeddingEncoding: 'base64', send: () => Promise.reject(new Error('unused')), close: async () => undefined };
  const route = implicitRoute({ provider: 'mock', baseUrl: undefined, apiKey: undefined, concurrency: 8, rpm: undefined, tpm: undefined, headers: [] });
  const pools = new RoutePools({
    targets: [{ route, provider }],
    maxRetries: 0,
    counters: { requests: 0, retries: 0, throttled: 0, rateLimited: 0, backpressure: 0, learnedRateRps: null, heldMs: 0, refusedShare: 0, waitingRetries: 0 },
    requests: new AbortController().signal,
    stopping: new AbortController().signal,
    startingConcurrency: (ceiling) => ceiling,
    innerLayers: () => [],
  });
  const concurrency = pools.primary.concurrency;
  const events: string[] = [];
  let current = readings[0] ?? 0;
  let clock = 0;
  const memory = new MemoryControl({
    limits: { warnBytes: 100 * MB, maxBytes: 150 * MB, batchSize: 32, minBatchSize: 4, concurrency: 8 },
    pools,
    logger: pino({ level: 'silent' }),
    gc: undefined,
    setYoungGenerationGrowth: undefined,
    event: (kind) => events.push(kind),
    onSample: () => undefined,
    readRss: () => current,
    // Each reading 10 ms after the last: the watch reuses a reading taken within 5 ms.
    now: () => (clock += 10),
  });
  return { memory, concurrency, events, set: (rss: number) => (current = rss) };
}

describe('MemoryControl', () => {
  it('halves the concurrency ceiling at CAUTIOUS and drops it to 1 at BREAKER', () => {
    const { memory, concurrency, set } = control([50 * MB]);
    expect(memory.check()).toBe('NORMAL');
    set(110 * MB);
    expect(memory.check()).toBe('CAUTIOUS');
    expect(concurrency.ceiling).toBe(4);
  });

  // guards: after a breaker reset concurrency stayed at 1 until RSS fell below 0.85 x --warn-memory (issue 10, defect 1)
  it('a breaker reset restores the ceiling and the limit the run had before the trip', () => {
    const { memory, concurrency, events, set } = control([50 * MB]);
    memory.check();
    set(160 * MB);
    expect(memory.check()).toBe('BREAKER');
    expect(concurrency.limit).toBe(1);
    set(60 * MB);
    memory.readRss();
    memory.resetBreaker();
    expect(memory.state).toBe('CAUTIOUS');
    // CAUTIOUS halves --concurrency 8: the limit comes back to 4 at once, not to 1.
    expect(concurrency.ceiling).toBe(4);
    expect(concurrency.limit).toBe(4);
    expect(events).toEqual(['state']);
  });
});
