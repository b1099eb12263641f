import { describe, expect, it } from 'vitest';
import { type Ticket, TrafficControl } from '../../../src/traffic/traffic-control.js';

function fakeTime(start = 0) {
  let now = start;
  const sleeps: number[] = [];
  return {
    clock: () => now,
    advance: (ms: number) => (now += ms),
    sleeps,
    // Sleeping is advancing the fake clock: admit() then re-checks at the new time.
    sleep: (ms: number, signal: AbortSignal) => {
      signal.throwIfAborted();
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

function admitNow(control: TrafficControl, tokens = 0): Ticket {
  const admitted = control.tryAdmit(tokens);
  if (typeof admitted === 'number') throw new Error(`expected to be admitted, told to wait ${admitted} ms`);
  return admitted;
}

describe('TrafficControl', () => {
  it('admits at once while nothing is known, and reports no learned rate', () => {
    const time = fakeTime();
    const control = new TrafficControl({ clock: time.clock, sleep: time.sleep });
    for (let index = 0; index < 100; index++) control.onAnswer(admitNow(control), {});
    expect(control.stats()).toEqual({ rateLimited: 0, backpressure: 0, learnedRateRps: null, heldMs: 0, refusedShare: 0, rateCuts: 0 });
  });

  it('one 429 among many successes delays only its own retry: no hold, a retry no earlier than Retry-After', () => {
    // guards: issue 12 — every 429 used to pause every request to the server
    const time = fakeTime();
    const control = new TrafficControl({ clock: time.clock, sleep: time.sleep, random: () => 0.5 });
    for (let index = 0; index < 50; index++) {
      control.onAnswer(admitNow(control), {});
      time.advance(1);
    }
    control.onRefused(admitNow(control), { retryAfterMs: 1000 });
    expect(control.tryAdmit(0)).not.toBeTypeOf('number');
    expect(control.stats().heldMs).toBe(0);
    expect(control.retryDelay(1, 1000)).toBeGreaterThanOrEqual(1000);
    expect(control.stats().rateLimited).toBe(1);
  });

  it('holds the whole server when most recent answers were refused', () => {
    const time = fakeTime();
    const control = new TrafficControl({ clock: time.clock, sleep: time.sleep });
    const tickets = Array.from({ length: 20 }, () => admitNow(control));
    time.advance(20);
    for (const ticket of tickets.slice(0, 5)) control.onAnswer(ticket, {});
    for (const ticket of tickets.slice(5)) control.onRefused(ticket, {});
    const wait = control.tryAdmit(0);
    expect(wait).toBeTypeOf('number');
    expect(wait).toBeGreaterThan(0);
    expect(control.stats().refusedShare).toBe(0.75);
  });

  it('holds on remaining-requests 0 until one request is back, and counts that as held', async () => {
    const time = fakeTime(1000);
    const control = new TrafficControl({ clock: time.clock, sleep: time.sleep, budget: { reserveShare: 0 } });
    control.onAnswer(admitNow(control), { limitRequests: 60, remainingRequests: 0, resetRequestsMs: 60_000 });
    const ticket = await control.admit(0, new AbortController().signal);
    expect(time.sleeps).toEqual([1000]); // 60 per minute: one request back after a second
    expect(ticket.sentAt).toBe(2000);
    expect(control.stats().heldMs).toBe(1000);
    expect(control.stats().learnedRateRps).toBe(1);
  });

  it('a 6m0s token reset with the request budget fine waits only for this request\'s tokens', async () => {
    // guards: a TPM reset of 6m0s must not stop a run for six minutes
    const time = fakeTime();
    const control = new TrafficControl({ clock: time.clock, sleep: time.sleep, budget: { reserveShare: 0 } });
    control.onAnswer(admitNow(control, 100), {
      limitRequests: 10_000, remainingRequests: 9_999, resetRequestsMs: 6,
      limitTokens: 2_000_000, remainingTokens: 0, resetTokensMs: 360_000,
    });
    await control.admit(1000, new AbortController().signal);
    expect(time.sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(180); // 1000 tokens at 2M per 6 min
  });

  it('backpressure and other failures free what the attempt booked in flight', () => {
    const time = fakeTime();
    const control = new TrafficControl({ clock: time.clock, sleep: time.sleep, budget: { reserveShare: 0 } });
    const busy = admitNow(control);
    const failed = admitNow(control);
    control.onBackpressure(busy);
    control.onFailure(failed);
    // Nothing in flight any more: the snapshot's 5 remaining are all ours to spend.
    control.onAnswer(admitNow(control), { limitRequests: 5, remainingRequests: 5, resetRequestsMs: 0 });
    for (let index = 0; index < 5; index++) admitNow(control);
    expect(control.stats().backpressure).toBe(1);
    expect(control.stats().rateLimited).toBe(0);
  });

  it('admit rejects when the signal aborts', async () => {
    const time = fakeTime();
    const control = new TrafficControl({ clock: time.clock, sleep: time.sleep });
    const abort = new AbortController();
    abort.abort(new Error('stop'));
    await expect(control.admit(0, abort.signal)).rejects.toThrow('stop');
  });
});
