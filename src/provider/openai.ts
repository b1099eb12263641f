// OpenAI-compatible APIs (OpenAI, Azure via --header, vLLM, llama.cpp, LiteLLM, the mock server).
import type { Endpoint } from '../input/record.js';
import { type CallContext, classifyStatus, invalidBody, unsupportedEndpoint } from './classify.js';
import { decodeEmbeddings } from './embeddings-answer.js';
import { HttpClient, type HttpAnswer, type HttpTarget, joinUrl, type ResponseAdmission } from './http-client.js';
import type { EmbeddingEncoding, Provider, ProviderName, ProviderResponse, TokenUsage } from './provider.js';
import { isEmptySnapshot, parseRateLimitHeaders } from './rate-limit-headers.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAiProviderOptions {
  readonly name?: ProviderName;
  /** With the version path, as OPENAI_BASE_URL: `http://127.0.0.1:8000/v1`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer`; local servers need none. */
  readonly apiKey: string | undefined;
  /** Extra headers (`--header`); they override the defaults, Authorization included. */
  readonly headers: readonly (readonly [string, string])[];
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly connections: number;
  readonly useProxyEnv?: boolean;
}

export class OpenAiProvider implements Provider {
  readonly name: ProviderName;
  readonly baseUrl: string;
  readonly embeddingEncoding: EmbeddingEncoding = 'base64';
  private readonly client: HttpClient;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly secrets: readonly string[];
  private readonly targets: Readonly<Record<Exclude<Endpoint, '/v1/messages'>, HttpTarget>>;
  /** The messages' context per endpoint: the same for every request, so made once. */
  private readonly contexts: Readonly<Record<Exclude<Endpoint, '/v1/messages'>, CallContext>>;

  constructor(options: OpenAiProviderOptions) {
    this.name = options.name ?? 'openai';
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.client = new HttpClient({
      connections: options.connections,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      ...(options.useProxyEnv === undefined ? {} : { useProxyEnv: options.useProxyEnv }),
    });
    this.headers = requestHeaders(options.apiKey, options.headers);
    this.secrets = secretsOf(options.apiKey, options.headers);
    this.targets = {
      '/v1/chat/completions': joinUrl(this.baseUrl, '/chat/completions'),
      '/v1/embeddings': joinUrl(this.baseUrl, '/embeddings'),
    };
    const contextOf = (target: HttpTarget): CallContext => ({ baseUrl: this.baseUrl, url: target.url, secrets: this.secrets });
    this.contexts = { '/v1/chat/completions': contextOf(this.targets['/v1/chat/completions']), '/v1/embeddings': contextOf(this.targets['/v1/embeddings']) };
  }

  async send(endpoint: Endpoint, body: Record<string, unknown>, signal: AbortSignal, admission?: ResponseAdmission): Promise<ProviderResponse> {
    if (endpoint === '/v1/messages') throw unsupportedEndpoint(this.name, endpoint);
    const target = this.targets[endpoint];
    const context = this.contexts[endpoint];
    const answer = await this.client.post(target, JSON.stringify(body), this.headers, signal, context, admission);
    return toProviderResponse(answer, context, endpoint === '/v1/embeddings' ? inputCount(body) : undefined);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/**
 * A 2xx answer with a JSON object body, as ProviderResponse; anything else as the classified ProviderError.
 * `embeddings` (the number of inputs sent) decodes the answer's vectors instead of keeping its text.
 */
export function toProviderResponse(answer: HttpAnswer, context: CallContext, embeddings?: number, nowMs = Date.now()): ProviderResponse {
  if (answer.status < 200 || answer.status >= 300) throw classifyStatus(answer.status, answer.headers, answer.bodyText, context, nowMs);
  const parsed = parseObject(answer.bodyText);
  if (parsed === undefined) throw invalidBody(answer.status, answer.bodyText.trim() === '' ? 'empty body' : 'not a JSON object', context);
  // Chat answers keep their text exactly as received (it is what is stored); embeddings keep only their vectors.
  // One object, no spreads: this runs once per answer.
  const response: { -readonly [K in keyof ProviderResponse]: ProviderResponse[K] } = {
    status: answer.status,
    requestId: requestIdOf(answer.headers),
    usage: usageOf(parsed['usage']),
    latencyMs: Math.round(answer.latencyMs),
    bodyBytes: answer.bodyBytes,
    bodyText: embeddings === undefined ? answer.bodyText : '',
  };
  if (embeddings !== undefined) response.vectors = decodeEmbeddings(parsed, embeddings);
  // The x-ratelimit-* headers OpenAI, Azure and Groq send on every answer (nothing when the server sends none).
  const rateLimit = parseRateLimitHeaders(answer.headers, nowMs);
  if (!isEmptySnapshot(rateLimit)) response.rateLimit = rateLimit;
  return response;
}

/** How many texts an embeddings body asks for. */
export function inputCount(body: Record<string, unknown>): number {
  const input = body['input'];
  return Array.isArray(input) ? input.length : 1;
}

export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** OpenAI's `usage` ({prompt_tokens, completion_tokens, total_tokens}); embeddings have no completion tokens. */
export function usageOf(usage: unknown): TokenUsage | null {
  if (typeof usage !== 'object' || usage === null) return null;
  const fields = usage as Record<string, unknown>;
  const count = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  return { promptTokens: count(fields['prompt_tokens']), completionTokens: count(fields['completion_tokens']), totalTokens: count(fields['total_tokens']) };
}

export function requestIdOf(headers: HttpAnswer['headers']): string | null {
  for (const name of ['x-request-id', 'request-id', 'apim-request-id']) {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text === 'string' && text !== '') return text;
  }
  return null;
}

/** Lower-cased names so a --header overrides a default whatever its case. */
export function requestHeaders(apiKey: string | undefined, extra: readonly (readonly [string, string])[]): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': 'memsafe',
  };
  if (apiKey !== undefined && apiKey !== '') headers['authorization'] = `Bearer ${apiKey}`;
  for (const [name, value] of extra) headers[name.toLowerCase()] = value;
  return headers;
}

/** The key and every --header value (Azure's api-key, gateway tokens) are kept out of messages. */
export function secretsOf(apiKey: string | undefined, extra: readonly (readonly [string, string])[]): string[] {
  // "Bearer <token>": the token alone may be echoed, so it is a secret too.
  const secrets = extra.flatMap(([, value]) => [value, ...value.split(/\s+/).slice(1)]).filter((value) => value.length >= 4);
  if (apiKey !== undefined && apiKey !== '') secrets.push(apiKey);
  return secrets;
}
