import { describe, expect, it } from 'vitest';
import { takeTokens, TokenBucket } from '../../../src/engine/rate-limit.js';

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

describe('TokenBucket', () => {
  it('starts full, then grants one request per second at 60 rpm', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(60, clock.now);
    for (let index = 0; index < 60; index++) expect(bucket.take(1)).toBe(0);
    expect(bucket.take(1)).toBe(1000);
    clock.advance(400);
    expect(bucket.take(1)).toBe(600);
    clock.advance(600);
    expect(bucket.take(1)).toBe(0);
    expect(bucket.take(1)).toBe(1000);
  });

  it('takes nothing when it answers with a wait', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(600, clock.now); // 10 per second
    expect(bucket.take(600)).toBe(0);
    expect(bucket.take(5)).toBe(500);
    expect(bucket.take(5)).toBe(500);
    clock.advance(500);
    expect(bucket.take(5)).toBe(0);
  });

  it.each([
    // tpm 1000; a request of 5000 tokens can never fit: it passes when the bucket is full and leaves a debt
    { first: 5000, waitFirst: 0, then: 1, waitThen: Math.ceil((4000 + 1) / (1000 / 60_000)) },
    { first: 1000, waitFirst: 0, then: 1, waitThen: 60 },
    { first: 999, waitFirst: 0, then: 2, waitThen: 60 },
  ])('take($first) then take($then) waits $waitThen ms', ({ first, waitFirst, then, waitThen }) => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1000, clock.now);
    expect(bucket.take(first)).toBe(waitFirst);
    expect(bucket.take(then)).toBe(waitThen);
  });

  it('a request larger than the bucket waits until the bucket is full again', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1000, clock.now);
    expect(bucket.take(10)).toBe(0);
    expect(bucket.take(5000)).toBe(600); // 10 tokens short of full, at 1000/60 s per token
    clock.advance(600);
    expect(bucket.take(5000)).toBe(0);
  });

  it('refunds up to capacity', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100, clock.now);
    bucket.take(80);
    bucket.refund(30);
    expect(bucket.available()).toBe(50);
    bucket.refund(1000);
    expect(bucket.available()).toBe(100);
    bucket.refund(-50);
    expect(bucket.available()).toBe(100);
  });

  it('never refills past capacity and ignores a clock that steps back', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(60, clock.now);
    clock.advance(10 * 60_000);
    expect(bucket.available()).toBe(60);
    bucket.take(60);
    clock.advance(-5000);
    expect(bucket.available()).toBe(0);
    clock.advance(5000 + 1000);
    expect(bucket.available()).toBeCloseTo(1, 9);
  });

  it('rejects a capacity that is not positive', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError);
  });

  it('takeTokens waits until the bucket grants, and is abortable', async () => {
    const bucket = new TokenBucket(600_000); // 10 per ms, real clock
    expect(bucket.take(600_000)).toBe(0);
    await takeTokens(bucket, 20, new AbortController().signal);
    expect(bucket.take(600_000)).toBeGreaterThan(0);
    const controller = new AbortController();
    const slow = new TokenBucket(1);
    slow.take(1);
    const waiting = takeTokens(slow, 1, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});
