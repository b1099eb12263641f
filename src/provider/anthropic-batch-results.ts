// One line of a Message Batch's results as the OpenAI batch output line the settle code reads: a succeeded
// message mapped to chat.completion (as live answers are), an errored one as its HTTP status, canceled and
// expired as the codes OpenAI uses for requests that never ran (retryable: they go into a new batch).
import { fromAnthropicMessage } from './anthropic-mapping.js';

type Json = Record<string, unknown>;

/** Anthropic's error types and the status a live call would have answered with them. */
const ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

function object(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The innermost {type, message}: results nest an error response ({type: "error", error: {...}}) in `error`. */
function errorDetail(error: Json | undefined): { type: string; message: string } {
  let current = error;
  while (current !== undefined && current['type'] === 'error' && object(current['error']) !== undefined) current = object(current['error']);
  const type = typeof current?.['type'] === 'string' ? current['type'] : 'api_error';
  const message = typeof current?.['message'] === 'string' && current['message'] !== '' ? current['message'] : `the batch reported ${type} for this request`;
  return { type, message };
}

/** The OpenAI-shaped line for one results line, or undefined when it is not JSON or names no custom_id. */
export function openAiLineOf(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const line = object(parsed);
  const customId = line?.['custom_id'];
  if (line === undefined || typeof customId !== 'string' || customId === '') return undefined;
  const result = object(line['result']);
  const type = result?.['type'];
  if (type === 'succeeded') {
    const message = object(result?.['message']);
    const mapped = message === undefined ? undefined : fromAnthropicMessage(message, {});
    if (mapped === undefined) return JSON.stringify({ custom_id: customId, response: { status_code: 200, request_id: null, body: null } });
    const requestId = typeof message?.['id'] === 'string' ? message['id'] : null;
    return JSON.stringify({ custom_id: customId, response: { status_code: 200, request_id: requestId, body: mapped.body } });
  }
  if (type === 'errored') {
    const detail = errorDetail(object(result?.['error']));
    const status = ERROR_STATUS[detail.type] ?? 500;
    return JSON.stringify({ custom_id: customId, response: { status_code: status, request_id: null, body: { error: { type: detail.type, message: detail.message } } } });
  }
  if (type === 'expired') {
    return JSON.stringify({ custom_id: customId, error: { code: 'batch_expired', message: 'The request expired before the batch processed it (24h)' } });
  }
  if (type === 'canceled') {
    return JSON.stringify({ custom_id: customId, error: { code: 'batch_cancelled', message: 'The request was not processed because its batch was cancelled' } });
  }
  return JSON.stringify({ custom_id: customId, error: { code: 'batch_error', message: `unknown result type ${String(type)}` } });
}
