// What one line of a batch's output or error file means for its records, by the live mode's rules: done on a
// 2xx answer, failed for good on a 4xx, retryable (resubmitted in a later batch) on 429/5xx, expiry or cancel.
// Pure: batch-settle.ts applies the verdicts to the checkpoint.

export type LineVerdict =
  | { readonly kind: 'done'; readonly status: number; readonly requestId: string | null; readonly bodyText: string; readonly body: Readonly<Record<string, unknown>> }
  | { readonly kind: 'failed'; readonly retryable: boolean; readonly status: number | null; readonly code: string; readonly message: string };

export interface JudgedLine {
  readonly customId: string;
  readonly verdict: LineVerdict;
}

const RETRYABLE_4XX = new Set([408, 409, 425, 429]);
/** Error-file codes of requests that never ran: they go into a new batch. */
const RETRYABLE_CODES = new Set(['batch_expired', 'batch_cancelled', 'server_error', 'rate_limit_exceeded', 'timeout']);
const MESSAGE_CHARS = 500;

type Json = Record<string, unknown>;

function object(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function clip(text: string): string {
  return text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}...` : text;
}

/** The server's message in an OpenAI error body ({error: {message}}), if any. */
function serverMessage(body: unknown): string | undefined {
  const error = object(object(body)?.['error']);
  const message = error?.['message'];
  return typeof message === 'string' && message !== '' ? message : undefined;
}

/** A retryable status of one request: the live dispatcher retries the same ones. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || RETRYABLE_4XX.has(status);
}

/** undefined for a line that is not JSON or names no custom_id (it cannot be matched to a record). */
export function judgeLine(text: string): JudgedLine | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const line = object(parsed);
  const customId = line?.['custom_id'];
  if (line === undefined || typeof customId !== 'string' || customId === '') return undefined;
  return { customId, verdict: verdictOf(line) };
}

function verdictOf(line: Json): LineVerdict {
  const response = object(line['response']);
  const status = response?.['status_code'];
  if (response !== undefined && typeof status === 'number') {
    const body = response['body'];
    const requestId = typeof response['request_id'] === 'string' ? response['request_id'] : null;
    const bodyObject = object(body);
    if (status >= 200 && status < 300) {
      if (bodyObject === undefined) return { kind: 'failed', retryable: true, status, code: 'invalid_body', message: `HTTP ${status} answer whose body is not a JSON object` };
      return { kind: 'done', status, requestId, bodyText: JSON.stringify(bodyObject), body: bodyObject };
    }
    const message = clip(serverMessage(body) ?? `HTTP ${status}`);
    return { kind: 'failed', retryable: retryableStatus(status), status, code: `http_${status}`, message: `Batch request answered HTTP ${status}: ${message}` };
  }
  const error = object(line['error']);
  const code = typeof error?.['code'] === 'string' ? error['code'] : 'batch_error';
  const message = typeof error?.['message'] === 'string' ? clip(error['message']) : 'the batch reported an error for this request';
  return { kind: 'failed', retryable: RETRYABLE_CODES.has(code), status: null, code, message };
}

/** A retryable failure past the attempts allowed becomes failed for good, saying so. */
export function capRetries(verdict: LineVerdict, attemptsSoFar: number, maxRetries: number): LineVerdict {
  if (verdict.kind !== 'failed' || !verdict.retryable || attemptsSoFar < maxRetries) return verdict;
  return { ...verdict, retryable: false, message: `${verdict.message} (after ${attemptsSoFar + 1} batch attempts)` };
}

/** The record of a batch line a validation failure named, failed for good with the server's message. */
export function validationVerdict(code: string | null, message: string, line: number | null): LineVerdict {
  const where = line === null ? '' : ` (batch file line ${line})`;
  return { kind: 'failed', retryable: false, status: null, code: code ?? 'batch_validation_failed', message: `Batch validation failed${where}: ${clip(message)}` };
}

/** What happens to a member its finished batch never answered. */
export function unansweredVerdict(batchStatus: string): LineVerdict {
  const code = batchStatus === 'expired' ? 'batch_expired' : batchStatus === 'cancelled' ? 'batch_cancelled' : 'batch_unanswered';
  return { kind: 'failed', retryable: true, status: null, code, message: `The batch ended ${batchStatus} without an answer for this request` };
}
