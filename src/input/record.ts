// The unit of work: one input line turned into one request, or into an error record.

export type Mode = 'cache' | 'embeddings';
/** '/v1/messages': an Anthropic batch line (`{custom_id, params}`) whose params go to Anthropic untranslated. */
export type Endpoint = '/v1/chat/completions' | '/v1/embeddings' | '/v1/messages';

export interface Job {
  /** `custom_id`, else `id`, else `line-<n>`. */
  readonly id: string;
  /** 1-based line number in the input. */
  readonly line: number;
  readonly endpoint: Endpoint;
  /** The OpenAI-style request body exactly as it will be sent (model filled in). */
  readonly body: Record<string, unknown>;
  /** sha256 hex of the canonical JSON of {endpoint, body}: the response-cache key. */
  readonly hash: string;
  /** Messages were cut to --max-context-tokens. */
  readonly trimmed: boolean;
  /** Prompt tokens counted with gpt-tokenizer (for --tpm and --dry-run). */
  readonly estimatedTokens: number;
  /** Bytes of the input line: the job's share of memory accounting. */
  readonly bytes: number;
}

/** A line that cannot become a request. It is stored as a failed record, never dropped. */
export interface BadLine {
  readonly id: string;
  readonly line: number;
  /** Stable code: invalid_json, line_too_long, invalid_record, duplicate_id, ... */
  readonly code: string;
  readonly message: string;
}

export type ParsedLine = { readonly kind: 'job'; readonly job: Job } | { readonly kind: 'bad'; readonly bad: BadLine };
