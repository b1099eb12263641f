// What a request may cost before it is sent, for --max-cost: prompt tokens (counted with the tokenizer) at the
// input price, plus completion tokens at the line's max_tokens - or, when it sets none, the mean completion
// learned so far with a margin, capped by the model's own output limit. Errs high: a reservation that is too
// large only makes a request wait; one that is too small could overshoot the budget.
import { UsageError } from '../errors.js';
import { rates, type ModelPrice, type Pricing } from './model-price.js';
import type { PriceBook } from './price-table.js';

/** Completions seen per model before their mean replaces the cold-start bound. */
export const LEARN_AFTER = 8;
/** The learned mean is multiplied by this: most answers stay below 1.5x the mean of their kind. */
export const COMPLETION_MARGIN = 1.5;
/** Completion tokens assumed before anything is learned, for a model whose output limit is unknown. */
export const COLD_COMPLETION_TOKENS = 4096;
/** Models not counted by an OpenAI tokenizer (Claude, DeepSeek, ...) may use more tokens for the same text. */
export const FOREIGN_TOKENIZER_MARGIN = 1.3;
const OPENAI_TOKENIZED = /^(?:openai\/)?(?:gpt-|chatgpt-|o\d|text-embedding-)/;

/** A line's model has no price while --max-cost is set: exit 2 before it is sent. */
export class UnpricedModelError extends UsageError {
  readonly line: number;
  readonly model: string;

  constructor(line: number, model: string) {
    super(`line ${line}: model ${JSON.stringify(model)} has no price, and --max-cost needs one to keep the budget`, {
      code: 'MS_UNPRICED_MODEL',
      hint: "Pass --prices FILE (LiteLLM's model_prices_and_context_window.json format) with an entry for it, or run without --max-cost.",
    });
    this.line = line;
    this.model = model;
  }
}

/** max_completion_tokens, else max_tokens, of a request body: its completion bound, when it sets one. */
export function completionBound(body: Readonly<Record<string, unknown>>): number | undefined {
  for (const field of ['max_completion_tokens', 'max_tokens']) {
    const value = body[field];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  }
  return undefined;
}

export interface SpendRequest {
  readonly line: number;
  readonly model: string;
  /** Job.estimatedTokens (load the exact tokenizer when --max-cost is set). */
  readonly promptTokens: number;
  /** The max_tokens the request is sent with (the line's, else the route's or --max-tokens); undefined: none. */
  readonly maxTokens: number | undefined;
  /** Embeddings answer with no completion tokens. */
  readonly embeddings?: boolean;
}

interface Learned {
  count: number;
  total: number;
}

export class SpendEstimator {
  private readonly learned = new Map<string, Learned>();

  constructor(
    private readonly prices: PriceBook,
    private readonly pricing: Pricing = 'standard',
  ) {}

  /** The model's price; UnpricedModelError names the line and model when it has none. */
  priceFor(line: number, model: string): ModelPrice {
    const price = this.prices.lookup(model);
    if (price === undefined) throw new UnpricedModelError(line, model);
    return price;
  }

  /** Completion tokens to reserve for a request. */
  completionTokens(request: SpendRequest, price: ModelPrice): number {
    if (request.embeddings === true) return 0;
    if (request.maxTokens !== undefined) return request.maxTokens;
    const cap = price.maxOutputTokens;
    const learned = this.learned.get(request.model);
    if (learned === undefined || learned.count < LEARN_AFTER) return cap ?? COLD_COMPLETION_TOKENS;
    const guess = Math.ceil((learned.total / learned.count) * COMPLETION_MARGIN);
    return cap === undefined ? guess : Math.min(cap, guess);
  }

  /** US dollars to reserve before sending the request. */
  estimateUsd(request: SpendRequest): number {
    const price = this.priceFor(request.line, request.model);
    const { input, output } = rates(price, this.pricing);
    const margin = OPENAI_TOKENIZED.test(request.model) ? 1 : FOREIGN_TOKENIZER_MARGIN;
    return Math.ceil(request.promptTokens * margin) * input + this.completionTokens(request, price) * output;
  }

  /** An answer's completion tokens teach the mean used for lines without max_tokens. */
  learn(model: string, completionTokens: number): void {
    const learned = this.learned.get(model) ?? { count: 0, total: 0 };
    learned.count++;
    learned.total += completionTokens;
    this.learned.set(model, learned);
  }
}
