// Ollama's native API (/api/chat, /api/embed), mapped to and from OpenAI shapes so the rest of memsafe reads one shape.
import { randomUUID } from 'node:crypto';
import { ProviderError } from '../errors.js';
import type { Endpoint } from '../input/record.js';
import { type CallContext, classifyStatus, invalidBody, unsupportedEndpoint } from './classify.js';
import { HttpClient, type HttpTarget, joinUrl, type ResponseAdmission } from './http-client.js';
import { decodeEmbeddings } from './embeddings-answer.js';
import { inputCount, parseObject, requestHeaders, secretsOf } from './openai.js';
import type { Provider, ProviderResponse, TokenUsage } from './provider.js';

export const OLLAMA_DEFAULT_BASE_URL = 'http://127.0.0.1:11434';

export interface OllamaProviderOptions {
  /** Server root without /v1 (a trailing /v1, as in an OpenAI-style URL, is dropped). */
  readonly baseUrl: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly connections: number;
  /** Ollama's keep_alive (`5m`, `0`, `-1`): how long the model stays loaded after a request. */
  readonly keepAlive?: string | undefined;
}

type Json = Record<string, unknown>;

export class OllamaProvider implements Provider {
  readonly name = 'ollama' as const;
  readonly baseUrl: string;
  /** /api/embed has no encoding_format: its answers are mapped from number arrays. */
  readonly embeddingEncoding = 'float' as const;
  private readonly client: HttpClient;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly secrets: readonly string[];
  private readonly keepAlive: string | number | undefined;
  private readonly chat: HttpTarget;
  private readonly embed: HttpTarget;
  private readonly generate: HttpTarget;

  constructor(options: OllamaProviderOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.client = new HttpClient({ connections: options.connections, timeoutMs: options.timeoutMs, maxResponseBytes: options.maxResponseBytes });
    // No OPENAI_API_KEY here: it must not leak to another host. A proxy's auth goes in --header.
    this.headers = requestHeaders(undefined, options.headers);
    this.secrets = secretsOf(undefined, options.headers);
    this.keepAlive = keepAliveValue(options.keepAlive);
    this.chat = joinUrl(this.baseUrl, '/api/chat');
    this.embed = joinUrl(this.baseUrl, '/api/embed');
    this.generate = joinUrl(this.baseUrl, '/api/generate');
  }

  async send(endpoint: Endpoint, body: Json, signal: AbortSignal, admission?: ResponseAdmission): Promise<ProviderResponse> {
    if (endpoint === '/v1/messages') throw unsupportedEndpoint(this.name, endpoint);
    const chat = endpoint === '/v1/chat/completions';
    const target = chat ? this.chat : this.embed;
    const context: CallContext = { baseUrl: this.baseUrl, url: target.url, secrets: this.secrets };
    const request = chat ? toOllamaChat(body, this.keepAlive) : toOllamaEmbed(body, this.keepAlive);
    const answer = await this.client.post(target, JSON.stringify(request), this.headers, signal, context, admission);
    if (answer.status < 200 || answer.status >= 300) throw classifyStatus(answer.status, answer.headers, answer.bodyText, context);
    const parsed = parseObject(answer.bodyText);
    if (parsed === undefined) throw invalidBody(answer.status, 'not a JSON object', context);
    const mapped = chat ? fromOllamaChat(parsed, body) : fromOllamaEmbed(parsed, body);
    if (mapped === undefined) throw invalidBody(answer.status, chat ? 'no message in the answer' : 'no embeddings in the answer', context);
    const fields = { status: answer.status, requestId: null, usage: mapped.usage, latencyMs: Math.round(answer.latencyMs), bodyBytes: answer.bodyBytes };
    // Embeddings: the vectors are the one copy held (no float text serialised that nobody reads).
    return chat ? { ...fields, bodyText: JSON.stringify(mapped.body) } : { ...fields, bodyText: '', vectors: decodeEmbeddings(mapped.body, inputCount(body)) };
  }

  /** Frees the model's memory now (`keep_alive: 0`): for the memory breaker and `--unload`. */
  async unloadModel(model: string, signal: AbortSignal = new AbortController().signal): Promise<void> {
    const context: CallContext = { baseUrl: this.baseUrl, url: this.generate.url, secrets: this.secrets };
    const answer = await this.client.post(this.generate, JSON.stringify({ model, keep_alive: 0 }), this.headers, signal, context);
    if (answer.status < 200 || answer.status >= 300) throw classifyStatus(answer.status, answer.headers, answer.bodyText, context);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** `"300"` and `"-1"` as numbers (Go's duration parser wants a unit), `"5m"` as it is. */
function keepAliveValue(keepAlive: string | undefined): string | number | undefined {
  if (keepAlive === undefined || keepAlive.trim() === '') return undefined;
  return /^-?\d+$/.test(keepAlive.trim()) ? Number(keepAlive) : keepAlive.trim();
}

/** OpenAI chat body -> /api/chat body (stream off; sampling parameters into `options`). */
export function toOllamaChat(body: Json, keepAlive: string | number | undefined): Json {
  const options: Json = {};
  copy(body, 'temperature', options, 'temperature');
  copy(body, 'top_p', options, 'top_p');
  copy(body, 'seed', options, 'seed');
  copy(body, 'presence_penalty', options, 'presence_penalty');
  copy(body, 'frequency_penalty', options, 'frequency_penalty');
  copy(body, body['max_completion_tokens'] === undefined ? 'max_tokens' : 'max_completion_tokens', options, 'num_predict');
  const stop = body['stop'];
  if (typeof stop === 'string') options['stop'] = [stop];
  else if (Array.isArray(stop)) options['stop'] = stop;
  const messages = Array.isArray(body['messages']) ? body['messages'].map(toOllamaMessage) : [];
  const request: Json = { model: body['model'], messages, stream: false };
  if (Object.keys(options).length > 0) request['options'] = options;
  if (Array.isArray(body['tools'])) request['tools'] = body['tools'];
  const format = responseFormat(body['response_format']);
  if (format !== undefined) request['format'] = format;
  if (keepAlive !== undefined) request['keep_alive'] = keepAlive;
  return request;
}

/** OpenAI embeddings body -> /api/embed body (input always an array). */
export function toOllamaEmbed(body: Json, keepAlive: string | number | undefined): Json {
  const input = body['input'];
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((entry) => typeof entry === 'string') ? input : undefined;
  if (texts === undefined) {
    throw new ProviderError('Ollama embeddings take text input (a string or an array of strings), not token arrays', { code: 'unsupported_input', scope: 'record' });
  }
  const request: Json = { model: body['model'], input: texts };
  if (typeof body['dimensions'] === 'number') request['dimensions'] = body['dimensions'];
  if (keepAlive !== undefined) request['keep_alive'] = keepAlive;
  return request;
}

interface Mapped {
  readonly body: Json;
  readonly usage: TokenUsage;
}

/** /api/chat answer -> `chat.completion` with choices[0].message and usage from the eval counts. */
export function fromOllamaChat(answer: Json, request: Json): Mapped | undefined {
  const message = answer['message'];
  if (typeof message !== 'object' || message === null) return undefined;
  const { content, tool_calls: toolCalls } = message as Json;
  const calls = Array.isArray(toolCalls) ? toolCalls.map(toOpenAiToolCall) : undefined;
  const usage = usageFrom(answer['prompt_eval_count'], answer['eval_count']);
  const doneReason = answer['done_reason'];
  const finishReason = calls !== undefined && calls.length > 0 ? 'tool_calls' : doneReason === 'length' ? 'length' : 'stop';
  const body: Json = {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: createdSeconds(answer['created_at']),
    model: typeof answer['model'] === 'string' ? answer['model'] : request['model'],
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: typeof content === 'string' ? content : '', ...(calls === undefined || calls.length === 0 ? {} : { tool_calls: calls }) },
        finish_reason: finishReason,
      },
    ],
    usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.totalTokens },
  };
  return { body, usage };
}

/** /api/embed answer -> embeddings `list` with data[{object, index, embedding}] in input order. */
export function fromOllamaEmbed(answer: Json, request: Json): Mapped | undefined {
  const embeddings = answer['embeddings'];
  if (!Array.isArray(embeddings)) return undefined;
  const usage = usageFrom(answer['prompt_eval_count'], 0);
  const body: Json = {
    object: 'list',
    data: embeddings.map((embedding: unknown, index) => ({ object: 'embedding', index, embedding })),
    model: typeof answer['model'] === 'string' ? answer['model'] : request['model'],
    usage: { prompt_tokens: usage.promptTokens, total_tokens: usage.totalTokens },
  };
  return { body, usage: { ...usage, completionTokens: null } };
}

/** OpenAI message (content string or parts, tool calls with JSON-text arguments) -> Ollama message. */
function toOllamaMessage(message: unknown): Json {
  if (typeof message !== 'object' || message === null) return { role: 'user', content: String(message) };
  const { content, tool_calls: toolCalls, ...rest } = message as Json;
  const out: Json = { ...rest, content: typeof content === 'string' ? content : '' };
  if (Array.isArray(content)) {
    const texts: string[] = [];
    const images: string[] = [];
    for (const part of content as Json[]) {
      if (part['type'] === 'text' && typeof part['text'] === 'string') texts.push(part['text']);
      else if (part['type'] === 'image_url') images.push(inlineImage(part['image_url']));
    }
    out['content'] = texts.join('\n');
    if (images.length > 0) out['images'] = images;
  }
  if (Array.isArray(toolCalls)) {
    out['tool_calls'] = (toolCalls as Json[]).map((call) => {
      const fn = (call['function'] ?? {}) as Json;
      const args = fn['arguments'];
      return { function: { name: fn['name'], arguments: typeof args === 'string' ? (parseObject(args) ?? {}) : args } };
    });
  }
  return out;
}

/** Ollama takes images as bare base64; only data: URLs can be passed on. */
function inlineImage(imageUrl: unknown): string {
  const url = typeof imageUrl === 'string' ? imageUrl : typeof imageUrl === 'object' && imageUrl !== null ? (imageUrl as Json)['url'] : undefined;
  const match = typeof url === 'string' ? /^data:[^;,]+;base64,(.*)$/s.exec(url) : null;
  if (match?.[1] === undefined) {
    throw new ProviderError('Ollama takes images as data: URLs (base64), not links', { code: 'unsupported_input', scope: 'record' });
  }
  return match[1];
}

function toOpenAiToolCall(call: unknown, index: number): Json {
  const fn = (typeof call === 'object' && call !== null ? ((call as Json)['function'] ?? {}) : {}) as Json;
  const args = fn['arguments'];
  return { id: `call_${index}`, type: 'function', function: { name: fn['name'], arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) } };
}

function responseFormat(format: unknown): unknown {
  if (typeof format !== 'object' || format === null) return undefined;
  const { type, json_schema: schema } = format as Json;
  if (type === 'json_object') return 'json';
  if (type === 'json_schema' && typeof schema === 'object' && schema !== null) return (schema as Json)['schema'];
  return undefined;
}

function usageFrom(prompt: unknown, completion: unknown): TokenUsage {
  const promptTokens = typeof prompt === 'number' ? prompt : null;
  const completionTokens = typeof completion === 'number' ? completion : null;
  const totalTokens = promptTokens === null && completionTokens === null ? null : (promptTokens ?? 0) + (completionTokens ?? 0);
  return { promptTokens, completionTokens, totalTokens };
}

function createdSeconds(createdAt: unknown): number {
  const parsed = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN;
  return Math.floor((Number.isNaN(parsed) ? Date.now() : parsed) / 1000);
}

function copy(from: Json, key: string, to: Json, as: string): void {
  const value = from[key];
  if (value !== undefined && value !== null) to[as] = value;
}
