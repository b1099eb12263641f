// A small built-in price table of common OpenAI, Anthropic and DeepSeek models, used when --prices is not
// given (or lacks a model). Prices change: every output that uses them says when they were taken.
//
// Sources (read 2026-12-04):
// - Anthropic: LiteLLM's model_prices_and_context_window.json (BerriAI/litellm@00035b69f416) for claude-haiku-4-5,
//   claude-sonnet-4-5 and the Opus 4 models; batch = 50% per https://docs.anthropic.com/en/docs/build-with-claude/batch-processing
//   (Opus 4.1 batch $7.50 / $37.50 per MTok there).
// - OpenAI: https://platform.openai.com/docs/pricing (standard and Batch tiers; Batch is half of standard).
// - DeepSeek: https://api-docs.deepseek.com/quick_start/pricing (price list from 2025-09-05: $0.56 cache-miss
//   input, $1.68 output per MTok for deepseek-chat and deepseek-reasoner; no batch API). Cache-hit input is
//   cheaper; charging the miss price errs high, never low.
import type { PriceEntry } from './model-price.js';

export const PRICES_AS_OF = '2026-12-04';

/** Printed wherever a cost uses a built-in price. */
export const BUILTIN_PRICES_NOTE = `built-in prices as of ${PRICES_AS_OF}; pass --prices FILE for current ones`;

const PER_MILLION = 1e-6;

function price(input: number, output: number, batch: readonly [number, number] | undefined, maxOutputTokens: number | undefined): PriceEntry {
  return {
    inputPerToken: input * PER_MILLION,
    outputPerToken: output * PER_MILLION,
    inputPerTokenBatch: batch === undefined ? undefined : batch[0] * PER_MILLION,
    outputPerTokenBatch: batch === undefined ? undefined : batch[1] * PER_MILLION,
    maxOutputTokens,
  };
}

/** US dollars per million tokens: input, output, [batch input, batch output], the model's output cap. */
export const BUILTIN_PRICES: Readonly<Record<string, PriceEntry>> = {
  // OpenAI
  'gpt-4o': price(2.5, 10, [1.25, 5], 16_384),
  'gpt-4o-2024-05-13': price(5, 15, [2.5, 7.5], 4_096),
  'gpt-4o-mini': price(0.15, 0.6, [0.075, 0.3], 16_384),
  'gpt-4.1': price(2, 8, [1, 4], 32_768),
  'gpt-4.1-mini': price(0.4, 1.6, [0.2, 0.8], 32_768),
  'gpt-4.1-nano': price(0.1, 0.4, [0.05, 0.2], 32_768),
  'text-embedding-3-small': price(0.02, 0, [0.01, 0], undefined),
  'text-embedding-3-large': price(0.13, 0, [0.065, 0], undefined),
  // Anthropic
  'claude-sonnet-4-5': price(3, 15, [1.5, 7.5], 64_000),
  'claude-sonnet-4': price(3, 15, [1.5, 7.5], 64_000),
  'claude-haiku-4-5': price(1, 5, [0.5, 2.5], 64_000),
  'claude-opus-4-1': price(15, 75, [7.5, 37.5], 32_000),
  'claude-opus-4': price(15, 75, [7.5, 37.5], 32_000),
  // DeepSeek
  'deepseek-chat': price(0.56, 1.68, undefined, 8_192),
  'deepseek-reasoner': price(0.56, 1.68, undefined, 65_536),
};
