import { describe, expect, it } from 'vitest';
import type { RateLimitSnapshot } from '../../../src/provider/rate-limit-headers.js';
import { HeaderBudget } from '../../../src/traffic/header-budget.js';

const IDLE = { requests: 0, tokens: 0 };
const one = (tokens = 0) => ({ requests: 1, tokens });

describe('HeaderBudget', () => {
  it('never waits before an answer told it a budget, nor for a server that sends no headers', () => {
    const budget = new HeaderBudget();
    expect(budget.wait(one(1000), 0)).toEqual({ waitMs: 0, exhausted: false });
    budget.onSnapshot({}, IDLE, 0);
    expect(budget.known).toBe(false);
    expect(budget.wait(one(1000), 0).waitMs).toBe(0);
  });

  it.each([
    // [snapshot, cost, expected wait, exhausted]
    // 300 requests refill over 1 s: 0.3 per ms; 1 request + 1% reserve (3) from 0 -> 14 ms
    [{ limitRequests: 300, remainingRequests: 0, resetRequestsMs: 1000 }, one(), 14, true],
    [{ limitRequests: 300, remainingRequests: 200, resetRequestsMs: 334 }, one(), 0, false],
    // guards: a TPM reset of 6m0s costs what refilling this request's tokens takes, not six minutes
    [{ limitTokens: 1_000_000, remainingTokens: 0, resetTokensMs: 360_000 }, one(500), Math.ceil((500 + 10_000) / (1_000_000 / 360_000)), true],
    [{ limitTokens: 1_000_000, remainingTokens: 50_000, resetTokensMs: 342_000, limitRequests: 300, remainingRequests: 299, resetRequestsMs: 4 }, one(500), 0, false],
    // no limit sent: the budget is back at the reset
    [{ remainingRequests: 0, resetRequestsMs: 700 }, one(), 700, true],
    // not exhausted per the server (remaining 2 >= 1), but below the reserve: pacing, not a hold
    [{ limitRequests: 300, remainingRequests: 2, resetRequestsMs: 993 }, one(), 7, false],
  ] as [RateLimitSnapshot, { requests: number; tokens: number }, number, boolean][])('%j, cost %j -> wait %d ms', (snapshot, cost, waitMs, exhausted) => {
    const budget = new HeaderBudget();
    budget.onSnapshot(snapshot, IDLE, 1000);
    expect(budget.wait(cost, 1000)).toEqual({ waitMs, exhausted });
  });

  it('counts requests still in flight as spent, and spends what it admits', () => {
    const budget = new HeaderBudget({ reserveShare: 0 });
    budget.onSnapshot({ limitRequests: 100, remainingRequests: 10, resetRequestsMs: 9000 }, { requests: 8, tokens: 0 }, 0);
    expect(budget.wait(one(), 0).waitMs).toBe(0);
    budget.take(one(), 0);
    budget.take(one(), 0);
    expect(budget.wait(one(), 0).waitMs).toBe(100); // refill 0.01 per ms
    expect(budget.wait(one(), 100).waitMs).toBe(0);
  });

  it('projects the refill between answers and never past the limit', () => {
    const budget = new HeaderBudget({ reserveShare: 0 });
    budget.onSnapshot({ limitRequests: 10, remainingRequests: 0, resetRequestsMs: 1000 }, IDLE, 0);
    for (let index = 0; index < 10; index++) budget.take(one(), 10_000); // a long idle filled it to 10, not more
    expect(budget.wait(one(), 10_000).waitMs).toBe(100);
  });

  it('takes the tighter of requests and tokens, and reports the refill it learned', () => {
    const budget = new HeaderBudget({ reserveShare: 0 });
    budget.onSnapshot({ limitRequests: 300, remainingRequests: 0, resetRequestsMs: 1000, limitTokens: 24_000, remainingTokens: 0, resetTokensMs: 1000 }, IDLE, 0);
    expect(budget.wait(one(240), 0).waitMs).toBe(10); // 240 tokens at 24 per ms beats 1 request at 0.3 per ms (4 ms)
    expect(budget.refillRequestsPerSecond()).toBe(300);
  });
});
