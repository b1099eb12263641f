import { describe, expect, it } from 'vitest';
import { WorkTracker } from '../../../src/engine/work-tracker.js';

describe('WorkTracker', () => {
  it('counts work in flight and wakes a waiter when a piece finishes', async () => {
    const tracker = new WorkTracker(() => undefined);
    let finish!: () => void;
    tracker.track(new Promise<void>((resolve) => (finish = resolve)));
    expect(tracker.active).toBe(1);
    const woke = tracker.nextFinished();
    finish();
    await woke;
    expect(tracker.active).toBe(0);
  });

  it('hands a failing piece of work to onError instead of losing it', async () => {
    const errors: unknown[] = [];
    const tracker = new WorkTracker((error) => errors.push(error));
    tracker.track(Promise.reject(new Error('bug')));
    await tracker.drain(undefined, () => undefined);
    expect(errors).toHaveLength(1);
  });

  it('drain waits for everything; the grace callback fires once when work outlives it', async () => {
    const tracker = new WorkTracker(() => undefined);
    let finish!: () => void;
    tracker.track(new Promise<void>((resolve) => (finish = resolve)));
    let graceOver = 0;
    const drained = tracker.drain(1, () => {
      graceOver++;
      finish();
    });
    await drained;
    expect(graceOver).toBe(1);
    expect(tracker.active).toBe(0);
  });

  it('wake() ends every wait at once (a stop must not wait for a slot)', async () => {
    const tracker = new WorkTracker(() => undefined);
    tracker.track(new Promise<void>(() => undefined));
    const waits = [tracker.nextFinished(), tracker.nextFinished()];
    tracker.wake();
    await Promise.all(waits);
    expect(tracker.active).toBe(1);
  });
});
