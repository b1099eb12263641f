import { describe, expect, it } from 'vitest';
import { isBackpressure, isRateRefusal } from '../../../src/traffic/backpressure.js';
import { LogOncePerWindow } from '../../../src/traffic/log-once.js';
import { RecentAnswers } from '../../../src/traffic/recent-answers.js';
import { fullJitterBackoff, requestRetryDelay } from '../../../src/traffic/retry-delay.js';

describe('requestRetryDelay', () => {
  it.each([
    // [attempt, retryAfterMs, random, expected]
    [0, 1000, 0, 1000], // never earlier than asked
    [0, 1000, 0.999, 1100], // plus up to 10% spread
    [3, 20_000, 1, 21_000], // the spread is capped at 1 s
    [0, 0, 0.5, 0],
    [0, undefined, 0.5, 250], // full jitter below 500 ms
    [3, undefined, 0.5, 2000],
    [20, undefined, 0.999, 29_970], // capped at 30 s
  ])('attempt %d, Retry-After %j ms, draw %d -> %d ms', (attempt, retryAfterMs, draw, expected) => {
    expect(requestRetryDelay(attempt, retryAfterMs, () => draw)).toBe(expected);
  });

  it('full jitter stays below the exponential ceiling', () => {
    expect(fullJitterBackoff(2, () => 0.999_999)).toBeLessThan(2000);
  });
});

describe('isBackpressure', () => {
  it.each([
    [{ status: 503, message: 'Server answered HTTP 503 from http://x/api/chat: server busy, please try again.  maximum pending requests exceeded' }, true],
    [{ status: 529, message: 'Overloaded' }, true],
    [{ status: 500, type: 'overloaded_error' }, true],
    [{ status: 503, message: 'The server is overloaded' }, true],
    [{ status: 503, message: 'Service Unavailable' }, false],
    [{ status: 429, message: 'server busy' }, false], // a 429 is a rate signal
    [{ status: undefined }, false],
  ])('%j -> %s', (facts, expected) => {
    expect(isBackpressure(facts)).toBe(expected);
  });

  it('a 429 is a rate refusal', () => {
    expect(isRateRefusal({ status: 429 })).toBe(true);
    expect(isRateRefusal({ status: 503 })).toBe(false);
  });
});

describe('LogOncePerWindow', () => {
  it('logs the first of a storm, then once per window with how many it left out', () => {
    let now = 0;
    const log = new LogOncePerWindow(1000, () => now);
    const decisions = [];
    for (const at of [0, 10, 20, 999, 1000, 1500, 2100]) {
      now = at;
      decisions.push(log.hit('429'));
    }
    expect(decisions.map((decision) => decision.log)).toEqual([true, false, false, false, true, false, true]);
    expect(decisions[4]?.suppressed).toBe(3);
    expect(decisions[6]?.suppressed).toBe(1);
    expect(log.hit('503').log).toBe(true); // keys are separate
  });
});

describe('RecentAnswers', () => {
  it('measures the refused share and the accepted rate over the window since the first send', () => {
    let now = 0;
    const recent = new RecentAnswers(() => now, { windowMs: 1000, capacity: 1000 });
    recent.noteSent(0);
    for (let at = 1; at <= 500; at++) {
      now = at;
      recent.add(at % 10 === 0, at);
    }
    expect(recent.count()).toBe(500);
    expect(recent.refusedShare()).toBeCloseTo(0.1, 5);
    expect(recent.acceptedPerSecond()).toBe(900); // 450 accepted in 500 ms
    expect(recent.refusedShareSince(401)).toEqual({ share: 0.1, samples: 100 });
    now = 1400;
    expect(recent.count()).toBe(101); // older than a second forgotten (400..500 stay)
  });

  it('measures a buffer cut short by its capacity from its oldest answer', () => {
    let now = 0;
    const recent = new RecentAnswers(() => now, { windowMs: 1000, capacity: 100 });
    recent.noteSent(0);
    for (let at = 1; at <= 900; at++) {
      now = at;
      recent.add(false, at);
    }
    expect(recent.acceptedPerSecond()).toBeCloseTo(1000 * (100 / 99), 0);
  });

  it('keeps its counts right as the ring wraps many times and old answers leave the window', () => {
    let now = 0;
    const recent = new RecentAnswers(() => now, { windowMs: 100, capacity: 64 });
    recent.noteSent(0);
    for (let at = 1; at <= 10_000; at++) {
      now = at;
      recent.add(at % 4 === 0, at); // a quarter refused
      if (at % 997 === 0) {
        expect(recent.count()).toBe(64); // capacity-bound: the last 64
        expect(recent.refusedShare()).toBe(0.25);
        expect(recent.spanMs()).toBe(63);
      }
    }
    now = 10_050;
    expect(recent.count()).toBe(51); // 9_950 .. 10_000 are within the last 100 ms
    expect(recent.refusedShareSince(9_990)).toEqual({ share: 3 / 11, samples: 11 });
    now = 20_000;
    expect(recent.count()).toBe(0);
    expect(recent.refusedShare()).toBe(0);
    expect(recent.acceptedPerSecond()).toBe(0);
  });
});
