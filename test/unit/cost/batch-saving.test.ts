import { describe, expect, it } from 'vitest';
import { batchCostSummary, savedVsLiveUsd } from '../../../src/cost/batch-saving.js';
import { CostLedger } from '../../../src/cost/cost-ledger.js';
import type { PriceEntry } from '../../../src/cost/model-price.js';
import { PriceBook } from '../../../src/cost/price-table.js';

const entry = (input: number, output: number, batch?: [number, number]): PriceEntry => ({
  inputPerToken: input,
  outputPerToken: output,
  inputPerTokenBatch: batch?.[0],
  outputPerTokenBatch: batch?.[1],
  maxOutputTokens: undefined,
});
// gpt-x: batch is half of live; deep-z has no batch prices (it costs the same either way).
const book = () =>
  new PriceBook({ file: 'p.json', table: new Map([['gpt-x', entry(2e-6, 8e-6, [1e-6, 4e-6])], ['deep-z', entry(1e-6, 2e-6)]]), builtin: false });
const usage = (promptTokens: number | null, completionTokens: number | null) => ({ promptTokens, completionTokens });

describe('savedVsLiveUsd', () => {
  const cases: { name: string; answers: [string, number | null, number | null][]; pricing: 'batch' | 'standard'; saved: number | null }[] = [
    // live 1000*2e-6 + 500*8e-6 = 0.006, batch 0.003
    { name: 'half of the live price for a model with batch prices', answers: [['gpt-x', 1000, 500]], pricing: 'batch', saved: 0.003 },
    { name: 'sums over answers and models; no saving for a model without batch prices', answers: [['gpt-x', 1000, 500], ['gpt-x', 1000, 500], ['deep-z', 400, 100]], pricing: 'batch', saved: 0.006 },
    { name: 'an unpriced model is left out, never counted as saved', answers: [['gpt-x', 1000, 500], ['llama3', 1e6, 1e6]], pricing: 'batch', saved: 0.003 },
    { name: 'null when nothing was priced', answers: [['llama3', 10, 10]], pricing: 'batch', saved: null },
    { name: 'nothing saved at standard prices', answers: [['gpt-x', 1000, 500]], pricing: 'standard', saved: 0 },
    { name: 'answers without usage add nothing', answers: [['gpt-x', 1000, 500], ['gpt-x', null, null]], pricing: 'batch', saved: 0.003 },
    { name: 'nothing answered: 0', answers: [], pricing: 'batch', saved: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const prices = book();
      const ledger = new CostLedger(prices, c.pricing);
      for (const [model, prompt, completion] of c.answers) ledger.recordResponse(model, usage(prompt, completion));
      const saved = savedVsLiveUsd(ledger.summary(), prices);
      if (c.saved === null) expect(saved).toBeNull();
      else expect(saved).toBeCloseTo(c.saved, 12);
    });
  }

  it('does not count cache hits (they are saved_usd, at batch prices)', () => {
    const prices = book();
    const ledger = new CostLedger(prices, 'batch');
    ledger.recordResponse('gpt-x', usage(1000, 500));
    ledger.recordCacheHit('gpt-x', usage(1000, 500));
    const summary = batchCostSummary(ledger.summary(), prices);
    expect(summary.saved_vs_live_usd).toBeCloseTo(0.003, 12);
    expect(summary.saved_usd).toBeCloseTo(0.003, 12);
    expect(summary).toMatchObject({ pricing: 'batch', cache_hits: 1, usd: expect.closeTo(0.003, 12) as unknown });
  });

  it('with built-in prices, gpt-4o at batch prices saves half its live cost', () => {
    const prices = new PriceBook();
    const ledger = new CostLedger(prices, 'batch');
    ledger.recordResponse('gpt-4o-2024-08-06', usage(1_000_000, 100_000));
    const summary = batchCostSummary(ledger.summary(), prices);
    // live: 2.5 + 1.0 = 3.5; batch: 1.75
    expect(summary.usd).toBeCloseTo(1.75, 9);
    expect(summary.saved_vs_live_usd).toBeCloseTo(1.75, 9);
    expect(summary.prices_note).toContain('built-in prices as of');
  });
});

describe('built-in batch prices', () => {
  // guards: batch runs of OpenAI and Anthropic models are priced at the Batch API's 50%, not at live prices
  it('every OpenAI and Anthropic model has batch prices at half its live ones', async () => {
    const { BUILTIN_PRICES } = await import('../../../src/cost/builtin-prices.js');
    const models = Object.entries(BUILTIN_PRICES).filter(([model]) => /^(gpt-|text-embedding-|claude-)/.test(model));
    expect(models.length).toBeGreaterThan(10);
    for (const [, price] of models) {
      expect(price.inputPerTokenBatch).toBeCloseTo(price.inputPerToken / 2, 15);
      expect(price.outputPerTokenBatch).toBeCloseTo(price.outputPerToken / 2, 15);
    }
  });
});
