import { describe, expect, it } from 'vitest';
import { BUILTIN_PRICES_NOTE, PRICES_AS_OF } from '../../../src/cost/builtin-prices.js';
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
const fileBook = () => new PriceBook({ file: 'p.json', table: new Map([['gpt-x', entry(1e-6, 2e-6, [0.5e-6, 1e-6])], ['claude-y', entry(3e-6, 15e-6)]]), builtin: false });
const usage = (promptTokens: number | null, completionTokens: number | null) => ({ promptTokens, completionTokens });

describe('CostLedger', () => {
  it('sums requests, tokens and dollars per model, in the summary shape', () => {
    const ledger = new CostLedger(fileBook());
    expect(ledger.recordResponse('gpt-x', usage(1000, 500))).toBeCloseTo(0.002);
    ledger.recordResponse('gpt-x', usage(1000, 500));
    ledger.recordResponse('claude-y', usage(100, 10));
    const summary = ledger.summary();
    expect(summary.by_model).toEqual({
      'claude-y': { requests: 1, prompt_tokens: 100, completion_tokens: 10, usd: expect.closeTo(0.00045, 10) as unknown },
      'gpt-x': { requests: 2, prompt_tokens: 2000, completion_tokens: 1000, usd: expect.closeTo(0.004, 10) as unknown },
    });
    expect(summary.usd).toBeCloseTo(0.00445, 10);
    expect(ledger.spentUsd).toBeCloseTo(0.00445, 10);
    expect(summary).toMatchObject({ unpriced_models: [], prices_source: 'file', prices_as_of: null, prices_note: null, pricing: 'standard' });
  });

  it('reports an unpriced model as unpriced (usd null), never as $0, and leaves it out of the total', () => {
    const ledger = new CostLedger(fileBook());
    ledger.recordResponse('gpt-x', usage(1000, 0));
    expect(ledger.recordResponse('llama3', usage(50, 50))).toBeNull();
    const summary = ledger.summary();
    expect(summary.by_model['llama3']).toEqual({ requests: 1, prompt_tokens: 50, completion_tokens: 50, usd: null });
    expect(summary.unpriced_models).toEqual(['llama3']);
    expect(summary.usd).toBeCloseTo(0.001);
  });

  it('has a null total when requests were sent but no model is priced, and 0 when nothing was sent', () => {
    const ledger = new CostLedger(fileBook());
    expect(ledger.summary().usd).toBe(0);
    ledger.recordResponse('llama3', usage(1, 1));
    expect(ledger.summary().usd).toBeNull();
  });

  it('counts cache hits as savings, not spend', () => {
    const ledger = new CostLedger(fileBook());
    expect(ledger.recordCacheHit('gpt-x', usage(1000, 500))).toBeCloseTo(0.002);
    ledger.recordCacheHit('llama3', usage(1000, 500));
    const summary = ledger.summary();
    expect(summary).toMatchObject({ usd: 0, cache_hits: 2, unpriced_models: ['llama3'] });
    expect(summary.saved_usd).toBeCloseTo(0.002);
    expect(summary.by_model['gpt-x']).toEqual({ requests: 0, prompt_tokens: 0, completion_tokens: 0, usd: 0 });
  });

  it('counts answers without usage, and leaves their cost out', () => {
    const ledger = new CostLedger(fileBook());
    expect(ledger.recordResponse('gpt-x', null)).toBeNull();
    expect(ledger.recordResponse('gpt-x', usage(10, null))).toBeNull();
    expect(ledger.summary()).toMatchObject({ requests_without_usage: 2, usd: 0 });
  });

  it('charges batch prices when asked, and standard ones for a model without batch prices', () => {
    const ledger = new CostLedger(fileBook(), 'batch');
    expect(ledger.recordResponse('gpt-x', usage(1000, 1000))).toBeCloseTo(0.0015);
    expect(ledger.recordResponse('claude-y', usage(1000, 0))).toBeCloseTo(0.003);
    expect(ledger.summary().pricing).toBe('batch');
  });

  it('says when built-in prices were used, with their date', () => {
    const ledger = new CostLedger(new PriceBook({ file: 'p.json', table: new Map([['gpt-x', entry(1e-6, 1e-6)]]) }));
    ledger.recordResponse('gpt-x', usage(1, 1));
    expect(ledger.summary()).toMatchObject({ prices_source: 'file' });
    ledger.recordResponse('claude-sonnet-4-5', usage(1, 1));
    expect(ledger.usesBuiltinPrices).toBe(true);
    expect(ledger.summary()).toMatchObject({ prices_source: 'file+builtin', prices_as_of: PRICES_AS_OF, prices_note: BUILTIN_PRICES_NOTE });
  });
});
