// What a run hands the checkpoint to commit for one record (or one embedding vector), and the answer it stores.
import type { Endpoint } from '../input/record.js';
import type { RecordCost } from './cost-store.js';

/** Token counts as stored with an answer; null where the server did not say. */
export interface StoredUsage {
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  readonly totalTokens: number | null;
}

/** What the checkpoint keeps of an API answer; a provider's response has this shape (and more the checkpoint ignores). */
export interface StoredAnswer {
  /** HTTP status of the answer. */
  readonly status: number;
  readonly requestId: string | null;
  /** The response body as JSON text, in the OpenAI shape. */
  readonly bodyText: string;
  readonly usage: StoredUsage | null;
  readonly latencyMs: number;
}

/** A record completed by this run; `response: null` when the checkpoint already holds the answer under `hash`. */
export interface DoneOutcome {
  readonly kind: 'done';
  readonly id: string;
  readonly line: number;
  readonly endpoint: Endpoint;
  readonly hash: string;
  readonly response: StoredAnswer | null;
  /** Answered without an API call of its own (response cache, or a shared embedding). */
  readonly cached: boolean;
  readonly attempts: number;
  readonly trimmed: boolean;
  /** Model, tokens and cost of the record (written to its cost columns and to run_costs). */
  readonly cost?: RecordCost;
}

export interface FailedOutcome {
  readonly kind: 'failed';
  readonly id: string;
  readonly line: number;
  readonly endpoint: Endpoint | null;
  readonly hash: string | null;
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number | null;
  readonly retryable: boolean;
  readonly attempts: number;
  readonly trimmed: boolean;
}

/** A record this run read but did not need to touch (already done, or failed for good): only marked as seen. */
export interface SeenOutcome {
  readonly kind: 'seen';
  readonly id: string;
  readonly line: number;
}

/** A line whose id an earlier line of the same input already holds. */
export interface DuplicateOutcome {
  readonly kind: 'duplicate';
  readonly id: string;
  readonly line: number;
  readonly firstLine: number;
}

/** An embedding vector for one distinct text; committed with (before) the records that use it. */
export interface VectorOutcome {
  readonly kind: 'vector';
  readonly key: string;
  readonly model: string;
  readonly dim: number;
  readonly data: Buffer;
}

export type Outcome = DoneOutcome | FailedOutcome | SeenOutcome | DuplicateOutcome | VectorOutcome;
