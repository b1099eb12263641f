import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILTIN_PRICES, BUILTIN_PRICES_NOTE, PRICES_AS_OF } from '../../../src/cost/builtin-prices.js';
import { costUsd, formatUsd } from '../../../src/cost/model-price.js';
import { MAX_PRICE_FILE_BYTES, PriceBook, candidateNames, loadPriceFile, parsePriceTable } from '../../../src/cost/price-table.js';
import { UsageError } from '../../../src/errors.js';

// The shape of LiteLLM's model_prices_and_context_window.json, trimmed to a few entries.
const LITELLM = {
  sample_spec: { input_cost_per_token: 0.0, output_cost_per_token: 0.0, litellm_provider: 'one of ...', max_tokens: 'LEGACY parameter' },
  'gpt-4o': {
    input_cost_per_token: 2.5e-6,
    output_cost_per_token: 1e-5,
    input_cost_per_token_batches: 1.25e-6,
    output_cost_per_token_batches: 5e-6,
    cache_read_input_token_cost: 1.25e-6,
    litellm_provider: 'openai',
    max_output_tokens: 16384,
    mode: 'chat',
    supports_vision: true,
  },
  'anthropic/claude-sonnet-4-5': { input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5, litellm_provider: 'anthropic', mode: 'chat' },
  'deepseek/deepseek-chat': { input_cost_per_token: 2.7e-7, output_cost_per_token: 1.1e-6, litellm_provider: 'deepseek' },
  'bedrock/claude-haiku-4-5': { input_cost_per_token: 9e-6, output_cost_per_token: 9e-6 },
  'text-embedding-3-small': { input_cost_per_token: 2e-8, litellm_provider: 'openai', mode: 'embedding' },
  'chat-without-output-price': { input_cost_per_token: 1e-6, mode: 'chat' },
  '1024-x-1024/dall-e-2': { input_cost_per_pixel: 1.9e-8, output_cost_per_pixel: 0.0, mode: 'image_generation' },
  'search-thing': { input_cost_per_query: 0.005 },
};

const book = () => new PriceBook({ file: 'p.json', table: parsePriceTable('p.json', JSON.stringify(LITELLM)), builtin: false });

describe('parsePriceTable (LiteLLM format)', () => {
  const table = parsePriceTable('p.json', JSON.stringify(LITELLM));
  it('keeps token-priced models, with batch prices and output caps, and ignores sample_spec and unknown fields', () => {
    expect(table.get('gpt-4o')).toEqual({ inputPerToken: 2.5e-6, outputPerToken: 1e-5, inputPerTokenBatch: 1.25e-6, outputPerTokenBatch: 5e-6, maxOutputTokens: 16384 });
    expect(table.has('sample_spec')).toBe(false);
  });
  it('prices an embedding model without an output price at 0 output, but leaves a chat model without one unpriced', () => {
    expect(table.get('text-embedding-3-small')?.outputPerToken).toBe(0);
    expect(table.has('chat-without-output-price')).toBe(false);
  });
  it('leaves out models priced per pixel or per query', () => {
    expect(table.has('1024-x-1024/dall-e-2')).toBe(false);
    expect(table.has('search-thing')).toBe(false);
  });
  it.each([
    ['{', /--prices p.json: not valid JSON/],
    ['[]', /expected an object of model names to prices/],
    ['{"x": {"input_cost_per_token": "cheap", "output_cost_per_token": 1}}', /"x".input_cost_per_token: expected a number of US dollars >= 0, got "cheap"/],
    ['{"x": {"input_cost_per_token": 1, "output_cost_per_token": -1}}', /"x".output_cost_per_token: expected a number of US dollars >= 0, got -1/],
    ['{"sample_spec": {}}', /holds no model priced per token/],
  ])('refuses %s', (text, expected) => {
    expect(() => parsePriceTable('p.json', text)).toThrow(expected);
    expect(() => parsePriceTable('p.json', text)).toThrow(UsageError);
  });
});

describe('lookup rule', () => {
  it.each([
    ['gpt-4o', 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['openai/gpt-4o', 'gpt-4o'],
    ['claude-sonnet-4-5', 'anthropic/claude-sonnet-4-5'],
    ['claude-sonnet-4-5-20250929', 'anthropic/claude-sonnet-4-5'],
    ['anthropic/claude-sonnet-4-5', 'anthropic/claude-sonnet-4-5'],
    ['deepseek-chat', 'deepseek/deepseek-chat'],
    ['openrouter/deepseek/deepseek-chat', 'deepseek/deepseek-chat'],
  ])('%s is found under %s', (model, key) => {
    expect(book().lookup(model)?.key).toBe(key);
  });

  it.each(['claude-haiku-4-5', 'llama3', 'gpt-4o-mini', 'chat-without-output-price'])('%s is unpriced (never $0)', (model) => {
    // guards: a reseller's price (bedrock/) is not taken for the first-party model
    expect(book().lookup(model)).toBeUndefined();
  });

  it('prefers an exact dated entry over the undated one', () => {
    const table = new Map([
      ['gpt-4o', { inputPerToken: 1, outputPerToken: 1, inputPerTokenBatch: undefined, outputPerTokenBatch: undefined, maxOutputTokens: undefined }],
      ['gpt-4o-2024-05-13', { inputPerToken: 2, outputPerToken: 2, inputPerTokenBatch: undefined, outputPerTokenBatch: undefined, maxOutputTokens: undefined }],
    ]);
    expect(new PriceBook({ table, builtin: false }).lookup('gpt-4o-2024-05-13')?.inputPerToken).toBe(2);
  });

  it('lists the names it tries in order', () => {
    expect(candidateNames('anthropic/claude-x-20250101').slice(0, 3)).toEqual(['anthropic/claude-x-20250101', 'claude-x-20250101', 'openai/claude-x-20250101']);
    expect(candidateNames('gpt-4o-2024-08-06')).toContain('gpt-4o');
  });

  it('takes the file first, then the built-in table, and says which', () => {
    const layered = new PriceBook({ file: 'p.json', table: parsePriceTable('p.json', JSON.stringify(LITELLM)) });
    expect(layered.lookup('gpt-4o')).toMatchObject({ source: 'file', inputPerToken: 2.5e-6 });
    expect(layered.lookup('claude-haiku-4-5')).toMatchObject({ source: 'builtin', key: 'claude-haiku-4-5' });
  });
});

describe('built-in prices', () => {
  it('carry their date and the sentence that says so', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(BUILTIN_PRICES_NOTE).toBe(`built-in prices as of ${PRICES_AS_OF}; pass --prices FILE for current ones`);
  });
  it.each(['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'text-embedding-3-small', 'text-embedding-3-large', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1', 'deepseek-chat', 'deepseek-reasoner'])(
    '%s is priced, its batch price at most its standard one',
    (model) => {
      const entry = BUILTIN_PRICES[model];
      expect(entry?.inputPerToken).toBeGreaterThan(0);
      expect(entry?.inputPerTokenBatch ?? entry?.inputPerToken).toBeLessThanOrEqual(entry?.inputPerToken ?? 0);
    },
  );
  it('finds dated Anthropic and OpenAI names', () => {
    const prices = new PriceBook();
    expect(prices.lookup('claude-sonnet-4-5-20250929')?.key).toBe('claude-sonnet-4-5');
    expect(prices.lookup('gpt-4o-2024-08-06')?.key).toBe('gpt-4o');
    expect(prices.lookup('gpt-4o-2024-05-13')?.inputPerToken).toBeCloseTo(5e-6);
  });
});

describe('costUsd and formatUsd', () => {
  const entry = BUILTIN_PRICES['gpt-4o'];
  it('charges standard or batch prices per token', () => {
    if (entry === undefined) throw new Error('gpt-4o missing');
    expect(costUsd(entry, 1_000_000, 1_000_000)).toBeCloseTo(12.5);
    expect(costUsd(entry, 1_000_000, 1_000_000, 'batch')).toBeCloseTo(6.25);
    // a model without batch prices is charged its standard price under batch pricing (errs high)
    const deepseek = BUILTIN_PRICES['deepseek-chat'];
    if (deepseek === undefined) throw new Error('deepseek-chat missing');
    expect(costUsd(deepseek, 1_000_000, 0, 'batch')).toBeCloseTo(0.56);
  });
  it.each([
    [0, '$0.00'],
    [12.345, '$12.35'],
    [0.0123, '$0.012'],
  ])('%d -> %s', (usd, text) => expect(formatUsd(usd)).toBe(text));
});

describe('loadPriceFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-prices-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a file and refuses one over the size cap with a clear error', () => {
    const file = path.join(dir, 'prices.json');
    fs.writeFileSync(file, JSON.stringify(LITELLM));
    expect(loadPriceFile(file).has('gpt-4o')).toBe(true);
    const big = path.join(dir, 'big.json');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, MAX_PRICE_FILE_BYTES + 1);
    expect(() => loadPriceFile(big)).toThrow(`--prices ${big}: expected a price table of at most 32 MB, got ${MAX_PRICE_FILE_BYTES + 1} bytes`);
    expect(() => loadPriceFile(path.join(dir, 'none.json'))).toThrow(/cannot read it \(ENOENT\)/);
  });
});
