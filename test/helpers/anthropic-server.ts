// A Messages API server of the team's (node:http on 127.0.0.1 port 0): checks what Anthropic checks (x-api-key,
// anthropic-version, max_tokens, no system role in messages, no OpenAI-only fields), answers as Anthropic does
// with anthropic-ratelimit-* headers, and fails on cue (429 + retry-after, 529, 401, 400, ...). Records every request.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export const TEST_ANTHROPIC_KEY = 'sk-ant-test-0123456789abcdef';

/** An error answer: Anthropic's `{type:"error", error:{type, message}}` with this status. */
export interface AnthropicFailure {
  readonly status: number;
  readonly type: string;
  readonly message?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type AnthropicBehaviour = 'ok' | AnthropicFailure;

export interface AnthropicRequest {
  /** 1-based count of requests so far. */
  readonly n: number;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly json: unknown;
}

export interface AnsweredUsage {
  readonly n: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
}

export interface AnthropicServer {
  /** `http://127.0.0.1:PORT`: the --base-url (no /v1, as for Anthropic's own). */
  readonly url: string;
  readonly requests: AnthropicRequest[];
  /** The usage of every 200 answer, as sent. */
  readonly answered: AnsweredUsage[];
  /** Most requests open at once (from arrival to the end of the answer) since the start. */
  maxInFlight(): number;
  close(): Promise<void>;
}

export interface AnthropicServerOptions {
  /** Scripted answers; requests that pass validation get 'ok' without one. */
  readonly behaviour?: (request: AnthropicRequest) => AnthropicBehaviour;
  /** The x-api-key it accepts (default TEST_ANTHROPIC_KEY). */
  readonly apiKey?: string;
  /** Requests per minute it advertises in the anthropic-ratelimit-* headers (default 50). */
  readonly requestsLimit?: number;
  /** Holds every answer this long, so that requests overlap and concurrency can be counted (default 0). */
  readonly answerDelayMs?: number;
}

/** Fields of OpenAI's chat API that Anthropic's refuses ("Extra inputs are not permitted"). */
const OPENAI_ONLY = ['stop', 'n', 'frequency_penalty', 'presence_penalty', 'logit_bias', 'seed', 'response_format', 'max_completion_tokens', 'user', 'logprobs'];

export async function startAnthropicServer(options: AnthropicServerOptions = {}): Promise<AnthropicServer> {
  const requests: AnthropicRequest[] = [];
  const answered: AnsweredUsage[] = [];
  const apiKey = options.apiKey ?? TEST_ANTHROPIC_KEY;
  const limit = options.requestsLimit ?? 50;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((request, response) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    response.once('close', () => (inFlight -= 1));
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
      if (options.answerDelayMs !== undefined) await delay(options.answerDelayMs);
      const n = requests.length + 1;
      const recorded: AnthropicRequest = { n, path: (request.url ?? '/').split('?')[0] ?? '/', headers: request.headers, json: parseJson(Buffer.concat(chunks).toString('utf8')) };
      requests.push(recorded);
      const headers = rateLimitHeaders(n, limit);
      const failure = validate(recorded, apiKey) ?? scripted(options.behaviour?.(recorded));
      if (failure !== undefined) return send(response, failure.status, { type: 'error', error: { type: failure.type, message: failure.message ?? failure.type } }, { ...headers, ...failure.headers });
      const body = recorded.json as Record<string, unknown>;
      const usage = { input_tokens: inputTokens(body), output_tokens: 7 };
      answered.push({ n, ...usage });
      send(response, 200, {
        id: `msg_${String(n).padStart(6, '0')}`,
        type: 'message',
        role: 'assistant',
        model: body['model'],
        content: [{ type: 'text', text: `claude says: ${lastUserText(body)}` }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage,
      }, headers);
    })().catch(() => response.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answered,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function scripted(behaviour: AnthropicBehaviour | undefined): AnthropicFailure | undefined {
  return behaviour === undefined || behaviour === 'ok' ? undefined : behaviour;
}

/** What the real API refuses before it looks at the model. */
function validate(request: AnthropicRequest, apiKey: string): AnthropicFailure | undefined {
  if (request.path !== '/v1/messages') return { status: 404, type: 'not_found_error', message: `Not found: ${request.path}` };
  if (request.headers['x-api-key'] !== apiKey) return { status: 401, type: 'authentication_error', message: 'invalid x-api-key' };
  if (request.headers['anthropic-version'] !== '2023-06-01') return { status: 400, type: 'invalid_request_error', message: 'anthropic-version: header is required' };
  const body = request.json;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('body: expected an object');
  const fields = body as Record<string, unknown>;
  if (typeof fields['model'] !== 'string') return invalid('model: Field required');
  if (!Number.isInteger(fields['max_tokens']) || (fields['max_tokens'] as number) < 1) return invalid('max_tokens: Field required');
  const extra = OPENAI_ONLY.find((key) => key in fields);
  if (extra !== undefined) return invalid(`${extra}: Extra inputs are not permitted`);
  const messages = fields['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return invalid('messages: at least one message is required');
  for (const [index, message] of messages.entries()) {
    const role = (message as { role?: unknown }).role;
    if (role !== 'user' && role !== 'assistant') return invalid(`messages.${index}.role: Input should be 'user' or 'assistant'`);
  }
  return undefined;
}

function invalid(message: string): AnthropicFailure {
  return { status: 400, type: 'invalid_request_error', message };
}

/** One token per 4 characters of the system prompt and message texts. */
function inputTokens(body: Record<string, unknown>): number {
  const system = typeof body['system'] === 'string' ? body['system'] : '';
  const texts = (body['messages'] as { content: unknown }[]).map((message) => textOf(message.content));
  return Math.ceil([system, ...texts].join('').length / 4) + 1;
}

function lastUserText(body: Record<string, unknown>): string {
  const messages = body['messages'] as { role: string; content: unknown }[];
  return textOf([...messages].reverse().find((message) => message.role === 'user')?.content);
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((block: { text?: unknown }) => (typeof block.text === 'string' ? block.text : '')).join('');
}

function rateLimitHeaders(n: number, limit: number): Record<string, string> {
  const reset = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    'request-id': `req_${n}`,
    'anthropic-ratelimit-requests-limit': String(limit),
    'anthropic-ratelimit-requests-remaining': String(Math.max(0, limit - n)),
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': '40000',
    'anthropic-ratelimit-input-tokens-remaining': String(Math.max(0, 40_000 - 100 * n)),
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': '8000',
    'anthropic-ratelimit-output-tokens-remaining': String(Math.max(0, 8000 - 7 * n)),
    'anthropic-ratelimit-output-tokens-reset': reset,
    'anthropic-ratelimit-tokens-limit': '48000',
    'anthropic-ratelimit-tokens-remaining': String(Math.max(0, 8000 - 7 * n)),
    'anthropic-ratelimit-tokens-reset': reset,
  };
}

function send(response: http.ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
