import { describe, expect, it } from 'vitest';
import { SpendBudget, type Reservation, type ReserveVerdict } from '../../../src/cost/spend-budget.js';

function reservation(verdict: ReserveVerdict): Reservation {
  if (typeof verdict === 'string') throw new Error(`expected a reservation, got ${verdict}`);
  return verdict;
}

describe('SpendBudget.reserve', () => {
  // [limit, spent before, in flight (reserved each), estimate, verdict]
  it.each([
    [10, 0, [], 4, 'reserved'],
    [10, 6, [], 4, 'reserved'],
    [10, 6.5, [], 4, 'exhausted'],
    [10, 0, [5, 4], 1, 'reserved'],
    [10, 0, [5, 4], 2, 'wait'],
    [10, 9, [0.5], 2, 'exhausted'],
    [10, 0, [], 10, 'reserved'],
    [10, 0, [], 10.01, 'exhausted'],
  ] as const)('limit %d, spent %d, in flight %j, estimate %d -> %s', (limit, spent, inFlight, estimate, expected) => {
    const budget = new SpendBudget(limit, spent);
    for (const amount of inFlight) reservation(budget.reserve(amount));
    const verdict = budget.reserve(estimate);
    expect(typeof verdict === 'string' ? verdict : 'reserved').toBe(expected);
  });

  it('fits an exact sum of many small prices despite float drift', () => {
    const budget = new SpendBudget(1);
    for (let i = 0; i < 10; i++) reservation(budget.reserve(0.1));
    expect(budget.reservedUsd).toBeCloseTo(1);
  });

  it('stays exhausted once it is, so the run halts instead of picking cheaper lines', () => {
    const budget = new SpendBudget(1, 0.9);
    expect(budget.reserve(0.5)).toBe('exhausted');
    expect(budget.reserve(0.01)).toBe('exhausted');
    expect(budget.haltReason()).toBe('spend budget --max-cost $1.00 reached: spent $0.90, the next request needs about $0.50; rerun with a larger --max-cost to resume');
  });
});

describe('SpendBudget with many requests in flight', () => {
  it('never lets spent + reserved exceed the budget while settles come in lower and higher than estimated', () => {
    // guards: calls in flight cannot overshoot the budget (LiteLLM's max_budget checks only before each call)
    const budget = new SpendBudget(1);
    const open: Reservation[] = [];
    let waits = 0;
    let settled = 0;
    // A deterministic mix: each request is estimated at 0.05 and really costs 0.02 .. 0.05 (never above).
    const actual = (i: number) => 0.02 + ((i * 7) % 4) * 0.01;
    for (let i = 0; i < 200 && !budget.exhausted; i++) {
      let verdict = budget.reserve(0.05);
      while (verdict === 'wait') {
        waits++;
        const oldest = open.shift();
        if (oldest === undefined) throw new Error('wait with nothing in flight');
        budget.settle(oldest, actual(settled++));
        verdict = budget.reserve(0.05);
      }
      if (verdict === 'exhausted') break;
      open.push(verdict);
      expect(budget.spentUsd + budget.reservedUsd).toBeLessThanOrEqual(1 + 1e-9);
    }
    for (const left of open.splice(0)) budget.settle(left, actual(settled++));
    expect(waits).toBeGreaterThan(0);
    expect(budget.exhausted).toBe(true);
    expect(budget.spentUsd).toBeLessThanOrEqual(1);
    expect(budget.spentUsd).toBeGreaterThan(0.95);
    expect(budget.overshootUsd).toBe(0);
    expect(budget.inFlight).toBe(0);
    expect(budget.reservedUsd).toBe(0);
  });

  it('frees room when answers cost less than reserved, and shows an overshoot only when one costs more', () => {
    const budget = new SpendBudget(1);
    const a = reservation(budget.reserve(0.6));
    expect(budget.reserve(0.6)).toBe('wait');
    budget.settle(a, 0.3);
    const b = reservation(budget.reserve(0.6));
    expect(budget.spentUsd + budget.reservedUsd).toBeCloseTo(0.9);
    budget.settle(b, 0.8);
    expect(budget.overshootUsd).toBeCloseTo(0.1);
  });

  it('gives a released reservation back, and refuses to settle one twice', () => {
    const budget = new SpendBudget(1);
    const a = reservation(budget.reserve(1));
    budget.release(a);
    expect(budget.reservedUsd).toBe(0);
    expect(() => budget.settle(a, 0)).toThrow(/already settled or released/);
    expect(typeof budget.reserve(1)).toBe('object');
  });

  it('wakes a waiting sender on the next settle (an event, not a poll)', async () => {
    const budget = new SpendBudget(1);
    const a = reservation(budget.reserve(0.8));
    expect(budget.reserve(0.5)).toBe('wait');
    const woken = budget.changed();
    budget.settle(a, 0.4);
    await woken;
    expect(typeof budget.reserve(0.5)).toBe('object');
  });

  it('refuses a non-finite or negative estimate', () => {
    const budget = new SpendBudget(1);
    expect(() => budget.reserve(Number.NaN)).toThrow();
    expect(() => budget.reserve(-1)).toThrow();
  });
});
