import { describe, expect, it } from 'vitest';
import type { SpendSummary } from '../../../src/checkpoint/cost-queries.js';
import { CostLedger } from '../../../src/cost/cost-ledger.js';
import { PriceBook } from '../../../src/cost/price-table.js';
import { costSummaryLines, spendJson, spendText } from '../../../src/output/cost-view.js';

const spend: SpendSummary = {
  usd: 1.23,
  savedUsd: 0.1,
  unpricedModels: ['llama3'],
  byModel: [
    { model: 'claude-sonnet-4-5', requests: 2, cacheHits: 0, promptTokens: 20, completionTokens: 10, usd: 0.23, savedUsd: null },
    { model: 'gpt-4o', requests: 3, cacheHits: 1, promptTokens: 30, completionTokens: 15, usd: 1, savedUsd: 0.1 },
    { model: 'llama3', requests: 1, cacheHits: 0, promptTokens: 5, completionTokens: 5, usd: null, savedUsd: null },
  ],
};

describe('spendJson', () => {
  it('has the run summary cost shape', () => {
    expect(spendJson(spend)).toEqual({
      usd: 1.23,
      by_model: {
        'claude-sonnet-4-5': { requests: 2, prompt_tokens: 20, completion_tokens: 10, usd: 0.23 },
        'gpt-4o': { requests: 3, prompt_tokens: 30, completion_tokens: 15, usd: 1 },
        llama3: { requests: 1, prompt_tokens: 5, completion_tokens: 5, usd: null },
      },
      unpriced_models: ['llama3'],
      saved_usd: 0.1,
      cache_hits: 1,
    });
  });
});

describe('spendText', () => {
  it.each([
    [spend, '$1.23 (claude-sonnet-4-5 $0.23, gpt-4o $1.00; unpriced: llama3; cache saved $0.10)'],
    [{ usd: 0, savedUsd: 0, unpricedModels: [], byModel: [] }, '-'],
    [{ usd: null, savedUsd: 0, unpricedModels: ['x'], byModel: [{ model: 'x', requests: 1, cacheHits: 0, promptTokens: 1, completionTokens: 1, usd: null, savedUsd: null }] }, 'unpriced (unpriced: x)'],
  ] as [SpendSummary, string][])('%#', (summary, text) => expect(spendText(summary)).toBe(text));
});

describe('costSummaryLines', () => {
  it('prints the run cost and says when built-in prices were used', () => {
    const ledger = new CostLedger(new PriceBook());
    ledger.recordResponse('gpt-4o', { promptTokens: 1_000_000, completionTokens: 0 });
    ledger.recordResponse('llama3', { promptTokens: 1, completionTokens: 1 });
    ledger.recordResponse('gpt-4o', null);
    expect(costSummaryLines(ledger.summary())).toEqual([
      'cost       $2.50 (gpt-4o $2.50; unpriced: llama3)',
      '           1 answers had no token usage: their cost is not counted',
      `           ${ledger.summary().prices_note ?? ''}`,
    ]);
    expect(ledger.summary().prices_note).toMatch(/^built-in prices as of \d{4}-\d{2}-\d{2}; pass --prices FILE for current ones$/);
  });
});
