// The traffic policies end to end against simulated limiters on one injected clock: issue 12's cases.
import { describe, expect, it } from 'vitest';
import { burstLimiter, type ClientResult, mulberry32, openAiLimiter, sheddingLimiter, simulate } from '../../helpers/traffic-sim.js';

const SEEDS = [1, 2, 3];

function totals(results: readonly ClientResult[]) {
  const accepted = results.reduce((sum, result) => sum + result.accepted, 0);
  const refused = results.reduce((sum, result) => sum + result.refused, 0);
  const acceptedMeasured = results.reduce((sum, result) => sum + result.acceptedMeasured, 0);
  const refusedMeasured = results.reduce((sum, result) => sum + result.refusedMeasured, 0);
  return { accepted, refusedShare: refused / (accepted + refused), refusedShareMeasured: refusedMeasured / (acceptedMeasured + refusedMeasured) };
}

describe('against nginx-style limit_req (rate, burst 30, nodelay), 64 requests in flight at 20 ms', () => {
  // guards: issue 12 — 63 records/s (21% of the limit) with Retry-After: 1, half of all requests refused without it
  it.each(SEEDS.flatMap((seed) => [300, 1000].flatMap((rate) => [undefined, 1000].map((retryAfterMs) => [rate, retryAfterMs, seed] as const))))(
    '%d/s, Retry-After %j ms (seed %d): goodput at least 93 percent of the limit, at most 5 percent refused',
    (rate, retryAfterMs, seed) => {
      const records = rate * 20;
      const [result] = simulate({ seed, clients: [{ concurrency: 64, latencyMs: 20, records }], limiter: burstLimiter(rate, 30, retryAfterMs), durationMs: 120_000 });
      const { refusedShare } = totals([result!]);
      expect(result!.accepted).toBe(records);
      expect(records / ((result!.finishedAt ?? Number.POSITIVE_INFINITY) / 1000)).toBeGreaterThanOrEqual(0.93 * rate);
      expect(refusedShare).toBeLessThanOrEqual(0.05);
      expect(result!.control.stats().learnedRateRps).toBeGreaterThan(0.8 * rate);
    },
  );
});

describe('against OpenAI-style buckets that send x-ratelimit-* on every answer', () => {
  it.each(SEEDS)('300 requests/s or 24k tokens/s with a one-second burst (seed %d): : at least 95 percent of the limit, at most 1 percent refused after the first second', (seed) => {
    const [requestBound] = simulate({ seed, clients: [{ concurrency: 64, latencyMs: 20, tokensPerRequest: 60 }], limiter: openAiLimiter(300, 24_000, 1000), durationMs: 20_000, measureFrom: 1000 });
    expect(requestBound!.acceptedMeasured / 19).toBeGreaterThanOrEqual(0.95 * 300);
    expect(totals([requestBound!]).refusedShareMeasured).toBeLessThanOrEqual(0.01);
    const [tokenBound] = simulate({ seed, clients: [{ concurrency: 64, latencyMs: 20, tokensPerRequest: 120 }], limiter: openAiLimiter(300, 24_000, 1000), durationMs: 20_000, measureFrom: 1000 });
    expect(tokenBound!.acceptedMeasured / 19).toBeGreaterThanOrEqual(0.95 * 200); // 24k tokens/s at 120 a request
    expect(totals([tokenBound!]).refusedShareMeasured).toBeLessThanOrEqual(0.01);
  });
});

describe('a server shedding a random 5% with 429 + Retry-After: 1 (no rate limit)', () => {
  // guards: issue 12 — 0.02x the rate: every shed request paused the whole server for a second
  it.each(SEEDS)('keeps at least 80 percent of the records/s of the same server without faults (seed %d)', (seed) => {
    const run = (share: number) =>
      simulate({ seed, clients: [{ concurrency: 64, latencyMs: 58 }], limiter: sheddingLimiter(share, 1000, mulberry32(seed)), durationMs: 10_000 })[0]!;
    const clean = run(0);
    const shed = run(0.05);
    expect(shed.accepted).toBeGreaterThanOrEqual(0.8 * clean.accepted);
    expect(shed.control.stats().heldMs).toBe(0);
  });
});

describe('three processes on one 300/s limit, no coordinator', () => {
  it.each(SEEDS)('converge to about equal shares near the limit (seed %d)', (seed) => {
    // Started together; shares are compared once converged (after 5 s), totals and refusals over the whole run.
    const results = simulate({ seed, clients: [0, 1, 2].map(() => ({ concurrency: 64, latencyMs: 20 })), limiter: burstLimiter(300, 30), durationMs: 30_000, measureFrom: 5000 });
    const { accepted, refusedShare } = totals(results);
    const shares = results.map((result) => result.acceptedMeasured);
    expect(accepted).toBeGreaterThanOrEqual(0.9 * 300 * 30);
    expect(Math.max(...shares)).toBeLessThanOrEqual(1.25 * Math.min(...shares));
    expect(refusedShare).toBeLessThanOrEqual(0.1);
  });
});
