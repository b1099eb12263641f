// The run's one pooled HTTP client: keep-alive sockets (about one per request in flight), a deadline per request,
// a byte cap on every body, and every body read to the end or destroyed so no socket or buffer is left behind.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { ProviderError } from '../errors.js';
import { allowManyAbortListeners } from '../util/abort-listeners.js';
import { abortedError, bodyTruncated, type CallContext, classifyTransportError, responseTooLarge, timeoutError } from './classify.js';

export interface HttpClientOptions {
  /** Sockets per origin: about the run's concurrency. */
  readonly connections: number;
  /** Deadline of one request, headers and body together (--timeout). */
  readonly timeoutMs: number;
  /** Cap of a 2xx body (--max-response-bytes); a larger one is aborted. */
  readonly maxResponseBytes: number;
  /** Honour HTTP(S)_PROXY / NO_PROXY (default true; the in-process mock server is reached directly). */
  readonly useProxyEnv?: boolean;
}

export interface HttpTarget {
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  readonly url: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as a string (never a Buffer slice that would pin a socket chunk). Error bodies are cut at 64 KB. */
  readonly bodyText: string;
  readonly latencyMs: number;
}

/** Error bodies only feed a message; more than this is not worth holding. */
const ERROR_BODY_CAP = 64 * 1024;
const CONNECT_TIMEOUT_CAP_MS = 10_000;

/** `${baseUrl}${suffix}` that keeps a query on the base URL (Azure's `?api-version=`) after the path. */
export function joinUrl(baseUrl: string, suffix: string): HttpTarget {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${suffix}`;
  return { origin: url.origin, path: `${url.pathname}${url.search}`, url: url.toString() };
}

export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: HttpClientOptions) {
    const agentOptions: Agent.Options = {
      connections: Math.max(1, options.connections),
      pipelining: 1,
      connect: { timeout: Math.min(options.timeoutMs, CONNECT_TIMEOUT_CAP_MS) },
    };
    // EnvHttpProxyAgent reads NO_PROXY on every request; without any proxy variable a plain Agent does the same job.
    this.dispatcher = options.useProxyEnv === false || !proxyConfigured() ? new Agent(agentOptions) : new EnvHttpProxyAgent(agentOptions);
  }

  /**
   * POSTs `body` and resolves with any HTTP answer (2xx or not: the caller classifies the status). Rejects with a
   * ProviderError for transport failures, the deadline, an abort of `signal`, or a 2xx body over the cap.
   */
  async post(
    target: HttpTarget,
    body: string,
    headers: Readonly<Record<string, string>>,
    signal: AbortSignal,
    context: CallContext,
  ): Promise<HttpAnswer> {
    if (signal.aborted) throw abortedError(context, signal.reason);
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = (): void => controller.abort(signal.reason);
    allowManyAbortListeners(signal);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('deadline'));
    }, this.options.timeoutMs);
    const started = performance.now();
    let headersReceived = false;
    try {
      const response = await this.dispatcher.request({
        origin: target.origin,
        path: target.path,
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      headersReceived = true;
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      const cap = ok ? this.options.maxResponseBytes : ERROR_BODY_CAP;
      const bodyText = await readCapped(response.body, cap, response.headers['content-length']);
      if (bodyText === undefined && ok) throw responseTooLarge(this.options.maxResponseBytes, context);
      return { status: response.statusCode, headers: response.headers, bodyText: bodyText ?? '', latencyMs: performance.now() - started };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (timedOut) throw timeoutError(this.options.timeoutMs, context);
      if (signal.aborted) throw abortedError(context, signal.reason);
      const classified = classifyTransportError(error, context);
      // A connection lost after the headers is a body cut short.
      throw headersReceived && classified.code === 'connection_reset' ? bodyTruncated(context, error) : classified;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Closes the pooled sockets once the requests in flight have ended; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.dispatcher.close();
    return this.closing;
  }
}

/** Whether the environment names a proxy (the variables EnvHttpProxyAgent honours). */
function proxyConfigured(): boolean {
  return ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'].some((name) => (process.env[name] ?? '') !== '');
}

/**
 * The body as a string, or undefined (the body destroyed, its socket closed) once it passes `cap` bytes.
 * Chunks are copied into one string at the end, so no socket buffer outlives the call.
 */
async function readCapped(body: Dispatcher.ResponseData['body'], cap: number, contentLength: string | string[] | undefined): Promise<string | undefined> {
  const declared = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN;
  if (declared > cap) {
    body.destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > cap) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
}
