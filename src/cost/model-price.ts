// What a model's tokens cost, in US dollars per token, and the arithmetic on it.

export interface PriceEntry {
  readonly inputPerToken: number;
  readonly outputPerToken: number;
  /** OpenAI/Anthropic Batch API prices (`*_batches` in LiteLLM's table); undefined when the model has none. */
  readonly inputPerTokenBatch: number | undefined;
  readonly outputPerTokenBatch: number | undefined;
  /** The model's own output cap: an upper bound on completion tokens when a line sets no max_tokens. */
  readonly maxOutputTokens: number | undefined;
}

export type PriceSource = 'file' | 'builtin';

export interface ModelPrice extends PriceEntry {
  readonly source: PriceSource;
  /** The table name the price was found under (`gpt-4o` for `gpt-4o-2024-08-06`). */
  readonly key: string;
}

/** standard: the synchronous API's prices; batch: the Batch API's, where a model has them. */
export type Pricing = 'standard' | 'batch';

/** Per-token input and output price under a pricing; a model without batch prices keeps its standard ones. */
export function rates(price: PriceEntry, pricing: Pricing): { input: number; output: number } {
  if (pricing === 'batch') return { input: price.inputPerTokenBatch ?? price.inputPerToken, output: price.outputPerTokenBatch ?? price.outputPerToken };
  return { input: price.inputPerToken, output: price.outputPerToken };
}

export function costUsd(price: PriceEntry, promptTokens: number, completionTokens: number, pricing: Pricing = 'standard'): number {
  const { input, output } = rates(price, pricing);
  return promptTokens * input + completionTokens * output;
}

/** Dollars for people: cents above a dollar, more digits for the tiny sums of a few requests. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  return `$${usd.toPrecision(2)}`;
}
