import { describe, expect, it } from 'vitest';
import { RatePacer, type RefusalEvidence } from '../../../src/traffic/rate-pacer.js';

const GUARD = 100;
const evidence = (acceptedPerSecond: number, refusedShare: number, answers = 200, spanMs = 1000): RefusalEvidence => ({ acceptedPerSecond, refusedShare, answers, spanMs, guardMs: GUARD });
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

  describe('start-up and recovery (issue 12: real nginx at 300 r/s reached 45-80% of the limit)', () => {
    /** Feeds answers every `stepMs` from `from` to `to` and returns the rate at the end. */
    const succeed = (pacer: RatePacer, from: number, to: number, stepMs = 5): number => {
      for (let at = from; at <= to; at += stepMs) pacer.onAnswer(at, GUARD);
      return pacer.rateRps;
    };

    it('does not set the scale on a lone 429 of its own start-up burst', () => {
      // guards: a lone 429 at 3% of 30 answers in the first 100 ms cut the rate to 0.9 x a warming-up client's rate
      const pacer = new RatePacer();
      expect(pacer.onRefused(100, evidence(266, 0.03, 30, 100))).toBe(false);
      expect(pacer.rateRps).toBe(Number.POSITIVE_INFINITY);
      expect(pacer.onRefused(800, evidence(300, 0.03, 300, 700))).toBe(true); // measured long enough: a limit
      expect(pacer.rateRps).toBe(270);
    });

    it('after a cut scaled by a rate measured over a short start-up, doubles per second until the next cut', () => {
      const pacer = new RatePacer();
      expect(pacer.onRefused(100, evidence(250, 0.3, 40, 120))).toBe(true); // a clear overshoot, measured briefly
      expect(pacer.rateRps).toBe(225);
      const after = succeed(pacer, 200, 1200);
      expect(after).toBeGreaterThan(225 * 1.9);
      expect(after).toBeLessThan(225 * 2.9);
      pacer.observe(1250, GUARD, shareOf(0)); // the cut is judged: it helped
      pacer.onRefused(1300, evidence(300, 0.1, 300, 1000)); // now measured: the scale is set, slow probing again
      expect(pacer.rateRps).toBe(270);
      expect(succeed(pacer, 1400, 2400)).toBeLessThan(270 * 1.2);
    });

    it('a cut on a rate measured long enough scales by what the server accepted, not by a paced rate above it', () => {
      // guards: after probing to 400/s against a 300/s limit, 0.9 x 400 = 360 kept the 429s coming
      const pacer = new RatePacer();
      pacer.onRefused(0, evidence(420, 0.5, 200, 1000)); // 378
      pacer.observe(300, GUARD, shareOf(0));
      expect(pacer.onRefused(400, evidence(300, 0.1, 300, 1000))).toBe(true);
      expect(pacer.rateRps).toBe(270);
    });

    it('climbs back to just below the refused rate within about two seconds, then probes slowly, then faster', () => {
      const pacer = new RatePacer();
      pacer.onRefused(0, evidence(300, 0.2, 300, 1000)); // 270, refused at 300
      expect(succeed(pacer, 100, 2100)).toBeGreaterThanOrEqual(0.97 * 300 - 1);
      const plateau = pacer.rateRps;
      const slow = succeed(pacer, 2105, 3100) - plateau; // first second past the plateau: the slow additive pace
      expect(slow).toBeLessThan(15);
      succeed(pacer, 3105, 5000);
      const before = pacer.rateRps;
      expect(succeed(pacer, 5005, 6000) - before).toBeGreaterThan(2.5 * slow); // three seconds quiet: sped up
    });
  });
});

