// A real HTTP server on 127.0.0.1 with deterministic OpenAI- and Ollama-style answers: for `--provider mock`,
// `memsafe mock-server`, CI smoke runs and tests. It holds no per-request state beyond a bounded attempt table.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { errorAnswer, failsOnAttempt, type MockAnswer, mockAnswer, sha256Hex } from './mock-answers.js';
import type { MockBatchOptions, MockBatches } from './mock-batches.js';

export interface MockServerOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Delay before each answer. */
  readonly latencyMs?: number;
  /** Fraction of requests answered with 500, decided by hash of body and attempt so retries get through. */
  readonly failRate?: number;
  /** Pad each chat answer's content to about this many bytes. */
  readonly responseBytes?: number | undefined;
  /** The Files + Batches endpoints' timings and faults (src/provider/mock-batches.ts). */
  readonly batches?: MockBatchOptions;
}

export interface MockServerStats {
  requests: number;
  byPath: Record<string, number>;
}

export interface MockServer {
  /** `http://127.0.0.1:PORT` (the OpenAI base URL is this plus `/v1`). */
  readonly url: string;
  readonly stats: MockServerStats;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** Attempts are counted per body for --fail-rate; the table forgets its oldest entries past this size. */
const ATTEMPT_TABLE_SIZE = 10_000;
const KNOWN_PATHS = new Set(['/v1/chat/completions', '/v1/embeddings', '/v1/models', '/api/chat', '/api/embed', '/api/generate', '/api/tags']);

export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const host = options.host ?? '127.0.0.1';
  const latencyMs = options.latencyMs ?? 0;
  const failRate = options.failRate ?? 0;
  const stats: MockServerStats = { requests: 0, byPath: {} };
  const attempts = new Map<string, number>();

  const nextAttempt = (hash: string): number => {
    const attempt = attempts.get(hash) ?? 0;
    attempts.delete(hash); // re-insert so the Map's order is least recently used first
    attempts.set(hash, attempt + 1);
    if (attempts.size > ATTEMPT_TABLE_SIZE) {
      const oldest = attempts.keys().next().value;
      if (oldest !== undefined) attempts.delete(oldest);
    }
    return attempt;
  };

  const answerFor = (request: http.IncomingMessage, bodyText: string): MockAnswer => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method === 'POST' && failRate > 0 && KNOWN_PATHS.has(path)) {
      const hash = sha256Hex(bodyText);
      if (failsOnAttempt(hash, nextAttempt(hash), failRate)) return errorAnswer(500, 'mock failure (--fail-rate)');
    }
    return mockAnswer(request.method ?? 'GET', path, bodyText, { responseBytes: options.responseBytes });
  };

  // Files + Batches state lives as long as this server; made on the first batch request (it holds a temp dir).
  let batches: Promise<MockBatches> | undefined;
  const batchRoutes = (): Promise<MockBatches> =>
    (batches ??= import('./mock-batches.js').then(({ MockBatches }) => new MockBatches(options.batches)));

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    stats.requests += 1;
    if (path.startsWith('/v1/files') || path.startsWith('/v1/batches')) {
      void batchRoutes().then((routes) => routes.handle(request, response)).catch(() => response.destroy());
      return;
    }
    const key = KNOWN_PATHS.has(path) ? path : 'other';
    stats.byPath[key] = (stats.byPath[key] ?? 0) + 1;
    void handle(request, response);
  });

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const bodyText = await readBody(request);
    if (response.destroyed) return;
    if (bodyText === undefined) {
      send(response, errorAnswer(413, `Request body over ${MAX_REQUEST_BYTES} bytes`), true);
      return;
    }
    if (latencyMs > 0) await delay(latencyMs);
    if (response.destroyed) return;
    send(response, answerFor(request, bodyText), false);
  };

  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    stats,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive sockets would hold close() open
      }).then(async () => (await batches)?.close());
      return closing;
    },
  };
}

/** The request body as a string, or undefined when it passes the cap (the rest is drained, not kept). */
async function readBody(request: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    }
  } catch {
    return undefined; // the client went away mid-body; the caller sees the response destroyed
  }
  return tooLarge ? undefined : Buffer.concat(chunks, size).toString('utf8');
}

function send(response: http.ServerResponse, answer: MockAnswer, closeAfter: boolean): void {
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(answer.body),
    ...answer.headers,
    ...(closeAfter ? { connection: 'close' } : {}),
  });
  response.end(answer.body);
}
