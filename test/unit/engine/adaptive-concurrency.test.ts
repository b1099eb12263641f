import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency, ConcurrencyGate, type Release } from '../../../src/engine/adaptive-concurrency.js';

type Step = ['throttle', number] | ['success', number] | ['ceiling', number];

function replay(options: ConstructorParameters<typeof AdaptiveConcurrency>[0], steps: Step[]): number[] {
  const policy = new AdaptiveConcurrency(options);
  return steps.map(([kind, value]) => {
    if (kind === 'throttle') policy.onThrottle(value);
    else if (kind === 'ceiling') policy.setCeiling(value);
    else for (let index = 0; index < value; index++) policy.onSuccess();
    return policy.limit;
  });
}

describe('AdaptiveConcurrency', () => {
  it.each<[string, ConstructorParameters<typeof AdaptiveConcurrency>[0], Step[], number[]]>([
    ['halves on a throttle', { ceiling: 16 }, [['throttle', 0]], [8]],
    ['a burst inside the cooldown counts once', { ceiling: 16 }, [['throttle', 0], ['throttle', 200], ['throttle', 999]], [8, 8, 8]],
    ['throttles after the cooldown cut again', { ceiling: 16 }, [['throttle', 0], ['throttle', 1000], ['throttle', 2500]], [8, 4, 2]],
    ['never below 1', { ceiling: 3 }, [['throttle', 0], ['throttle', 5000], ['throttle', 10_000]], [1, 1, 1]],
    ['+1 after `limit` successes', { ceiling: 16, initial: 4 }, [['success', 3], ['success', 1], ['success', 4], ['success', 5]], [4, 5, 5, 6]],
    ['grows back to the ceiling and no further', { ceiling: 4, initial: 2 }, [['success', 2], ['success', 3], ['success', 100]], [3, 4, 4]],
    ['a cut resets the success count', { ceiling: 16, initial: 8 }, [['success', 7], ['throttle', 0], ['success', 3], ['success', 1]], [8, 4, 4, 5]],
    ['a lower ceiling lowers the limit at once', { ceiling: 16 }, [['ceiling', 8], ['success', 100]], [8, 8]],
    ['a raised ceiling lets the limit grow back slowly', { ceiling: 16 }, [['ceiling', 4], ['ceiling', 16], ['success', 4], ['success', 5]], [4, 4, 5, 6]],
    ['a ceiling below 1 is 1', { ceiling: 16 }, [['ceiling', 0], ['ceiling', -3]], [1, 1]],
    ['initial above the ceiling is the ceiling', { ceiling: 4, initial: 10 }, [['success', 0]], [4]],
    ['a custom cooldown and factor', { ceiling: 100, cooldownMs: 10, decrease: 0.75 }, [['throttle', 0], ['throttle', 5], ['throttle', 10]], [75, 75, 56]],
  ])('%s', (_name, options, steps, limits) => {
    expect(replay(options, steps)).toEqual(limits);
  });

  it('onThrottle says whether it cut', () => {
    const policy = new AdaptiveConcurrency({ ceiling: 2 });
    expect(policy.onThrottle(0)).toBe(true);
    expect(policy.onThrottle(100)).toBe(false); // cooldown
    expect(policy.onThrottle(5000)).toBe(false); // already at the floor
    expect(policy.ceiling).toBe(2);
  });
});

/** Lets pending promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function tracked(promise: Promise<Release>) {
  const state: { release: Release | undefined; error: unknown } = { release: undefined, error: undefined };
  promise.then(
    (release) => (state.release = release),
    (error: unknown) => (state.error = error),
  );
  return state;
}

describe('ConcurrencyGate', () => {
  const signal = new AbortController().signal;

  it('admits up to the limit and queues the rest in order', async () => {
    const gate = new ConcurrencyGate({ limit: 2 });
    const first = await gate.acquire(signal);
    const second = await gate.acquire(signal);
    const third = tracked(gate.acquire(signal));
    const fourth = tracked(gate.acquire(signal));
    await settle();
    expect([gate.inFlight, gate.waiting, third.release, fourth.release]).toEqual([2, 2, undefined, undefined]);
    first();
    await settle();
    expect(third.release).toBeTypeOf('function');
    expect(fourth.release).toBeUndefined();
    first(); // a second call of the same release frees nothing
    await settle();
    expect([gate.inFlight, fourth.release]).toEqual([2, undefined]);
    second();
    await settle();
    expect(fourth.release).toBeTypeOf('function');
    third.release?.();
    fourth.release?.();
    expect(gate.inFlight).toBe(0);
  });

  it('follows a limit that drops below the requests in flight', async () => {
    const policy = new AdaptiveConcurrency({ ceiling: 3 });
    const gate = new ConcurrencyGate(policy);
    const releases = [await gate.acquire(signal), await gate.acquire(signal), await gate.acquire(signal)];
    policy.setCeiling(1);
    const waiter = tracked(gate.acquire(signal));
    releases[0]?.();
    releases[1]?.();
    await settle();
    expect(waiter.release).toBeUndefined(); // one still in flight = the new limit
    releases[2]?.();
    await settle();
    expect(waiter.release).toBeTypeOf('function');
    expect(gate.limit).toBe(1);
  });

  it('notify() admits waiters after the limit rose', async () => {
    const source = { limit: 1 };
    const gate = new ConcurrencyGate(source);
    await gate.acquire(signal);
    const waiter = tracked(gate.acquire(signal));
    await settle();
    expect(waiter.release).toBeUndefined();
    source.limit = 2;
    gate.notify();
    await settle();
    expect(waiter.release).toBeTypeOf('function');
    expect(gate.inFlight).toBe(2);
  });

  it('hold() lets requests in flight finish but grants no slot until resume()', async () => {
    const gate = new ConcurrencyGate({ limit: 2 });
    const inFlight = await gate.acquire(signal);
    gate.hold();
    const queued = tracked(gate.acquire(signal));
    const fresh = tracked(gate.acquire(signal));
    inFlight();
    gate.notify();
    await settle();
    expect([gate.inFlight, gate.waiting, queued.release, fresh.release]).toEqual([0, 2, undefined, undefined]);
    gate.resume();
    await settle();
    expect([gate.inFlight, gate.waiting]).toEqual([2, 0]);
    expect(queued.release).toBeTypeOf('function');
    expect(fresh.release).toBeTypeOf('function');
  });

  it('an aborted waiter leaves the queue with an AbortError', async () => {
    const gate = new ConcurrencyGate({ limit: 1 });
    const release = await gate.acquire(signal);
    const controller = new AbortController();
    const aborted = tracked(gate.acquire(controller.signal));
    const next = tracked(gate.acquire(signal));
    controller.abort();
    await settle();
    expect(aborted.error).toMatchObject({ name: 'AbortError' });
    expect(gate.waiting).toBe(1);
    release();
    await settle();
    expect(next.release).toBeTypeOf('function');
    await expect(gate.acquire(controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('many waiters on one run-wide signal raise no listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const gate = new ConcurrencyGate({ limit: 1 });
      const shared = new AbortController();
      const first = await gate.acquire(shared.signal);
      const waiters = Array.from({ length: 30 }, () => gate.acquire(shared.signal).then((release) => release()));
      first();
      await Promise.all(waiters);
      await settle();
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
