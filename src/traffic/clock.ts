// Time for the traffic policies: injected, so every policy is testable with a fake clock.
import { setTimeout as delay } from 'node:timers/promises';

/** Milliseconds on a monotonic-enough scale (Date.now in production, a counter in tests). */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** Waits `ms`, rejecting with an AbortError when `signal` fires. Injected so tests can drive time themselves. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const systemSleep: Sleep = async (ms, signal) => {
  await delay(Math.max(0, ms), undefined, { signal });
};
