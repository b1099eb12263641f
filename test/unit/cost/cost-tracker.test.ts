import { describe, expect, it } from 'vitest';
import { CostTracker } from '../../../src/cost/cost-tracker.js';
import type { PriceEntry } from '../../../src/cost/model-price.js';
import { PriceBook } from '../../../src/cost/price-table.js';
import { UnpricedModelError } from '../../../src/cost/spend-estimate.js';
import type { Reservation } from '../../../src/cost/spend-budget.js';

const entry = (input: number, output: number): PriceEntry => ({ inputPerToken: input, outputPerToken: output, inputPerTokenBatch: undefined, outputPerTokenBatch: undefined, maxOutputTokens: 1000 });
const prices = new PriceBook({ table: new Map([['gpt-x', entry(1e-3, 1e-3)]]), builtin: false });
const job = (model: string, maxTokens?: number) => ({
  line: 4,
  endpoint: '/v1/chat/completions' as const,
  estimatedTokens: 100,
  body: maxTokens === undefined ? { model, messages: [] } : { model, messages: [], max_tokens: maxTokens },
});

function sent(verdict: ReturnType<CostTracker['admit']>): Reservation | null {
  if (verdict.kind !== 'send') throw new Error(`expected send, got ${verdict.kind}`);
  return verdict.reservation;
}

describe('CostTracker without --max-cost', () => {
  it('sends without reserving, and prices and counts each answer', () => {
    const tracker = new CostTracker({ prices });
    expect(tracker.budget).toBeUndefined();
    expect(() => tracker.check(job('llama3'))).not.toThrow();
    const reservation = sent(tracker.admit(job('gpt-x')));
    expect(reservation).toBeNull();
    expect(tracker.answered(job('gpt-x'), reservation, { promptTokens: 100, completionTokens: 50 })).toEqual({ model: 'gpt-x', promptTokens: 100, completionTokens: 50, costUsd: expect.closeTo(0.15, 10) as unknown });
    expect(tracker.answered(job('llama3'), null, { promptTokens: 1, completionTokens: 1 }).costUsd).toBeNull();
    expect(tracker.cacheHit(job('gpt-x'), { promptTokens: 100, completionTokens: 0 })).toMatchObject({ model: 'gpt-x', costUsd: expect.closeTo(0.1, 10) as unknown });
    expect(tracker.summary()).toMatchObject({ unpriced_models: ['llama3'], cache_hits: 1 });
    expect(tracker.summary().saved_usd).toBeCloseTo(0.1);
    expect(tracker.progressText()).toBe('$0.15');
  });
});

describe('CostTracker with --max-cost', () => {
  it('refuses an unpriced model before anything is sent', () => {
    const tracker = new CostTracker({ prices, maxCostUsd: 1 });
    expect(() => tracker.check(job('llama3'))).toThrow(UnpricedModelError);
  });

  it('reserves prompt + max_tokens, settles with the real cost, and halts when the next one cannot fit', () => {
    const tracker = new CostTracker({ prices, maxCostUsd: 1 });
    // 100 prompt + 200 max_tokens at $0.001 each: $0.30 reserved per request
    const a = sent(tracker.admit(job('gpt-x', 200)));
    const b = sent(tracker.admit(job('gpt-x', 200)));
    const c = sent(tracker.admit(job('gpt-x', 200)));
    expect(tracker.admit(job('gpt-x', 200))).toEqual({ kind: 'wait' });
    tracker.answered(job('gpt-x'), a, { promptTokens: 100, completionTokens: 20 });
    expect(tracker.budget?.spentUsd).toBeCloseTo(0.12);
    // 0.12 spent + 0.60 reserved: a fourth still does not fit until b is given back
    expect(tracker.admit(job('gpt-x', 200))).toEqual({ kind: 'wait' });
    tracker.unanswered(b, false);
    const d = sent(tracker.admit(job('gpt-x', 200)));
    tracker.unanswered(c, true);
    tracker.answered(job('gpt-x'), d, null);
    // spent: 0.12 + 0.30 (c, maybe billed) + 0.30 (d, no usage: its reservation) = 0.72
    expect(tracker.budget?.spentUsd).toBeCloseTo(0.72);
    expect(tracker.admit(job('gpt-x', 200))).toEqual({ kind: 'exhausted' });
    expect(tracker.budget?.haltReason()).toMatch(/^spend budget --max-cost \$1\.00 reached: spent \$0\.72/);
    expect(tracker.progressText()).toBe('$0.12 of $1.00');
  });

  it('reserves the fallback max_tokens of the route when the line has none, and nothing for embeddings output', () => {
    const tracker = new CostTracker({ prices, maxCostUsd: 1 });
    const r = sent(tracker.admit(job('gpt-x'), 50));
    expect(r?.usd).toBeCloseTo(0.15);
    const e = sent(tracker.admit({ ...job('gpt-x'), endpoint: '/v1/embeddings' }));
    expect(e?.usd).toBeCloseTo(0.1);
  });
});
