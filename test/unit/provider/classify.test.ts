import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import {
  abortedError,
  type CallContext,
  classifyStatus,
  classifyTransportError,
  CONNECT_REFUSED,
  displayUrl,
  invalidBody,
  isThrottle,
  responseTooLarge,
  serverError,
  timeoutError,
} from '../../../src/provider/classify.js';

const KEY = 'sk-test-0123456789abcdef';
const context: CallContext = {
  baseUrl: 'https://api.example.com/v1',
  url: 'https://api.example.com/v1/chat/completions',
  secrets: [KEY, 'azure-secret-value'],
};
const openAiError = (message: string, code: string | null = null, type = 'invalid_request_error') => JSON.stringify({ error: { message, type, param: null, code } });

describe('classifyStatus', () => {
  it.each<[number, string, Record<string, string>, { scope: string; code: string; retryAfterMs?: number }]>([
    [400, openAiError('bad messages'), {}, { scope: 'record', code: 'http_400' }],
    [404, openAiError('model not found'), {}, { scope: 'record', code: 'http_404' }],
    [413, openAiError('too large'), {}, { scope: 'record', code: 'http_413' }],
    [422, '{"detail":[{"msg":"field required"}]}', {}, { scope: 'record', code: 'http_422' }],
    [405, '', {}, { scope: 'record', code: 'http_405' }],
    [401, openAiError('Incorrect API key'), {}, { scope: 'run', code: 'http_401' }],
    [403, openAiError('forbidden'), {}, { scope: 'run', code: 'http_403' }],
    [402, '', {}, { scope: 'run', code: 'http_402' }],
    [429, openAiError('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota'), {}, { scope: 'run', code: 'http_429' }],
    [429, openAiError('quota', null, 'insufficient_quota'), {}, { scope: 'run', code: 'http_429' }],
    [429, openAiError('Rate limit reached', 'rate_limit_exceeded', 'requests'), { 'retry-after': '2' }, { scope: 'retryable', code: 'http_429', retryAfterMs: 2000 }],
    // guards: a reset header is the budget's state, not a wait for this request (no retryAfterMs from it)
    [429, '', { 'x-ratelimit-reset-requests': '20ms' }, { scope: 'retryable', code: 'http_429' }],
    [429, 'not json at all', {}, { scope: 'retryable', code: 'http_429' }],
    [500, openAiError('boom', null, 'server_error'), {}, { scope: 'retryable', code: 'http_500' }],
    [502, '<html>bad gateway</html>', {}, { scope: 'retryable', code: 'http_502' }],
    [503, '', { 'retry-after': '5' }, { scope: 'retryable', code: 'http_503', retryAfterMs: 5000 }],
    [504, '', {}, { scope: 'retryable', code: 'http_504' }],
    [408, '', {}, { scope: 'retryable', code: 'http_408' }],
    [301, '', { location: 'https://other.example.com/v1?token=x' }, { scope: 'record', code: 'http_301' }],
  ])('%d -> %j', (status, body, headers, expected) => {
    const error = classifyStatus(status, headers, body, context, 0);
    expect(error).toBeInstanceOf(ProviderError);
    expect({ scope: error.scope, code: error.code, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) }).toEqual(expected);
    expect(error.status).toBe(status);
  });

  it("a record failure carries the server's message", () => {
    const error = classifyStatus(400, {}, openAiError("Invalid 'messages[0].role': 'robot'"), context);
    expect(error.message).toContain("Invalid 'messages[0].role': 'robot'");
    expect(error.message).toContain('https://api.example.com/v1/chat/completions');
    expect(classifyStatus(404, {}, '{"error":"model \\"llama9\\" not found, try pulling it first"}', context).message).toContain('model "llama9" not found');
  });

  it('401 and quota say where and what to check, never the key', () => {
    const auth = classifyStatus(401, {}, openAiError(`Incorrect API key provided: ${KEY}. You can find your API key at ...`), context);
    expect(auth.message).toContain('https://api.example.com/v1');
    expect(auth.hint).toContain('OPENAI_API_KEY');
    expect(`${auth.message} ${auth.hint}`).not.toContain(KEY);
    const quota = classifyStatus(429, {}, openAiError('quota', 'insufficient_quota'), context);
    expect(quota.message).toMatch(/quota/i);
    expect(quota.hint).toMatch(/billing/);
  });

  it('secrets echoed in a record error are redacted', () => {
    const error = classifyStatus(400, {}, openAiError(`bad header azure-secret-value and key ${KEY} and sk-proj-abc***xyz`), context);
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain('azure-secret-value');
    expect(error.message).not.toContain('abc***xyz');
    expect(error.message).toContain('[redacted]');
  });

  it('long server messages are clipped', () => {
    const error = classifyStatus(400, {}, openAiError('x'.repeat(5000)), context);
    expect(error.message.length).toBeLessThan(500);
  });

  it('a redirect names where it went, without the query', () => {
    const error = classifyStatus(302, { location: 'https://other.example.com/v1?token=abc' }, '', context);
    expect(error.message).toContain('https://other.example.com/v1');
    expect(error.message).not.toContain('token=abc');
  });
});

function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyTransportError', () => {
  it.each<[string, unknown, { scope: string; code: string }]>([
    ['connection refused', coded('ECONNREFUSED'), { scope: 'retryable', code: CONNECT_REFUSED }],
    ['refused inside an AggregateError (happy eyeballs)', Object.assign(new AggregateError([coded('ECONNREFUSED')], 'all failed')), { scope: 'retryable', code: CONNECT_REFUSED }],
    ['refused as a cause', new Error('fetch failed', { cause: coded('ECONNREFUSED') }), { scope: 'retryable', code: CONNECT_REFUSED }],
    ['unknown host', coded('ENOTFOUND'), { scope: 'retryable', code: CONNECT_REFUSED }],
    ['reset', coded('ECONNRESET'), { scope: 'retryable', code: 'connection_reset' }],
    ['other side closed', coded('UND_ERR_SOCKET', 'other side closed'), { scope: 'retryable', code: 'connection_reset' }],
    ['broken pipe', coded('EPIPE'), { scope: 'retryable', code: 'connection_reset' }],
    ['headers timeout', coded('UND_ERR_HEADERS_TIMEOUT'), { scope: 'retryable', code: 'timeout' }],
    ['body timeout', coded('UND_ERR_BODY_TIMEOUT'), { scope: 'retryable', code: 'timeout' }],
    ['connect timeout', coded('UND_ERR_CONNECT_TIMEOUT'), { scope: 'retryable', code: 'connect_timeout' }],
    ['body shorter than content-length', coded('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), { scope: 'retryable', code: 'body_truncated' }],
    ['expired certificate', coded('CERT_HAS_EXPIRED'), { scope: 'run', code: 'tls_error' }],
    ['self-signed certificate', coded('DEPTH_ZERO_SELF_SIGNED_CERT'), { scope: 'run', code: 'tls_error' }],
    ['wrong host name', coded('ERR_TLS_CERT_ALTNAME_INVALID'), { scope: 'run', code: 'tls_error' }],
    ['anything else', new Error('something odd'), { scope: 'retryable', code: 'network_error' }],
    ['not even an Error', 'weird', { scope: 'retryable', code: 'network_error' }],
  ])('%s', (_name, error, expected) => {
    const classified = classifyTransportError(error, context);
    expect({ scope: classified.scope, code: classified.code }).toEqual(expected);
    expect(classified.status).toBeUndefined();
  });

  it('connection refused names the base URL and what to check', () => {
    const error = classifyTransportError(coded('ECONNREFUSED'), context);
    expect(error.message).toContain('https://api.example.com/v1');
    expect(error.hint).toContain('--base-url');
  });
});

describe('other failures', () => {
  it.each<[string, ProviderError, { scope: string; code: string }]>([
    ['over the size cap', responseTooLarge(8, context), { scope: 'record', code: 'response_too_large' }],
    ['deadline', timeoutError(100, context), { scope: 'retryable', code: 'timeout' }],
    ['aborted', abortedError(context, new Error('stop')), { scope: 'retryable', code: 'MS_ABORTED' }],
    ['invalid 2xx body', invalidBody(200, 'not a JSON object', context), { scope: 'retryable', code: 'invalid_response' }],
  ])('%s', (_name, error, expected) => {
    expect({ scope: error.scope, code: error.code }).toEqual(expected);
  });
});

describe('isThrottle', () => {
  it.each<[string, unknown, boolean]>([
    // guards: a plain 429 is a rate signal, not a concurrency one (issue 12)
    ['a 429', classifyStatus(429, {}, '', context), false],
    ['a 529 overloaded', classifyStatus(529, {}, '', context), true],
    ['a quota 429', classifyStatus(429, {}, openAiError('q', 'insufficient_quota'), context), false],
    ['a timeout', timeoutError(1, context), true],
    ['a connect timeout', classifyTransportError(coded('UND_ERR_CONNECT_TIMEOUT'), context), true],
    ['a 500', classifyStatus(500, {}, '', context), false],
    ['a reset', classifyTransportError(coded('ECONNRESET'), context), false],
    ['a plain Error', new Error('x'), false],
  ])('%s -> %s', (_name, error, expected) => {
    expect(isThrottle(error)).toBe(expected);
  });
});

describe('serverError', () => {
  it.each<[string, string, { message: string | undefined; code: string | undefined; type: string | undefined }]>([
    ['OpenAI', openAiError('m', 'c', 't'), { message: 'm', code: 'c', type: 't' }],
    ['Ollama', '{"error":"model not found"}', { message: 'model not found', code: undefined, type: undefined }],
    ['FastAPI detail string', '{"detail":"Not Found"}', { message: 'Not Found', code: undefined, type: undefined }],
    ['FastAPI detail list', '{"detail":[{"msg":"x"}]}', { message: '[{"msg":"x"}]', code: undefined, type: undefined }],
    ['plain message', '{"message":"nope","code":42}', { message: 'nope', code: '42', type: undefined }],
    ['text', 'Bad Gateway\n', { message: 'Bad Gateway', code: undefined, type: undefined }],
    ['empty', '', { message: undefined, code: undefined, type: undefined }],
  ])('%s', (_name, body, expected) => {
    expect(serverError(body)).toEqual(expected);
  });
});

describe('displayUrl', () => {
  it.each([
    ['https://user:pass@api.example.com/v1?api-key=x', 'https://api.example.com/v1'],
    ['http://127.0.0.1:8000/v1/', 'http://127.0.0.1:8000/v1'],
    ['not a url', '(invalid URL)'],
  ])('%s -> %s', (url, expected) => {
    expect(displayUrl(url)).toBe(expected);
  });
});
