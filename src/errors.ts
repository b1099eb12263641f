// Errors carry a stable code, the exit code they map to, and what the engine should do with them.
// Commands throw; only src/cli/main.ts turns an error into an exit code.

export const ExitCode = {
  ok: 0,
  fatal: 1,
  usage: 2,
  someFailed: 3,
  locked: 4,
  halted: 75,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface MemsafeErrorOptions {
  code: string;
  cause?: unknown;
  /** What the user should do next, printed under the message. */
  hint?: string;
}

export class MemsafeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue = ExitCode.fatal;

  constructor(message: string, options: MemsafeErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.hint = options.hint;
  }
}

/** Bad flags, bad environment, bad configuration: exit 2. */
export class UsageError extends MemsafeError {
  override readonly exitCode = ExitCode.usage;
  constructor(message: string, options: Partial<MemsafeErrorOptions> = {}) {
    super(message, { code: 'MS_USAGE', ...options });
  }
}

/** The checkpoint is held by another live run: exit 4. */
export class CheckpointLockedError extends MemsafeError {
  override readonly exitCode = ExitCode.locked;
}

/** The whole run cannot go on (auth, quota, unreachable API, database): exit 1. */
export class FatalError extends MemsafeError {}

/**
 * How a failed provider call affects the work:
 * - retryable: try the same record again after a backoff (429, 5xx, resets, timeouts, cut bodies);
 * - record: this record fails for good (a 400, a body over the size cap), the run goes on;
 * - run: nothing else will succeed either (401/403, quota), stop the run.
 */
export type FailureScope = 'retryable' | 'record' | 'run';

/**
 * A server's rate-limit state as one answer told it, in neutral terms: OpenAI/Azure/Groq x-ratelimit-* and
 * Anthropic's anthropic-ratelimit-* both read into it. Every field is optional; durations are relative ms from
 * the moment the answer was read (absolute reset instants are converted by their parser).
 */
export interface RateLimitSnapshot {
  readonly limitRequests?: number;
  readonly limitTokens?: number;
  readonly remainingRequests?: number;
  readonly remainingTokens?: number;
  /** Until the request budget is full again (OpenAI: the bucket refills continuously until then). */
  readonly resetRequestsMs?: number;
  readonly resetTokensMs?: number;
  /** The wait the server asked for explicitly (Retry-After, retry-after-ms); never derived from the resets. */
  readonly retryAfterMs?: number;
}

/** @deprecated the former name of RateLimitSnapshot (one type for every provider). */
export type RateLimitReading = RateLimitSnapshot;

export class ProviderError extends MemsafeError {
  readonly scope: FailureScope;
  readonly status: number | undefined;
  /** Milliseconds the server asked before this request is tried again (Retry-After / retry-after-ms only). */
  readonly retryAfterMs: number | undefined;
  /** The server is busy, not refusing us (Anthropic 529, Ollama's full queue): fewer in flight, then retry. */
  readonly backpressure: boolean;
  /** What the answer's rate-limit headers said (x-ratelimit-*, anthropic-ratelimit-*), when it sent any. */
  readonly rateLimit: RateLimitSnapshot | undefined;

  constructor(
    message: string,
    options: MemsafeErrorOptions & { scope: FailureScope; status?: number; retryAfterMs?: number; backpressure?: boolean; rateLimit?: RateLimitSnapshot },
  ) {
    super(message, options);
    this.scope = options.scope;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.backpressure = options.backpressure ?? false;
    this.rateLimit = options.rateLimit;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The in-flight memory budget cannot hold this (src/admission/inflight-budget.ts): 'too_large' when one answer
 * alone is larger than the whole budget (fail the record), 'preempted' when it gave its room back so an older
 * request could finish (send it again).
 */
export class AdmissionRefusedError extends MemsafeError {
  readonly reason: 'too_large' | 'preempted';
  readonly requestedBytes: number;
  readonly limitBytes: number;

  constructor(reason: 'too_large' | 'preempted', requestedBytes: number, limitBytes: number) {
    super(
      reason === 'too_large'
        ? `an answer needing ${requestedBytes} bytes is larger than the whole in-flight memory budget (${limitBytes} bytes)`
        : `gave back its ${requestedBytes} bytes of in-flight memory budget so an older request could finish`,
      { code: reason === 'too_large' ? 'response_too_large' : 'admission_preempted' },
    );
    this.reason = reason;
    this.requestedBytes = requestedBytes;
    this.limitBytes = limitBytes;
  }
}
