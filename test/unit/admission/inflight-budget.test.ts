import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InflightBudget, type InflightBudgetOptions, type Reservation } from '../../../src/admission/inflight-budget.js';
import { AdmissionRefusedError } from '../../../src/errors.js';

const never = new AbortController().signal;

/** A budget with an RSS the test sets and a clock that only moves when told. */
function budget(options: Partial<InflightBudgetOptions> & { rss?: number } = {}) {
  const state = { rss: options.rss ?? 0, now: 0, reads: 0 };
  const subject = new InflightBudget({
    maxInflightBytes: 100,
    maxMemoryBytes: 1000,
    marginBytes: 0,
    readRss: () => {
      state.reads++;
      return state.rss;
    },
    now: () => state.now,
    rssMaxAgeMs: 0,
    rssFarMaxAgeMs: 0,
    ...options,
  });
  return { subject, state };
}

/** Settles pending promise callbacks so the test can see who was admitted. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A resize or grow that needs no wait answers undefined instead of a promise: settled at once. */
function track<T>(promise: Promise<T> | undefined) {
  const seen: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  if (promise === undefined) return Object.assign(seen, { settled: true });
  promise.then(
    (value) => Object.assign(seen, { value, settled: true }),
    (error: unknown) => Object.assign(seen, { error, settled: true }),
  );
  return seen;
}

describe('InflightBudget limit', () => {
  it.each<[string, Partial<InflightBudgetOptions>, number, number]>([
    ['the flag when RSS leaves more room', { maxInflightBytes: 100, maxMemoryBytes: 1000 }, 200, 100],
    ['max-memory minus RSS when that is smaller', { maxInflightBytes: 500, maxMemoryBytes: 1000 }, 700, 300],
    ['minus the margin', { maxInflightBytes: 500, maxMemoryBytes: 1000, marginBytes: 100 }, 700, 200],
    ['never below zero', { maxInflightBytes: 500, maxMemoryBytes: 1000 }, 1200, 0],
  ])('is %s', (_name, options, rss, limit) => {
    const { subject } = budget({ ...options, rss });
    expect(subject.limitBytes()).toBe(limit);
  });

  it.each([
    [1000 * 2 ** 20, 950 * 2 ** 20],
    [100 * 2 ** 20, 92 * 2 ** 20],
  ])('default margin: 5%% of max-memory (%i), at least 8 MB', (maxMemoryBytes, limit) => {
    const subject = new InflightBudget({ maxInflightBytes: 2 ** 40, maxMemoryBytes, readRss: () => 0 });
    expect(subject.limitBytes()).toBe(limit);
  });

  it('reads RSS at most once per rssMaxAgeMs of the injected clock near the limit', () => {
    const { subject, state } = budget({ rssMaxAgeMs: 20, rss: 800 });
    subject.limitBytes();
    subject.limitBytes();
    state.now = 19;
    subject.limitBytes();
    expect(state.reads).toBe(1);
    state.now = 20;
    subject.limitBytes();
    expect(state.reads).toBe(2);
  });

  it('far from the limit a reading is reused for rssFarMaxAgeMs; once close, for rssMaxAgeMs again', () => {
    // guards: an RSS read per 20 ms cost 2% of a small-answer run's CPU, where memory was nowhere near the limit
    const { subject, state } = budget({ rssMaxAgeMs: 20, rssFarMaxAgeMs: 250, rss: 100 });
    state.now = 249;
    subject.limitBytes();
    expect(state.reads).toBe(1);
    state.now = 250;
    state.rss = 800;
    expect(subject.limitBytes()).toBe(100);
    expect(state.reads).toBe(2);
    state.now = 270;
    subject.limitBytes();
    expect(state.reads).toBe(3);
  });

  it('the ceiling is taken at the lowest RSS seen (the baseline), the limit at the current one', () => {
    const { subject, state } = budget({ maxInflightBytes: 500, rss: 600 });
    expect(subject.ceilingBytes()).toBe(400);
    state.rss = 300;
    expect(subject.ceilingBytes()).toBe(500);
    state.rss = 800;
    expect(subject.limitBytes()).toBe(200);
    expect(subject.ceilingBytes()).toBe(500);
  });
});

describe('InflightBudget reserve', () => {
  it('admits while the sum fits, queues the rest FIFO and wakes them on release', async () => {
    const { subject } = budget();
    const a = await subject.reserve(60, never);
    const b = await subject.reserve(40, never);
    const c = track(subject.reserve(50, never));
    const d = track(subject.reserve(10, never)); // guards: a small request must not overtake an earlier big one
    await flush();
    expect([c.settled, d.settled]).toEqual([false, false]);
    expect(subject.waiting).toBe(2);
    a.release();
    await flush();
    expect([c.settled, d.settled]).toEqual([true, true]);
    expect(subject.reservedBytes).toBe(100);
    b.release();
    a.release(); // idempotent
    expect(subject.reservedBytes).toBe(60);
    expect(subject.peakBytes).toBe(100);
  });

  it('refuses at once a reservation larger than the whole budget (it would wait forever)', async () => {
    const { subject } = budget();
    const error = await subject.reserve(101, never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AdmissionRefusedError);
    expect(error).toMatchObject({ reason: 'too_large', code: 'response_too_large', requestedBytes: 101, limitBytes: 100 });
  });

  it('admits the head when nothing is held, even if RSS leaves no room (progress; the breaker is the backstop)', async () => {
    const { subject, state } = budget({ rss: 100 });
    state.rss = 990;
    const held = await subject.reserve(80, never);
    expect(held.bytes).toBe(80);
    const next = track(subject.reserve(1, never));
    await flush();
    expect(next.settled).toBe(false);
  });

  it('an aborted waiter leaves the queue, lets the next one in, and removes its abort listener', async () => {
    const { subject } = budget();
    const first = await subject.reserve(90, never);
    const controller = new AbortController();
    const big = track(subject.reserve(50, controller.signal));
    const small = track(subject.reserve(10, never));
    await flush();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('stop'));
    await flush();
    expect(big.error).toMatchObject({ message: 'stop' });
    expect(small.settled).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    first.release();
  });

  it('a granted waiter removes its abort listener too (no leak over many requests)', async () => {
    const { subject } = budget();
    const controller = new AbortController();
    const first = await subject.reserve(100, controller.signal);
    const waiting = subject.reserve(100, controller.signal);
    first.release();
    (await waiting).release();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once on an already aborted signal when it would have to wait', async () => {
    const { subject } = budget();
    await subject.reserve(100, never);
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(subject.reserve(1, controller.signal)).rejects.toThrow('gone');
  });
});

describe('Reservation resize and grow', () => {
  it('resize down gives room back at once; resize up waits for it', async () => {
    const { subject } = budget();
    const a = await subject.reserve(80, never);
    const b = track(subject.reserve(50, never));
    await a.resize(30, never);
    await flush();
    expect(b.settled).toBe(true);
    const grown = track(a.resize(60, never));
    await flush();
    expect(grown.settled).toBe(false);
    (b.value as Reservation).release();
    await flush();
    expect(grown.settled).toBe(true);
    expect(a.bytes).toBe(60);
  });

  it('grows of admitted requests go before new requests', async () => {
    const { subject } = budget();
    const a = await subject.reserve(50, never);
    const b = await subject.reserve(50, never);
    const fresh = track(subject.reserve(30, never));
    const grow = track(a.grow(30, never));
    await flush();
    b.release();
    await flush();
    expect(grow.settled).toBe(true);
    expect(fresh.settled).toBe(false);
    expect(a.bytes).toBe(80);
  });

  it('a grow past the whole budget is refused at once as too large', async () => {
    const { subject } = budget();
    const a = await subject.reserve(60, never);
    await expect(a.grow(41, never)).rejects.toMatchObject({ reason: 'too_large', requestedBytes: 101 });
    expect(a.bytes).toBe(60);
  });

  it('a lone holder may grow up to the whole budget whatever RSS says', async () => {
    const { subject, state } = budget();
    const a = await subject.reserve(10, never);
    state.rss = 995;
    await a.grow(90, never);
    expect(a.bytes).toBe(100);
  });

  it('when every holder waits to grow, the youngest is preempted so the oldest can finish', async () => {
    const { subject } = budget();
    const old = await subject.reserve(50, never);
    const young = await subject.reserve(50, never);
    const youngGrow = track(young.grow(20, never));
    const oldGrow = track(old.grow(20, never));
    await flush();
    expect(youngGrow.error).toBeInstanceOf(AdmissionRefusedError);
    expect(youngGrow.error).toMatchObject({ reason: 'preempted', code: 'admission_preempted' });
    expect(oldGrow.settled).toBe(true);
    expect(old.bytes).toBe(70);
    expect(subject.reservedBytes).toBe(70);
    young.release(); // the caller's finally: a no-op now
    expect(subject.reservedBytes).toBe(70);
    await expect(young.grow(1, never)).rejects.toMatchObject({ reason: 'preempted' });
  });

  it('a request whose answer has not begun (queued for a socket behind the others) does not hold preemption off', async () => {
    const { subject } = budget();
    const old = await subject.reserve(45, never);
    const young = await subject.reserve(45, never);
    await subject.reserve(10, never); // never resized nor grown: its request waits for a socket the others hold
    const oldGrow = track(old.grow(20, never));
    const youngGrow = track(young.grow(20, never));
    await flush();
    // guards: 12 chunked answers on 4 sockets hung (issue 10) when the 8 queued reservations counted as progress
    expect(youngGrow.error).toMatchObject({ reason: 'preempted' });
    expect(oldGrow.settled).toBe(true);
    expect(old.bytes).toBe(65);
  });

  it('no preemption while some holder can still release', async () => {
    const { subject } = budget();
    const a = await subject.reserve(50, never);
    const b = await subject.reserve(50, never);
    const grow = track(a.grow(20, never));
    await flush();
    expect(grow.settled).toBe(false);
    b.release();
    await flush();
    expect(grow.settled).toBe(true);
  });
});

describe('Reservation resize before the body is read', () => {
  it('gives the estimate back while it waits, so requests that all resize at once do not wait on each other', async () => {
    const { subject } = budget();
    const a = await subject.reserve(30, never);
    const b = await subject.reserve(30, never);
    const c = await subject.reserve(30, never);
    // guards: three small estimates whose headers all say "big" must not stall (or preempt) each other
    const resized = [a, b, c].map((reservation) => track(reservation.resize(60, never)));
    await flush();
    expect(resized.map((entry) => entry.settled)).toEqual([true, false, false]);
    expect(resized.some((entry) => entry.error !== undefined)).toBe(false);
    expect(subject.reservedBytes).toBe(60);
    a.release();
    await flush();
    expect(resized.map((entry) => entry.settled)).toEqual([true, true, false]);
    b.release();
    await flush();
    expect(resized[2]?.settled).toBe(true);
    expect(subject.peakBytes).toBeLessThanOrEqual(100);
  });
});
