// Anthropic's error answers (`{type:"error", error:{type, message}}`) as ProviderErrors: billing and key problems
// stop the run, 429/5xx/529 are retried (529 as backpressure), the other 4xx fail the record.
import { ProviderError, type RateLimitSnapshot } from '../errors.js';
import { parseAnthropicRateLimit } from './anthropic-rate-limit.js';
import { redactSecrets } from '../redact.js';
import { type CallContext, classifyStatus, displayUrl, serverError } from './classify.js';
import type { HeaderBag as Headers } from './headers.js';

const MESSAGE_CHARS = 300;
/** 400s that no retry and no other record will get past: the account has no credit or hit its spend limit. */
const BILLING_MESSAGE = /credit balance is too low|spend limit|usage limits?\b/i;

export function classifyAnthropicStatus(status: number, headers: Headers, bodyText: string, context: CallContext, nowMs = Date.now()): ProviderError {
  const server = serverError(bodyText);
  const rateLimit = parseAnthropicRateLimit(headers, nowMs);
  const detail = server.message === undefined ? '' : `: ${clip(redactSecrets(server.message, context.secrets))}`;
  const base = displayUrl(context.baseUrl);
  const runStop = (what: string, hint: string): ProviderError =>
    new ProviderError(`${what} (HTTP ${status}${server.type === undefined ? '' : ` ${server.type}`}) at ${base}${detail}`, {
      code: `http_${status}`, scope: 'run', status, hint, ...(rateLimit === undefined ? {} : { rateLimit }),
    });

  if (status === 401 || server.type === 'authentication_error') {
    return runStop('Authentication failed', 'Check that ANTHROPIC_API_KEY (or the x-api-key --header) is set and valid for this --base-url.');
  }
  if (status === 403 || server.type === 'permission_error') {
    return runStop('Permission denied', 'Check that the API key (its workspace) has access to this model.');
  }
  if (status === 402 || server.type === 'billing_error' || spendLimitReached(bodyText) || (status === 400 && BILLING_MESSAGE.test(server.message ?? ''))) {
    return runStop('Billing or spend limit reached', "Check the organisation's credit balance and spend limits in the Anthropic Console; retrying will not help until they are raised.");
  }
  return withRateLimit(classifyStatus(status, headers, bodyText, context, nowMs), rateLimit);
}

/** The shared classification, with the answer's rate-limit reading attached (ProviderError's fields are read-only). */
function withRateLimit(error: ProviderError, rateLimit: RateLimitSnapshot | undefined): ProviderError {
  if (rateLimit === undefined) return error;
  return new ProviderError(error.message, {
    code: error.code,
    scope: error.scope,
    backpressure: error.backpressure,
    rateLimit,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  });
}

/** A 429 whose `error.details.error_code` is `enforced_spend_limit_reached`: the monthly tier limit, not a rate. */
function spendLimitReached(bodyText: string): boolean {
  try {
    const parsed = JSON.parse(bodyText) as { error?: { details?: { error_code?: unknown } } } | null;
    return parsed?.error?.details?.error_code === 'enforced_spend_limit_reached';
  } catch {
    return false;
  }
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MESSAGE_CHARS ? `${flat.slice(0, MESSAGE_CHARS)}…` : flat;
}
