// Model prices from `--prices FILE` (LiteLLM's model_prices_and_context_window.json format) and the built-in
// table, and the rule that finds a model's price under the names tables use.
//
// Lookup rule, per table (the file first, then the built-in table), first hit wins:
//   1. the model name exactly;
//   2. the name with its provider prefix stripped (`anthropic/claude-sonnet-4-5` -> `claude-sonnet-4-5`, one
//      `x/` at a time), then with a first-party prefix added (`openai/`, `anthropic/`, `deepseek/`, ...);
//   3. the same with a dated suffix cut (`gpt-4o-2024-08-06` -> `gpt-4o`, `claude-sonnet-4-5-20250929` ->
//      `claude-sonnet-4-5`, `...@20250929`), only when the dated name itself is not in the table.
// Resellers' prefixes (bedrock/, vertex_ai/, azure/, openrouter/) are never added: their prices differ.
// A model found nowhere is unpriced (never $0).
import fs from 'node:fs';
import { UsageError } from '../errors.js';
import { BUILTIN_PRICES } from './builtin-prices.js';
import type { ModelPrice, PriceEntry, PriceSource } from './model-price.js';

export const MAX_PRICE_FILE_BYTES = 32 * 1024 * 1024;
const FIRST_PARTY_PREFIXES = ['openai', 'anthropic', 'deepseek', 'mistral', 'gemini', 'xai', 'groq', 'cohere'];
/** Distinct models remembered at most (a run names a handful; a flood of names must not grow memory). */
const MEMO_LIMIT = 1024;
const DATED_SUFFIX = /(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$/;

function pricesError(file: string, message: string): UsageError {
  return new UsageError(`--prices ${file}: ${message}`, { code: 'MS_BAD_PRICES' });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function costField(file: string, model: string, entry: Record<string, unknown>, field: string): number | undefined {
  const value = entry[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw pricesError(file, `${JSON.stringify(model)}.${field}: expected a number of US dollars >= 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The token-priced models of a LiteLLM price table. `sample_spec` and unknown fields are ignored; entries
 * priced per image, second or character (no input_cost_per_token) are left out, as is a chat model without
 * output_cost_per_token (an embedding model's output costs nothing).
 */
export function parsePriceTable(file: string, text: string): Map<string, PriceEntry> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw pricesError(file, `not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(json)) throw pricesError(file, 'expected an object of model names to prices, like LiteLLM\'s model_prices_and_context_window.json');
  const table = new Map<string, PriceEntry>();
  for (const [model, entry] of Object.entries(json)) {
    if (model === 'sample_spec' || !isObject(entry)) continue;
    const input = costField(file, model, entry, 'input_cost_per_token');
    if (input === undefined) continue;
    const output = costField(file, model, entry, 'output_cost_per_token') ?? (entry['mode'] === 'embedding' ? 0 : undefined);
    if (output === undefined) continue;
    const maxOutput = entry['max_output_tokens'];
    table.set(model, {
      inputPerToken: input,
      outputPerToken: output,
      inputPerTokenBatch: costField(file, model, entry, 'input_cost_per_token_batches'),
      outputPerTokenBatch: costField(file, model, entry, 'output_cost_per_token_batches'),
      maxOutputTokens: typeof maxOutput === 'number' && Number.isInteger(maxOutput) && maxOutput > 0 ? maxOutput : undefined,
    });
  }
  if (table.size === 0) throw pricesError(file, 'holds no model priced per token (input_cost_per_token and output_cost_per_token)');
  return table;
}

export function loadPriceFile(file: string): Map<string, PriceEntry> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (error) {
    throw pricesError(file, `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (size > MAX_PRICE_FILE_BYTES) throw pricesError(file, `expected a price table of at most 32 MB, got ${size} bytes`);
  return parsePriceTable(file, fs.readFileSync(file, 'utf8'));
}

/** The names to try for a model, in the order of the rule above. */
export function candidateNames(model: string): string[] {
  const names: string[] = [];
  const add = (name: string) => {
    if (name !== '' && !names.includes(name)) names.push(name);
  };
  const forms = (name: string) => {
    add(name);
    for (let rest = name; rest.includes('/'); ) {
      rest = rest.slice(rest.indexOf('/') + 1);
      add(rest);
    }
    const bare = name.slice(name.lastIndexOf('/') + 1);
    for (const prefix of FIRST_PARTY_PREFIXES) add(`${prefix}/${bare}`);
  };
  forms(model);
  const undated = model.replace(DATED_SUFFIX, '');
  if (undated !== model) forms(undated);
  return names;
}

/** The file's prices over the built-in ones; lookups are remembered per model (a run names a handful). */
export class PriceBook {
  private readonly layers: readonly { readonly source: PriceSource; readonly table: ReadonlyMap<string, PriceEntry> }[];
  private readonly memo = new Map<string, ModelPrice | null>();
  readonly file: string | undefined;

  constructor(options: { file?: string; table?: ReadonlyMap<string, PriceEntry>; builtin?: boolean } = {}) {
    const layers: { source: PriceSource; table: ReadonlyMap<string, PriceEntry> }[] = [];
    if (options.table !== undefined) layers.push({ source: 'file', table: options.table });
    if (options.builtin !== false) layers.push({ source: 'builtin', table: new Map(Object.entries(BUILTIN_PRICES)) });
    this.layers = layers;
    this.file = options.file;
  }

  /** `--prices FILE` when given, over the built-in table. */
  static load(file: string | undefined): PriceBook {
    return file === undefined ? new PriceBook() : new PriceBook({ file, table: loadPriceFile(file) });
  }

  /** The model's price, or undefined: unpriced. */
  lookup(model: string): ModelPrice | undefined {
    const known = this.memo.get(model);
    if (known !== undefined) return known ?? undefined;
    const found = this.find(model);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(model, found ?? null);
    return found;
  }

  private find(model: string): ModelPrice | undefined {
    const names = candidateNames(model);
    for (const layer of this.layers) {
      for (const name of names) {
        const entry = layer.table.get(name);
        if (entry !== undefined) return { ...entry, source: layer.source, key: name };
      }
    }
    return undefined;
  }
}
