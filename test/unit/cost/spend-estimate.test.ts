import { describe, expect, it } from 'vitest';
import type { PriceEntry } from '../../../src/cost/model-price.js';
import { PriceBook } from '../../../src/cost/price-table.js';
import {
  COLD_COMPLETION_TOKENS,
  COMPLETION_MARGIN,
  FOREIGN_TOKENIZER_MARGIN,
  LEARN_AFTER,
  SpendEstimator,
  UnpricedModelError,
  completionBound,
} from '../../../src/cost/spend-estimate.js';

const entry = (input: number, output: number, maxOutputTokens?: number): PriceEntry => ({
  inputPerToken: input,
  outputPerToken: output,
  inputPerTokenBatch: input / 2,
  outputPerTokenBatch: output / 2,
  maxOutputTokens,
});
const prices = new PriceBook({
  table: new Map([
    ['gpt-x', entry(1e-6, 4e-6, 1000)],
    ['gpt-open', entry(1e-6, 4e-6)],
    ['claude-y', entry(1e-6, 1e-6, 500)],
  ]),
  builtin: false,
});

describe('SpendEstimator', () => {
  it.each([
    ['line max_tokens', { line: 1, model: 'gpt-x', promptTokens: 100, maxTokens: 50 }, 100e-6 + 50 * 4e-6],
    ['model output cap before anything is learned', { line: 1, model: 'gpt-x', promptTokens: 100, maxTokens: undefined }, 100e-6 + 1000 * 4e-6],
    ['cold-start guess without a cap', { line: 1, model: 'gpt-open', promptTokens: 0, maxTokens: undefined }, COLD_COMPLETION_TOKENS * 4e-6],
    ['embeddings: no completion', { line: 1, model: 'gpt-x', promptTokens: 100, maxTokens: undefined, embeddings: true }, 100e-6],
    ['a margin on prompts of models another tokenizer counts', { line: 1, model: 'claude-y', promptTokens: 100, maxTokens: 10 }, Math.ceil(100 * FOREIGN_TOKENIZER_MARGIN) * 1e-6 + 10e-6],
  ])('%s', (_name, request, expected) => {
    expect(new SpendEstimator(prices).estimateUsd(request)).toBeCloseTo(expected, 12);
  });

  it('uses batch prices when asked', () => {
    expect(new SpendEstimator(prices, 'batch').estimateUsd({ line: 1, model: 'gpt-x', promptTokens: 100, maxTokens: 50 })).toBeCloseTo((100e-6 + 50 * 4e-6) / 2, 12);
  });

  it('learns the mean completion with a margin after enough answers, capped by the model limit', () => {
    const estimator = new SpendEstimator(prices);
    const request = { line: 1, model: 'gpt-x', promptTokens: 0, maxTokens: undefined };
    for (let i = 0; i < LEARN_AFTER - 1; i++) estimator.learn('gpt-x', 100);
    expect(estimator.estimateUsd(request)).toBeCloseTo(1000 * 4e-6, 12);
    estimator.learn('gpt-x', 100);
    expect(estimator.estimateUsd(request)).toBeCloseTo(100 * COMPLETION_MARGIN * 4e-6, 12);
    for (let i = 0; i < 100; i++) estimator.learn('gpt-x', 5000);
    expect(estimator.estimateUsd(request)).toBeCloseTo(1000 * 4e-6, 12);
  });

  it('refuses an unpriced model with exit 2, naming the line and the model', () => {
    let error: unknown;
    try {
      new SpendEstimator(prices).estimateUsd({ line: 12, model: 'llama3', promptTokens: 1, maxTokens: 1 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnpricedModelError);
    expect(error).toMatchObject({ line: 12, model: 'llama3', exitCode: 2, code: 'MS_UNPRICED_MODEL' });
    expect((error as Error).message).toBe('line 12: model "llama3" has no price, and --max-cost needs one to keep the budget');
  });
});

describe('completionBound', () => {
  it.each([
    [{ max_tokens: 64 }, 64],
    [{ max_completion_tokens: 32, max_tokens: 64 }, 32],
    [{ max_tokens: 0 }, undefined],
    [{ max_tokens: '5' }, undefined],
    [{}, undefined],
  ])('%j -> %s', (body, expected) => expect(completionBound(body)).toBe(expected));
});
