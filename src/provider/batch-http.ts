// The HTTP calls both Batch APIs make (OpenAI Files + Batches, Anthropic Message Batches): one small pool, calls
// whose 2xx answer is a JSON object, streamed bodies handed to the caller, safe calls repeated with full-jitter
// backoff. Each API passes its own headers and its own classifier of error answers.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { ProviderError } from '../errors.js';
import { type CallContext, classifyTransportError, invalidBody } from './classify.js';
import { joinUrl } from './http-client.js';

export interface BatchHttpOptions {
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Values kept out of messages (the key, header values). */
  readonly secrets: readonly string[];
  readonly timeoutMs: number;
  /** Attempts after the first, for calls that are safe to repeat. */
  readonly maxRetries: number;
  readonly backoffBaseMs?: number;
  readonly random?: () => number;
  /** The API's reading of a non-2xx answer. */
  readonly classify: (status: number, headers: IncomingHttpHeaders, bodyText: string, context: CallContext) => ProviderError;
}

export interface BatchSend {
  readonly body: () => string | Readable;
  readonly headers: Record<string, string>;
}

const ERROR_BODY_CAP = 64 * 1024;
const BACKOFF_CAP_MS = 30_000;

export class BatchHttp {
  private readonly agent: Dispatcher;

  constructor(private readonly options: BatchHttpOptions) {
    this.agent = new Agent({ connections: 4, connect: { timeout: Math.min(options.timeoutMs, 10_000) } });
  }

  context(suffix: string): CallContext {
    const { baseUrl, secrets } = this.options;
    return { baseUrl, url: joinUrl(baseUrl, suffix.split('?')[0] ?? suffix).url, secrets };
  }

  /** Repeats a call that is safe to repeat on retryable failures, with full-jitter backoff (or the server's wait). */
  async retrying<T>(signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof ProviderError) || error.scope !== 'retryable' || tries >= this.options.maxRetries || signal.aborted) throw error;
        const ceiling = Math.min(BACKOFF_CAP_MS, (this.options.backoffBaseMs ?? 500) * 2 ** tries);
        await sleep(Math.max(error.retryAfterMs ?? 0, Math.floor((this.options.random ?? Math.random)() * ceiling)), undefined, { signal });
      }
    }
  }

  /** One call whose 2xx answer is a JSON object; anything else as a classified ProviderError. */
  async call(method: 'GET' | 'POST', suffix: string, signal: AbortSignal, send?: BatchSend): Promise<Record<string, unknown>> {
    const response = await this.open(method, suffix, signal, send);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw classifyTransportError(error, this.context(suffix));
    }
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw invalidBody(response.statusCode, 'not a JSON object', this.context(suffix));
  }

  /** Sends a request and resolves with a 2xx response whose body the caller consumes; else rejects classified. */
  async open(method: 'GET' | 'POST', suffix: string, signal: AbortSignal, send?: BatchSend): Promise<Dispatcher.ResponseData> {
    const [pathPart = suffix, query] = suffix.split('?');
    const target = joinUrl(this.options.baseUrl, pathPart);
    const requestPath = query === undefined ? target.path : `${target.path}${target.path.includes('?') ? '&' : '?'}${query}`;
    const context = this.context(suffix);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.agent.request({
        origin: target.origin,
        path: requestPath,
        method,
        headers: { ...this.options.headers, ...(send?.headers ?? {}) },
        ...(send === undefined ? {} : { body: send.body() }),
        signal,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
    } catch (error) {
      throw classifyTransportError(error, context);
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const text = await readCapped(response.body, ERROR_BODY_CAP);
    throw this.options.classify(response.statusCode, response.headers, text, context);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** An error body, at most `cap` bytes of it; one cut short still names the status. */
async function readCapped(body: Dispatcher.ResponseData['body'], cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size < cap) chunks.push(chunk);
      size += chunk.length;
    }
  } catch {
    // an error body cut short still names the status
  }
  return Buffer.concat(chunks).subarray(0, cap).toString('utf8');
}
