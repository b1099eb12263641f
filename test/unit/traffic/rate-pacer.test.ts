import { describe, expect, it } from 'vitest';
import { RatePacer, type RefusalEvidence } from '../../../src/traffic/rate-pacer.js';

const GUARD = 100;
const evidence = (acceptedPerSecond: number, refusedShare: number, answers = 200): RefusalEvidence => ({ acceptedPerSecond, refusedShare, answers, guardMs: GUARD });
const shareOf = (share: number, samples = 200) => () => ({ share, samples });

describe('RatePacer', () => {
  it('does not pace at all until something is refused', () => {
    const pacer = new RatePacer();
    for (let at = 0; at < 1000; at += 1) {
      expect(pacer.waitMs(at)).toBe(0);
      pacer.take(at);
      pacer.onAnswer(at, GUARD);
    }
    expect(pacer.rateRps).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    // [answers in the window, accepted/s, expected rate after the first 429]
    [5, 3000, Number.POSITIVE_INFINITY], // a handful of early answers is noise: no cut yet
    [10, 300, 270],
    [200, 1000, 900],
    [200, 0, Number.POSITIVE_INFINITY], // nothing accepted yet: nothing to scale a cut by
  ])('first 429 with %d answers at %d accepted/s -> %d/s', (answers, accepted, expected) => {
    const pacer = new RatePacer();
    pacer.onRefused(1000, evidence(accepted, 0.5, answers));
    expect(pacer.rateRps).toBe(expected);
  });

  it('counts a burst of 429s from one overshoot once (guard window)', () => {
    // guards: every 429 of one overshoot cutting again collapses the rate
    const pacer = new RatePacer();
    expect(pacer.onRefused(1000, evidence(300, 0.5))).toBe(true);
    for (let at = 1001; at < 1000 + GUARD; at += 5) expect(pacer.onRefused(at, evidence(300, 0.6))).toBe(false);
    expect(pacer.rateRps).toBe(270);
    expect(pacer.cutCount).toBe(1);
  });

  it('paces at the rate once cut, allowing a burst of two', () => {
    const pacer = new RatePacer({ burst: 2, decrease: 0.5 });
    pacer.onRefused(0, evidence(20, 0.5)); // -> 10/s: one send per 100 ms
    expect(pacer.rateRps).toBe(10);
    const waits: number[] = [];
    for (const at of [1000, 1000, 1000, 1050, 1100, 1200]) {
      const wait = pacer.waitMs(at);
      waits.push(wait);
      if (wait === 0) pacer.take(at);
    }
    expect(waits).toEqual([0, 0, 100, 50, 0, 0]);
  });

  it('grows back additively/proportionally while answers succeed, not inside the guard of a cut', () => {
    const pacer = new RatePacer({ increasePerSecond: 0.05 });
    pacer.onRefused(0, evidence(1000, 0.5)); // 900/s
    pacer.onAnswer(50, GUARD);
    expect(pacer.rateRps).toBe(900); // inside the guard
    for (let at = 100; at <= 1100; at += 10) pacer.onAnswer(at, GUARD);
    expect(pacer.rateRps).toBeGreaterThan(900 * 1.04);
    expect(pacer.rateRps).toBeLessThan(900 * 1.06);
  });

  it('keeps a cut after which the 429s stopped (a limit), and cuts again on the next overshoot', () => {
    const pacer = new RatePacer();
    pacer.onRefused(0, evidence(300, 0.05)); // 270
    pacer.observe(300, GUARD, shareOf(0));
    expect(pacer.rateRps).toBe(270);
    expect(pacer.onRefused(400, evidence(300, 0.05))).toBe(true);
    expect(pacer.rateRps).toBeCloseTo(243, 5);
    expect(pacer.undoneCount).toBe(0);
  });

  it('while a cut is being judged, small shares wait for the verdict and large shares cut again', () => {
    const pacer = new RatePacer();
    pacer.onRefused(0, evidence(1000, 0.05)); // 900
    expect(pacer.onRefused(150, evidence(1000, 0.05))).toBe(false);
    expect(pacer.onRefused(150, evidence(1000, 0.5))).toBe(true);
  });

  it('undoes a cut after which the same share kept coming (shedding), and then ignores that share', () => {
    // guards: a server shedding 5% of requests at any rate must not ratchet the rate down
    const pacer = new RatePacer();
    pacer.onRefused(0, evidence(3000, 0.05));
    expect(pacer.rateRps).toBe(2700);
    pacer.observe(150, GUARD, shareOf(0.05)); // too early: answers to requests sent before the cut
    expect(pacer.rateRps).toBe(2700);
    pacer.observe(250, GUARD, shareOf(0.05, 50)); // too few answers yet
    expect(pacer.rateRps).toBe(2700);
    pacer.observe(300, GUARD, shareOf(0.06));
    expect(pacer.rateRps).toBe(Number.POSITIVE_INFINITY);
    expect(pacer.undoneCount).toBe(1);
    expect(pacer.onRefused(500, evidence(3000, 0.07))).toBe(false);
    expect(pacer.onRefused(500, evidence(3000, 0.3))).toBe(true); // a real overshoot still cuts
  });

  it('never goes below its floor', () => {
    const pacer = new RatePacer({ minRateRps: 2 });
    pacer.onRefused(0, evidence(1, 0.9));
    expect(pacer.rateRps).toBe(2);
  });
});
