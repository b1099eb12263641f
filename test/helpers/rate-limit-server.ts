// A node:http server on 127.0.0.1 port 0 with OpenAI-style request AND token buckets: answers chat completions
// like the mock server after a configurable latency, sends x-ratelimit-* on every answer, and refuses with 429
// carrying `retry-after-ms`, `Retry-After` in seconds, or neither. Counts what it accepted and refused.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { mockAnswer } from '../../src/provider/mock-answers.js';

export type RetryHint = 'retry-after-ms' | 'retry-after' | 'none';

export interface RateLimitServerOptions {
  /** Requests per window (the bucket's capacity; it refills continuously over `windowMs`). */
  readonly requestsPerWindow: number;
  /** Tokens per window (default: unlimited). */
  readonly tokensPerWindow?: number;
  /** Default 60 s, as OpenAI's per-minute limits; 1 s gives "300 requests/s with a one-second burst". */
  readonly windowMs?: number;
  /** Answer latency of accepted requests (default 0). */
  readonly latencyMs?: number;
  /** How a 429 says when to come back (default 'retry-after-ms'). */
  readonly retryHint?: RetryHint;
  /** Tokens a request costs (default: body characters / 4 plus max_tokens, as OpenAI estimates up front). */
  readonly tokensOf?: (body: unknown, text: string) => number;
  readonly now?: () => number;
}

export interface RateLimitServer {
  /** `http://127.0.0.1:PORT`; the OpenAI base URL is this plus `/v1`. */
  readonly url: string;
  accepted(): number;
  refused(): number;
  close(): Promise<void>;
}

interface Bucket {
  level: number;
  readonly capacity: number;
}

export async function startRateLimitServer(options: RateLimitServerOptions): Promise<RateLimitServer> {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 60_000;
  const requests: Bucket = { level: options.requestsPerWindow, capacity: options.requestsPerWindow };
  const tokens: Bucket = { level: options.tokensPerWindow ?? Number.POSITIVE_INFINITY, capacity: options.tokensPerWindow ?? Number.POSITIVE_INFINITY };
  const tokensOf = options.tokensOf ?? estimateTokens;
  let updatedAt = now();
  let accepted = 0;
  let refused = 0;

  const refill = (): void => {
    const at = now();
    const elapsed = Math.max(0, at - updatedAt);
    updatedAt = at;
    for (const bucket of [requests, tokens]) {
      if (Number.isFinite(bucket.capacity)) bucket.level = Math.min(bucket.capacity, bucket.level + (elapsed * bucket.capacity) / windowMs);
    }
  };
  /** Milliseconds until `bucket` is full again: OpenAI's x-ratelimit-reset-*. */
  const resetMs = (bucket: Bucket): number => (Number.isFinite(bucket.capacity) ? ((bucket.capacity - bucket.level) * windowMs) / bucket.capacity : 0);
  const waitFor = (bucket: Bucket, cost: number): number => (bucket.level >= cost ? 0 : ((cost - bucket.level) * windowMs) / bucket.capacity);

  const headers = (): Record<string, string> => {
    const out: Record<string, string> = {
      'x-ratelimit-limit-requests': String(requests.capacity),
      'x-ratelimit-remaining-requests': String(Math.max(0, Math.floor(requests.level))),
      'x-ratelimit-reset-requests': goDuration(resetMs(requests)),
    };
    if (Number.isFinite(tokens.capacity)) {
      out['x-ratelimit-limit-tokens'] = String(tokens.capacity);
      out['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(tokens.level)));
      out['x-ratelimit-reset-tokens'] = goDuration(resetMs(tokens));
    }
    return out;
  };

  const server = http.createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      const cost = Math.max(0, tokensOf(parseJson(text), text));
      refill();
      const capped = Math.min(cost, tokens.capacity);
      if (requests.level < 1 || tokens.level < capped) {
        refused++;
        const wait = Math.ceil(Math.max(waitFor(requests, 1), waitFor(tokens, capped)));
        const body = JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } });
        response.writeHead(429, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers(), ...retryHeader(options.retryHint ?? 'retry-after-ms', wait) });
        response.end(body);
        return;
      }
      requests.level -= 1;
      tokens.level -= cost;
      accepted++;
      const snapshot = headers(); // taken when the request is counted, as a real server does
      if ((options.latencyMs ?? 0) > 0) await delay(options.latencyMs);
      if (response.destroyed) return;
      const ok = mockAnswer(request.method ?? 'POST', request.url ?? '/', text);
      response.writeHead(ok.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ok.body), ...ok.headers, ...snapshot });
      response.end(ok.body);
    })().catch(() => response.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function retryHeader(hint: RetryHint, waitMs: number): Record<string, string> {
  if (hint === 'retry-after-ms') return { 'retry-after-ms': String(waitMs) };
  if (hint === 'retry-after') return { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) };
  return {};
}

/** OpenAI's reset format: `20ms` below a second, else `1s`, `6m0s`, `1h2m3.5s`. */
export function goDuration(ms: number): string {
  const rounded = Math.max(0, Math.ceil(ms));
  if (rounded < 1000) return `${rounded}ms`;
  const hours = Math.floor(rounded / 3_600_000);
  const minutes = Math.floor((rounded % 3_600_000) / 60_000);
  const seconds = (rounded % 60_000) / 1000;
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  return minutes > 0 ? `${minutes}m${secondsText}` : secondsText;
}

function estimateTokens(body: unknown, text: string): number {
  const maxTokens = typeof body === 'object' && body !== null ? (body as { max_tokens?: unknown }).max_tokens : undefined;
  return Math.ceil(text.length / 4) + (typeof maxTokens === 'number' ? maxTokens : 0);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
