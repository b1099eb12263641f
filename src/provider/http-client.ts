// The run's one pooled HTTP client: keep-alive sockets (about one per request in flight), a deadline per request,
// a byte cap on every body, and every body read to the end or destroyed so no socket or buffer is left behind.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { AdmissionRefusedError, ProviderError } from '../errors.js';
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
 */
export interface ResponseAdmission {
  /** The headers arrived: the declared content-length (undefined when chunked). `signal` fires on abort and on the deadline. */
  onHeaders(contentLength: number | undefined, signal: AbortSignal): Promise<void>;
  /** `bytes` more of the body were read; undefined (no promise) while the reservation still covers them. */
  onChunk(bytes: number, signal: AbortSignal): Promise<void> | undefined;
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

  constructor(private readonly options: HttpClientOptions) {
    this.deadlines = new RequestDeadlines(options.timeoutMs);
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
    // One shared deadline timer and run-signal listener; undici takes the cheap handle as its signal.
    const abort = this.deadlines.start(signal);
    const started = abort.startedAt;
    let headersReceived = false;
    try {
      const response = await this.dispatcher.request({
        origin: target.origin,
        path: target.path,
        method: 'POST',
        headers,
        body,
        signal: abort as unknown as AbortSignal,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      headersReceived = true;
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      const cap = ok ? this.options.maxResponseBytes : ERROR_BODY_CAP;
      const declared = declaredLength(response.headers['content-length']);
      if (declared !== undefined && declared > cap) {
        response.body.destroy();
        if (ok) throw responseTooLarge(this.options.maxResponseBytes, context);
        return { status: response.statusCode, headers: response.headers, bodyText: '', bodyBytes: 0, latencyMs: performance.now() - started };
      }
      const read = ok && admission !== undefined ? await readAdmitted(response.body, cap, declared, admission, abort.signal()) : await readCapped(response.body, cap, declared);
      if (read === undefined && ok) throw responseTooLarge(this.options.maxResponseBytes, context);
      const bodyText = read?.text ?? '';
      return { status: response.statusCode, headers: response.headers, bodyText, bodyBytes: read?.bytes ?? 0, latencyMs: performance.now() - started };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (error instanceof AdmissionRefusedError && !signal.aborted) throw admissionRefused(error, context);
      if (abort.timedOut) throw timeoutError(this.options.timeoutMs, context);
      if (signal.aborted) throw abortedError(context, signal.reason);
      const classified = classifyTransportError(error, context);
      // A connection lost after the headers is a body cut short.
      throw headersReceived && classified.code === 'connection_reset' ? bodyTruncated(context, error) : classified;
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

/** Whether the environment names a proxy (the variables EnvHttpProxyAgent honours). */
function proxyConfigured(): boolean {
  return ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'].some((name) => (process.env[name] ?? '') !== '');
}

function declaredLength(contentLength: string | string[] | undefined): number | undefined {
  const value = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN;
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

interface BodyRead {
  readonly text: string;
  readonly bytes: number;
}

/** A declared body at least this big is copied into one buffer as it arrives, so its chunks can go at once. */
const PREALLOCATE_FROM = 256 * 1024;

/**
 * The body as a string, or undefined (the body destroyed, its socket closed) once it passes `cap` bytes.
 * Chunks are copied into one string at the end, so no socket buffer outlives the call.
 */
async function readCapped(body: Dispatcher.ResponseData['body'], cap: number, declared: number | undefined): Promise<BodyRead | undefined> {
  const sink = new BodySink(declared);
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (sink.size + chunk.length > cap) {
      body.destroy();
      return undefined;
    }
    sink.push(chunk);
  }
  return sink.finish();
}

/** readCapped, asking `admission` for room as the body arrives; awaiting inside the loop pauses the stream. */
async function readAdmitted(
  body: Dispatcher.ResponseData['body'],
  cap: number,
  declared: number | undefined,
  admission: ResponseAdmission,
  signal: AbortSignal,
): Promise<BodyRead | undefined> {
  try {
    await admission.onHeaders(declared, signal);
    const sink = new BodySink(declared);
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (sink.size + chunk.length > cap) {
        body.destroy();
        return undefined;
      }
      sink.push(chunk);
      const wait = admission.onChunk(chunk.length, signal);
      if (wait !== undefined) await wait;
    }
    return sink.finish();
  } catch (error) {
    body.destroy();
    throw error;
  }
}

/** Collects a body: chunks joined at the end, or, for a big declared length, copied into one buffer as they come. */
class BodySink {
  size = 0;
  private chunks: Buffer[] = [];
  private whole: Buffer | undefined;

  constructor(declared: number | undefined) {
    if (declared !== undefined && declared >= PREALLOCATE_FROM) this.whole = Buffer.allocUnsafeSlow(declared);
  }

  push(chunk: Buffer): void {
    if (this.whole !== undefined && this.size + chunk.length <= this.whole.length) chunk.copy(this.whole, this.size);
    else {
      // More than declared (undici rejects that itself) or no declared length: keep the chunks.
      if (this.whole !== undefined) this.chunks.push(this.whole.subarray(0, this.size));
      this.whole = undefined;
      this.chunks.push(chunk);
    }
    this.size += chunk.length;
  }

  finish(): BodyRead {
    const size = this.size;
    if (this.whole !== undefined) return { text: this.whole.toString('utf8', 0, size), bytes: size };
    const chunks = this.chunks;
    this.chunks = [];
    const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    return { text, bytes: size };
  }
}
