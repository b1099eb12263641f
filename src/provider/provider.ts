// What the engine needs from an API: send one request, get an OpenAI-shaped answer or a ProviderError.
import type { RateLimitSnapshot } from '../errors.js';
import type { Endpoint } from '../input/record.js';
import type { DecodedVector } from './embeddings-answer.js';
import type { ResponseAdmission } from './http-client.js';

export type { ResponseAdmission } from './http-client.js';

export type ProviderName = 'openai' | 'mock' | 'ollama' | 'anthropic';

/** How embedding vectors travel: OpenAI's `encoding_format` ('base64': little-endian float32 bytes) or number arrays. */
export type EmbeddingEncoding = 'base64' | 'float';

export interface TokenUsage {
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  readonly totalTokens: number | null;
}

export interface ProviderResponse {
  /** HTTP status of the answer (2xx: a success). */
  readonly status: number;
  /** x-request-id (or similar) header, when the server sent one. */
  readonly requestId: string | null;
  /**
   * The response body as JSON text, in the OpenAI shape (Ollama answers are mapped). When `json` is set the text
   * is not held: reading it serialises `json` again (an equal body), so embeddings answers keep one copy, not two.
   */
  readonly bodyText: string;
  /**
   * Embeddings answers only: each input's vector (or why it is unusable), in input order, decoded once here.
   * Their `bodyText` is empty: the checkpoint stores the vectors, and a second copy of a big answer is not held.
   */
  readonly vectors?: readonly DecodedVector[];
  /** Body bytes as they came over the wire, for the memory budget's size estimates (absent from cached answers). */
  readonly bodyBytes?: number;
  readonly usage: TokenUsage | null;
  readonly latencyMs: number;
  /** What the answer's rate-limit headers said (x-ratelimit-*, anthropic-ratelimit-*), when it sent any. */
  readonly rateLimit?: RateLimitSnapshot;
}

export interface Provider {
  readonly name: ProviderName;
  /** Base URL the requests go to, for messages (never with credentials). */
  readonly baseUrl: string;
  /** 'base64' when the server can be asked for `encoding_format: "base64"`; Ollama maps /api/embed itself: 'float'. */
  readonly embeddingEncoding: EmbeddingEncoding;
  /**
   * One attempt, no retries (the engine's dispatcher retries). Resolves with a 2xx answer; otherwise
   * rejects with a ProviderError whose scope says retryable / record / run, with retryAfterMs when the
   * server asked everyone to wait. Honours `signal` (abort = the run is stopping). `admission` (optional) paces the
   * reading of the answer's body against the in-flight memory budget; pass it on to HttpClient.post as it is.
   */
  send(endpoint: Endpoint, body: Record<string, unknown>, signal: AbortSignal, admission?: ResponseAdmission): Promise<ProviderResponse>;
  /** Closes pooled sockets; idempotent. */
  close(): Promise<void>;
}
