import { describe, expect, it } from 'vitest';
import { BatchBudget, adoptLive } from '../../../src/cost/batch-budget.js';

describe('BatchBudget.admit', () => {
  // [limit, spent this run, reserved by live batches, estimate, verdict]
  it.each([
    [10, 0, 0, 4, 'fit'],
    [10, 6, 0, 4, 'fit'],
    [10, 0, 6, 4, 'fit'],
    [10, 6.5, 0, 4, 'exhausted'],
    [10, 0, 7, 4, 'later'],
    [10, 3, 4, 4, 'later'],
    [10, 7, 1, 4, 'exhausted'],
    [10, 0, 0, 10, 'fit'],
    [10, 0, 0, 10.01, 'exhausted'],
  ] as const)('limit %d, spent %d, live reserved %d, estimate %d -> %s', (limit, spent, reserved, estimate, expected) => {
    const budget = new BatchBudget(limit);
    budget.beginPass(0);
    if (spent > 0) {
      expect(budget.admit(spent)).toBe('fit');
      budget.settle(spent, spent);
    }
    budget.beginPass(reserved);
    expect(budget.admit(estimate)).toBe(expected);
    expect(budget.spentUsd + budget.reservedUsd).toBeLessThanOrEqual(limit + 1e-9);
  });

  it('reserves request after request and never beyond the limit, whatever the estimates', () => {
    const budget = new BatchBudget(1);
    budget.beginPass(0);
    let admitted = 0;
    for (let i = 0; i < 1000; i++) {
      if (budget.admit(0.0007 + (i % 7) * 0.0001) === 'fit') admitted += 0.0007 + (i % 7) * 0.0001;
      expect(budget.reservedUsd).toBeLessThanOrEqual(1 + 1e-9);
    }
    expect(budget.reservedUsd).toBeCloseTo(admitted, 12);
    expect(budget.reservedUsd).toBeGreaterThan(0.99);
  });

  it('holds every request after the first that did not fit, even smaller ones, and counts them', () => {
    const budget = new BatchBudget(10);
    budget.beginPass(0);
    expect(budget.admit(9)).toBe('fit');
    // Fits once this pass's batches settle below their reservations.
    expect(budget.admit(2)).toBe('later');
    // It would fit now, but it comes after a held request: records are submitted in input order.
    expect(budget.admit(0.5)).toBe('later');
    expect(budget.held).toBe(2);
    expect(budget.verdict).toBe('later');
    expect(budget.reservedUsd).toBe(9);
  });

  it('replaces reservations by real costs as lines settle, so a later pass fits what an earlier one held', () => {
    const budget = new BatchBudget(10);
    budget.beginPass(0);
    expect(budget.admit(6)).toBe('fit');
    expect(budget.admit(6)).toBe('later');
    expect(budget.verdict).toBe('later');
    // The batch answered for 2 of the 6 reserved: the checkpoint's live sum is 0 again.
    budget.settle(6, 2);
    budget.beginPass(0);
    expect(budget.verdict).toBe('fit');
    expect(budget.held).toBe(0);
    expect(budget.admit(6)).toBe('fit');
    expect(budget.spentUsd).toBe(2);
    // Beside a spend of 2 and nothing live, 3 more can never fit in this run.
    budget.settle(6, 6);
    budget.beginPass(0);
    expect(budget.admit(3)).toBe('exhausted');
    expect(budget.haltReason()).toMatch(/^spend budget --max-cost \$10\.00 reached: spent \$8\.00 at batch prices, the next request needs about \$3\.00; rerun with a larger --max-cost/);
  });

  it('refuses a bad estimate or reservation instead of corrupting the sums', () => {
    const budget = new BatchBudget(1);
    expect(() => budget.admit(Number.NaN)).toThrow(/finite amount/);
    expect(() => budget.admit(-1)).toThrow(/finite amount/);
    expect(() => budget.beginPass(Number.POSITIVE_INFINITY)).toThrow(/finite amount/);
    expect(() => new BatchBudget(0)).toThrow(/above zero/);
  });
});

describe('adoptLive', () => {
  it('counts every committed chunk, and the unsubmitted ones in order while they fit; the rest are held', () => {
    const live = [
      { chunkId: 4, usd: 3, committed: false },
      { chunkId: 1, usd: 5, committed: true },
      { chunkId: 3, usd: 1, committed: false },
      { chunkId: 5, usd: 0.5, committed: false },
    ];
    const adopted = adoptLive(10, live);
    // 5 committed + chunk 3 (1) + chunk 4 (3) + chunk 5 (0.5), in chunk order.
    expect(adopted.reservedUsd).toBe(9.5);
    expect([...adopted.held]).toEqual([]);
    const smaller = adoptLive(8, live);
    // 5 + 1 = 6; chunk 4 (3) does not fit, and chunk 5 after it is held too (no skipping ahead).
    expect(smaller.reservedUsd).toBe(6);
    expect([...smaller.held].sort()).toEqual([4, 5]);
  });

  it('never holds a committed chunk, even past the limit: its create was sent', () => {
    const adopted = adoptLive(1, [{ chunkId: 1, usd: 4, committed: true }, { chunkId: 2, usd: 0.1, committed: false }]);
    expect(adopted.reservedUsd).toBe(4);
    expect([...adopted.held]).toEqual([2]);
  });
});
