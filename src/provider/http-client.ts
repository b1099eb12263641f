// The run's one pooled HTTP client: keep-alive sockets (about one per request in flight), a deadline per request,
// a byte cap on every body, and every body read to the end or destroyed so no socket or buffer is left behind.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { AdmissionRefusedError, ProviderError } from '../errors.js';
import { readAnswer, type SignalSource } from './answer-reader.js';

export type { SignalSource } from './answer-reader.js';
import { RequestDeadlines } from './request-deadlines.js';
import { abortedError, admissionRefused, bodyTruncated, type CallContext, classifyTransportError, responseTooLarge, timeoutError } from './classify.js';

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
  /** Body bytes as received (the size the memory budget learns from). */
  readonly bodyBytes: number;
  readonly latencyMs: number;
}

/**
 * Lets the in-flight memory budget pace the reading of a 2xx body (src/admission/response-admission.ts).
 * While a returned promise is pending no more of the body is read: the socket's buffers hold the rest.
 * A rejection with AdmissionRefusedError destroys the body: 'too_large' fails the record, 'preempted' retries it.
 * `signal` fires on abort and on the deadline; a function makes the real AbortSignal only when a hook must wait.
 * undefined instead of a promise: nothing to wait for.
 */
export interface ResponseAdmission {
  /** The headers arrived: the declared content-length (undefined when chunked). */
  onHeaders(contentLength: number | undefined, signal: SignalSource): Promise<void> | undefined;
  /** `bytes` more of the body were read; undefined (no promise) while the reservation still covers them. */
  onChunk(bytes: number, signal: SignalSource): Promise<void> | undefined;
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
  private readonly deadlines: RequestDeadlines;
  private readonly limits: { readonly okCap: number; readonly errorCap: number };

  constructor(private readonly options: HttpClientOptions) {
    this.deadlines = new RequestDeadlines(options.timeoutMs);
    this.limits = { okCap: options.maxResponseBytes, errorCap: ERROR_BODY_CAP };
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
    admission?: ResponseAdmission,
  ): Promise<HttpAnswer> {
    if (signal.aborted) throw abortedError(context, signal.reason);
    // One shared deadline timer and run-signal listener instead of an AbortController and a timer per request.
    const abort = this.deadlines.start(signal);
    const started = abort.startedAt;
    const handler = readAnswer(
      this.dispatcher,
      { origin: target.origin, path: target.path, method: 'POST', headers, body, headersTimeout: this.options.timeoutMs, bodyTimeout: this.options.timeoutMs },
      this.limits,
      admission,
      // The hooks wait with a real AbortSignal that follows the handle, made only if one has to wait.
      () => abort.signal(),
    );
    abort.addEventListener('abort', () => handler.abort(abort.reason));
    try {
      const read = await handler.answer;
      const ok = isOk(read.status);
      if (read.body === undefined && ok) throw responseTooLarge(this.options.maxResponseBytes, context);
      return { status: read.status, headers: read.headers, bodyText: read.body?.text ?? '', bodyBytes: read.body?.bytes ?? 0, latencyMs: performance.now() - started };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (error instanceof AdmissionRefusedError && !signal.aborted) throw admissionRefused(error, context);
      if (abort.timedOut) throw timeoutError(this.options.timeoutMs, context);
      if (signal.aborted) throw abortedError(context, signal.reason);
      const classified = classifyTransportError(error, context);
      // A connection lost after the headers is a body cut short.
      throw handler.headersReceived && classified.code === 'connection_reset' ? bodyTruncated(context, error) : classified;
    } finally {
      this.deadlines.finish(abort);
    }
  }

  /** Closes the pooled sockets once the requests in flight have ended; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.dispatcher.close();
    return this.closing;
  }
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Whether the environment names a proxy (the variables EnvHttpProxyAgent honours). */
function proxyConfigured(): boolean {
  return ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'].some((name) => (process.env[name] ?? '') !== '');
}


