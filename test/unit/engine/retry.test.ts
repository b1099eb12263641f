import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from '../../../src/engine/retry.js';

const half = () => 0.5;

describe('backoffDelay (full jitter, base 500 ms, cap 30 s)', () => {
  it.each([
    [0, half, 250],
    [1, half, 500],
    [2, half, 1000],
    [5, half, 8000],
    [6, half, 15_000], // 500 * 64 = 32 s, capped at 30 s
    [60, half, 15_000],
    [5000, half, 15_000], // 2^5000 is Infinity; the cap still holds
    [3, () => 0, 0],
    [3, () => 0.999_999, 3999],
    [-1, half, 250],
  ])('attempt %d -> %d ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, random)).toBe(expected);
  });

  it('draws below min(cap, base * 2^attempt) for every draw', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      for (const draw of [0, 0.1, 0.5, 0.9, 0.999_999]) {
        const delay = backoffDelay(attempt, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(30_000, 500 * 2 ** attempt));
      }
    }
  });

  it('takes a custom policy', () => {
    expect(backoffDelay(4, half, { baseMs: 10, capMs: 100 })).toBe(50);
    expect(backoffDelay(2, half, { baseMs: 10, capMs: 100 })).toBe(20);
  });
});

describe('sleep', () => {
  it('rejects with an AbortError when the signal fires, even for no delay', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleep(0, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(sleep(60_000, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('stops a long sleep on abort', async () => {
    const controller = new AbortController();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('many sleeps on one run-wide signal raise no listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const shared = new AbortController().signal;
      await Promise.all(Array.from({ length: 30 }, () => sleep(1, shared)));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
