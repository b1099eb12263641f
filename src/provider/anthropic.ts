// Anthropic's Messages API (POST {base}/v1/messages), mapped to and from OpenAI shapes like Ollama's.
import { ProviderError } from '../errors.js';
import type { Endpoint } from '../input/record.js';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, ANTHROPIC_VERSION } from './anthropic-defaults.js';
import { classifyAnthropicStatus } from './anthropic-errors.js';
import { fromAnthropicMessage, toAnthropicRequest } from './anthropic-mapping.js';
import { parseAnthropicRateLimit } from './anthropic-rate-limit.js';
import { type CallContext, invalidBody } from './classify.js';
import { HttpClient, type HttpTarget, joinUrl } from './http-client.js';
import { parseObject, requestHeaders, requestIdOf, secretsOf } from './openai.js';
import type { Provider, ProviderResponse } from './provider.js';

export { ANTHROPIC_DEFAULT_BASE_URL } from './anthropic-defaults.js';

export interface AnthropicProviderOptions {
  /** Server root without /v1, as the SDK takes it (a trailing /v1 is dropped). */
  readonly baseUrl: string;
  /** Sent as `x-api-key`. */
  readonly apiKey: string | undefined;
  /** Extra headers (`--header`); they override the defaults, x-api-key and anthropic-version included. */
  readonly headers: readonly (readonly [string, string])[];
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly connections: number;
  /** Fills `max_tokens` of a translated request that has none (default 1024). */
  readonly maxTokens?: number | undefined;
  readonly useProxyEnv?: boolean;
}

export class AnthropicProvider implements Provider {
  readonly name = 'anthropic' as const;
  readonly baseUrl: string;
  /** Never used: Anthropic has no embeddings API (the run refuses --mode embeddings before it starts). */
  readonly embeddingEncoding = 'float' as const;
  private readonly client: HttpClient;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly secrets: readonly string[];
  private readonly maxTokens: number;
  private readonly messages: HttpTarget;

  constructor(options: AnthropicProviderOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.client = new HttpClient({
      connections: options.connections,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      ...(options.useProxyEnv === undefined ? {} : { useProxyEnv: options.useProxyEnv }),
    });
    const defaults: [string, string][] = [['anthropic-version', ANTHROPIC_VERSION]];
    if (options.apiKey !== undefined && options.apiKey !== '') defaults.push(['x-api-key', options.apiKey]);
    this.headers = requestHeaders(undefined, [...defaults, ...options.headers]);
    this.secrets = secretsOf(options.apiKey, options.headers);
    this.maxTokens = options.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
    this.messages = joinUrl(this.baseUrl, '/v1/messages');
  }

  /** Chat bodies are translated; '/v1/messages' bodies (Anthropic batch lines' params) go as they are. */
  async send(endpoint: Endpoint, body: Record<string, unknown>, signal: AbortSignal): Promise<ProviderResponse> {
    if (endpoint === '/v1/embeddings') {
      throw new ProviderError('Anthropic has no embeddings API: --provider anthropic runs --mode cache only', { code: 'unsupported_mode', scope: 'run' });
    }
    const context: CallContext = { baseUrl: this.baseUrl, url: this.messages.url, secrets: this.secrets };
    const request = endpoint === '/v1/messages' ? body : toAnthropicRequest(body, this.maxTokens);
    const answer = await this.client.post(this.messages, JSON.stringify(request), this.headers, signal, context);
    if (answer.status < 200 || answer.status >= 300) throw classifyAnthropicStatus(answer.status, answer.headers, answer.bodyText, context);
    const parsed = parseObject(answer.bodyText);
    if (parsed === undefined) throw invalidBody(answer.status, answer.bodyText.trim() === '' ? 'empty body' : 'not a JSON object', context);
    const mapped = fromAnthropicMessage(parsed, request);
    if (mapped === undefined) throw invalidBody(answer.status, 'no content blocks in the answer', context);
    const rateLimit = parseAnthropicRateLimit(answer.headers, Date.now());
    return {
      status: answer.status,
      requestId: requestIdOf(answer.headers),
      bodyText: JSON.stringify(mapped.body),
      usage: mapped.usage,
      latencyMs: Math.round(answer.latencyMs),
      ...(rateLimit === undefined ? {} : { rateLimit }),
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
