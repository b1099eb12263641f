// What the dispatcher sends and what it answers: a request is what goes on the wire, not the record behind it.
import type { ProviderError } from '../../errors.js';
import type { Endpoint } from '../../input/record.js';
import type { ProviderResponse, ResponseAdmission } from '../../provider/provider.js';

export interface ProviderRequest {
  readonly endpoint: Endpoint;
  /** The body exactly as it will be sent. */
  readonly body: Record<string, unknown>;
  /** Prompt tokens, for --tpm. */
  readonly estimatedTokens: number;
}

export type SendResult =
  | { readonly ok: true; readonly response: ProviderResponse; readonly attempts: number }
  | { readonly ok: false; readonly error: ProviderError; readonly attempts: number; readonly exhausted: boolean };

export type FailedSend = Extract<SendResult, { ok: false }>;

/**
 * One attempt: resolves with a 2xx answer or rejects (a ProviderError, or whatever the transport threw).
 * `admission` (the memory budget's hook on the answer's body) is set by the innermost layer only.
 */
export type Attempt = (request: ProviderRequest, signal: AbortSignal, admission?: ResponseAdmission) => Promise<ProviderResponse>;

/** Cross-cutting behaviour of an attempt (pacing, a concurrency slot, memory admission), wrapped around the next. */
export type AttemptLayer = (next: Attempt) => Attempt;

/** The counters the dispatcher keeps (RunStats has them). */
export interface DispatchCounters {
  requests: number;
  retries: number;
  /** Every 429 answer (quota ones too). */
  throttled: number;
  /** Rate refusals (429s that are not quota) as traffic control counted them. */
  rateLimited: number;
  /** 503 busy / 529 overloaded answers. */
  backpressure: number;
  /** Requests/s traffic control paces to; null while unbounded. */
  learnedRateRps: number | null;
  /** Wall time the whole server was held (remaining-0 headers, most answers refused). */
  heldMs: number;
  /** Share of the last second's answers that were 429s. */
  refusedShare: number;
  /** Requests waiting out a retry delay (a gauge). */
  waitingRetries: number;
}
