// Turns what went wrong in one HTTP call into a ProviderError whose scope tells the engine what to do:
// retry it (retryable), fail this record (record), or stop the run (run).
import { type AdmissionRefusedError, ProviderError } from '../errors.js';
import { redactSecrets as redact } from '../redact.js';
import { firstHeader, type HeaderBag } from './headers.js';
import { isEmptySnapshot, parseRateLimitHeaders } from './rate-limit-headers.js';
import { parseRetryAfter } from './retry-after.js';

export interface CallContext {
  /** Base URL of the provider, for messages (credentials and query removed by displayUrl). */
  readonly baseUrl: string;
  /** Full URL of the call. */
  readonly url: string;
  /** Values that must never appear in a message: the API key and header values. */
  readonly secrets: readonly string[];
}

/** Code the engine turns into a run-level FatalError when the last attempt still cannot connect. */
export const CONNECT_REFUSED = 'MS_CONNECT_REFUSED';
/** Code of a call cut short because the run is stopping. */
export const ABORTED = 'MS_ABORTED';

const MESSAGE_CHARS = 300;
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const RESETS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** A non-2xx answer. `bodyText` may be cut short (error bodies are read only up to a small cap). */
export function classifyStatus(status: number, headers: HeaderBag, bodyText: string, context: CallContext, nowMs = Date.now()): ProviderError {
  const server = serverError(bodyText);
  const detail = server.message === undefined ? '' : `: ${clip(redact(server.message, context.secrets))}`;
  const where = displayUrl(context.url);
  const code = `http_${status}`;
  const base = displayUrl(context.baseUrl);

  if (status === 401) {
    return new ProviderError(`Authentication failed (HTTP 401) at ${base}`, {
      code, scope: 'run', status,
      hint: 'Check that OPENAI_API_KEY (or the auth --header) is set and valid for this server and --base-url.',
    });
  }
  if (status === 403) {
    return new ProviderError(`Permission denied (HTTP 403) at ${base}`, {
      code, scope: 'run', status,
      hint: 'Check that the API key has access to this model and endpoint (project, organisation, region).',
    });
  }
  if (status === 402 || (status === 429 && isQuotaError(server))) {
    return new ProviderError(`Quota exhausted (HTTP ${status}${status === 429 ? ' insufficient_quota' : ''}) at ${base}`, {
      code, scope: 'run', status,
      hint: "Check the account's plan, billing and usage limits; retrying will not help until the quota is raised.",
    });
  }
  if (status === 429 || status >= 500 || RETRYABLE_4XX.has(status)) {
    const retryAfterMs = parseRetryAfter(headers, nowMs);
    const backpressure = isBackpressure(status, server);
    const what = status === 429 ? 'rate limited, HTTP 429' : backpressure ? `busy, HTTP ${status}` : `HTTP ${status}`;
    const rateLimit = parseRateLimitHeaders(headers, nowMs);
    return new ProviderError(`Server answered ${what} from ${where}${detail}`, {
      code, scope: 'retryable', status, backpressure,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(isEmptySnapshot(rateLimit) ? {} : { rateLimit }),
    });
  }
  if (status >= 300 && status < 400) {
    const location = firstHeader(headers, 'location');
    return new ProviderError(`Redirected (HTTP ${status}) from ${where}${location === undefined ? '' : ` to ${displayUrl(location)}`}`, {
      code, scope: 'record', status, hint: 'Use the final URL as --base-url.',
    });
  }
  return new ProviderError(`Request rejected (HTTP ${status}) by ${where}${detail}`, { code, scope: 'record', status });
}

/** An error thrown while connecting, sending or reading (undici or node errors). */
export function classifyTransportError(error: unknown, context: CallContext): ProviderError {
  const code = errorCode(error);
  const where = displayUrl(context.url);
  const reason = code ?? (error instanceof Error ? error.message : 'unknown error');
  if (code !== undefined && CONNECT_FAILURES.has(code)) {
    return new ProviderError(`Cannot connect to ${displayUrl(context.baseUrl)} (${code})`, {
      code: CONNECT_REFUSED, scope: 'retryable', cause: error,
      hint: 'Is the server running, and are --base-url and HTTPS_PROXY / NO_PROXY right?',
    });
  }
  if (code !== undefined && (code.startsWith('ERR_TLS') || code.includes('CERT') || code.includes('SIGNATURE'))) {
    return new ProviderError(`TLS failure talking to ${displayUrl(context.baseUrl)} (${code})`, {
      code: 'tls_error', scope: 'run', cause: error,
      hint: 'Check the server certificate, or set NODE_EXTRA_CA_CERTS to your CA bundle.',
    });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new ProviderError(`Timed out connecting to ${displayUrl(context.baseUrl)}`, { code: 'connect_timeout', scope: 'retryable', cause: error });
  }
  if (code !== undefined && TIMEOUTS.has(code)) {
    return new ProviderError(`Timed out waiting for ${where} (${code})`, { code: 'timeout', scope: 'retryable', cause: error });
  }
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return bodyTruncated(context, error);
  }
  if (code !== undefined && RESETS.has(code)) {
    return new ProviderError(`Connection to ${where} was closed mid-request (${code})`, { code: 'connection_reset', scope: 'retryable', cause: error });
  }
  return new ProviderError(`Request to ${where} failed (${clip(redact(reason, context.secrets))})`, { code: 'network_error', scope: 'retryable', cause: error });
}

export function timeoutError(timeoutMs: number, context: CallContext): ProviderError {
  return new ProviderError(`No complete answer from ${displayUrl(context.url)} within ${timeoutMs} ms (--timeout)`, { code: 'timeout', scope: 'retryable' });
}

/** The run is stopping (its signal fired): the record stays pending and is sent again on resume. */
export function abortedError(context: CallContext, cause: unknown): ProviderError {
  return new ProviderError(`Request to ${displayUrl(context.url)} aborted`, { code: ABORTED, scope: 'retryable', cause });
}

export function responseTooLarge(limitBytes: number, context: CallContext): ProviderError {
  return new ProviderError(`Response from ${displayUrl(context.url)} is larger than --max-response-bytes (${limitBytes} bytes)`, {
    code: 'response_too_large', scope: 'record',
  });
}

export function bodyTruncated(context: CallContext, cause?: unknown): ProviderError {
  return new ProviderError(`Response from ${displayUrl(context.url)} was cut short`, {
    code: 'body_truncated', scope: 'retryable', ...(cause === undefined ? {} : { cause }),
  });
}

/** A 2xx answer that is not the JSON object expected (a proxy's HTML page, a half-written body). */
export function invalidBody(status: number, reason: string, context: CallContext): ProviderError {
  return new ProviderError(`Invalid response from ${displayUrl(context.url)} (HTTP ${status}): ${reason}`, { code: 'invalid_response', scope: 'retryable', status });
}

/**
 * Backpressure and timeouts are the server saying "fewer in flight": adaptive concurrency cuts on them. A plain 429
 * is a rate signal (traffic control lowers the send rate), not a concurrency one; quota 429s are run-scoped.
 */
export function isThrottle(error: unknown): boolean {
  if (!(error instanceof ProviderError) || error.scope !== 'retryable') return false;
  return error.backpressure || error.code === 'timeout' || error.code === 'connect_timeout';
}

/** Anthropic's 529 overloaded_error, and Ollama's 503 when its queue is full (OLLAMA_MAX_QUEUE): busy, not broken. */
export function isBackpressure(status: number, server: ServerErrorFields): boolean {
  if (status === 529 || server.type === 'overloaded_error') return true;
  return status === 503 && /server busy|maximum pending requests/i.test(server.message ?? '');
}

/** A line written for another API (an Anthropic `{custom_id, params}` line sent to an OpenAI-style server). */
export function unsupportedEndpoint(provider: string, endpoint: string): ProviderError {
  const anthropicLine = endpoint === '/v1/messages';
  return new ProviderError(`${anthropicLine ? 'An Anthropic batch line ({custom_id, params})' : `A ${endpoint} request`} cannot be sent with --provider ${provider}`, {
    code: 'invalid_record', scope: 'record',
    ...(anthropicLine ? { hint: 'Run it with --provider anthropic, or write the line as an OpenAI batch or simple line.' } : {}),
  });
}

export interface ServerErrorFields {
  readonly message: string | undefined;
  readonly code: string | undefined;
  readonly type: string | undefined;
}

/** The message of OpenAI (`{error:{message,type,code}}`), Ollama (`{error:"..."}`) and FastAPI (`{detail}`) error bodies. */
export function serverError(bodyText: string): ServerErrorFields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    const text = bodyText.trim();
    return { message: text === '' ? undefined : text, code: undefined, type: undefined };
  }
  const record = asRecord(parsed);
  const error = record?.['error'];
  if (typeof error === 'string') return { message: error, code: undefined, type: undefined };
  const nested = asRecord(error);
  if (nested !== undefined) {
    return { message: stringOf(nested['message']), code: stringOf(nested['code']), type: stringOf(nested['type']) };
  }
  const detail = record?.['detail'];
  const message = stringOf(record?.['message']) ?? (detail === undefined ? undefined : typeof detail === 'string' ? detail : JSON.stringify(detail));
  return { message, code: stringOf(record?.['code']), type: stringOf(record?.['type']) };
}

function isQuotaError(server: ServerErrorFields): boolean {
  return server.code === 'insufficient_quota' || server.type === 'insufficient_quota';
}

/** A URL fit for messages: no user:password, no query string (some gateways take keys there). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/** `code` of the error, its cause, or the first of an AggregateError's errors (node's happy-eyeballs connect). */
function errorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && code !== 'UND_ERR' && code !== 'ABORT_ERR') return code;
  const inner = errorCode(cause, depth + 1);
  if (inner !== undefined) return inner;
  return Array.isArray(errors) ? errorCode(errors[0], depth + 1) : undefined;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MESSAGE_CHARS ? `${flat.slice(0, MESSAGE_CHARS)}…` : flat;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** The in-flight memory budget refused the body: too large for the whole budget (the record fails), or preempted (sent again). */
export function admissionRefused(refusal: AdmissionRefusedError, context: CallContext): ProviderError {
  if (refusal.reason === 'preempted') {
    return new ProviderError(`Reading the answer from ${displayUrl(context.url)} stopped: it ${refusal.message}`, { code: 'admission_preempted', scope: 'retryable', cause: refusal });
  }
  return new ProviderError(
    `Response from ${displayUrl(context.url)} needs ${refusal.requestedBytes} bytes, more than the whole in-flight memory budget (${refusal.limitBytes} bytes)`,
    { code: 'response_too_large', scope: 'record', cause: refusal, hint: 'Raise --max-memory or --max-inflight-bytes, or ask for smaller answers (fewer texts per request, lower max_tokens).' },
  );
}
