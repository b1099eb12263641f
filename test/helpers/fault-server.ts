// A scriptable node:http server on 127.0.0.1 port 0: answers like the mock server, or fails on cue
// (429 + Retry-After, 5xx, 4xx, resets, truncated and slow bodies, huge bodies). Records every request.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { mockAnswer } from '../../src/provider/mock-answers.js';

export type Fault =
  | 'ok'
  /** Never answers; the request stays open until the client gives up or the server closes. */
  | 'hang'
  | 'reset'
  | 'truncate'
  /** `chunked`: no content-length, the body streamed in 64 KB writes (with backpressure). */
  | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>>; readonly delayMs?: number; readonly chunked?: boolean }
  | { readonly slowMs: number }
  /** A 200 body of this many bytes; with `declared` its content-length is sent up front. */
  | { readonly bytes: number; readonly declared?: boolean };

export interface FaultRequest {
  /** 1-based count of requests so far. */
  readonly n: number;
  readonly path: string;
  readonly body: string;
  readonly json: unknown;
}

export interface RecordedRequest extends FaultRequest {
  readonly method: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Date.now() when the body had arrived. */
  readonly time: number;
  /** Date.now() when the request line and headers arrived: when the request reached the server. */
  readonly arrivedAt: number;
}

export interface FaultRates {
  readonly r429?: number;
  readonly r500?: number;
  readonly reset?: number;
  readonly truncate?: number;
  readonly slow?: number;
}

export interface FaultServerOptions {
  readonly behaviour?: (request: FaultRequest) => Fault;
  /** Chaos mode (used when no behaviour is given): each request draws one fault with these probabilities. */
  readonly rates?: FaultRates;
  readonly seed?: number;
  /** Delay of a `slow` draw in rates mode (default 200 ms). */
  readonly slowMs?: number;
  /** Retry-After of a 429 draw in rates mode (default '0'). */
  readonly retryAfter?: string;
}

export interface FaultServer {
  /** `http://127.0.0.1:PORT`; the OpenAI base URL is this plus `/v1`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Sockets open right now (a leak check: it drops to 0 once clients close theirs). */
  openSockets(): number;
  /** Connections accepted since the start (keep-alive keeps this far below the request count). */
  connectionsAccepted(): number;
  /** Most requests open at once (from arrival to the end of the answer) since the start. */
  maxInFlight(): number;
  close(): Promise<void>;
}

export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const random = mulberry32(options.seed ?? 1);
  const choose = options.behaviour ?? ((): Fault => drawFault(options, random));
  let count = 0;
  let accepted = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const server = http.createServer((request, response) => {
    const arrivedAt = Date.now();
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    response.once('close', () => (inFlight -= 1));
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (request.url ?? '/').split('?')[0] ?? '/';
      count += 1;
      const faultRequest: FaultRequest = { n: count, path, body, json: parseJson(body) };
      requests.push({ ...faultRequest, method: request.method ?? 'GET', headers: request.headers, time: Date.now(), arrivedAt });
      await answer(request, response, choose(faultRequest), body);
    })().catch(() => response.destroy());
  });
  server.on('connection', (socket: Socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    openSockets: () => sockets.size,
    connectionsAccepted: () => accepted,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(request: http.IncomingMessage, response: http.ServerResponse, fault: Fault, body: string): Promise<void> {
  if (fault === 'hang') return;
  if (fault === 'reset') {
    request.socket.destroy();
    return;
  }
  if (fault === 'ok') return sendOk(request, response, body);
  if (fault === 'truncate') {
    const ok = mockAnswer(request.method ?? 'POST', request.url ?? '/', body);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ok.body) + 100 });
    response.write(ok.body.slice(0, Math.floor(ok.body.length / 2)));
    // Let the half body reach the client before the socket goes.
    await delay(20);
    request.socket.destroy();
    return;
  }
  if ('slowMs' in fault) {
    await delay(fault.slowMs);
    if (!response.destroyed) sendOk(request, response, body);
    return;
  }
  if ('bytes' in fault) return sendHuge(response, fault.bytes, fault.declared === true);
  if (fault.delayMs !== undefined) await delay(fault.delayMs);
  if (response.destroyed) return;
  const text = fault.body === undefined ? '' : typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
  if (fault.chunked === true) return sendChunked(response, fault.status, fault.headers ?? {}, Buffer.from(text));
  response.writeHead(fault.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...fault.headers });
  response.end(text);
}

/** `body` with no content-length (transfer-encoding: chunked), 64 KB a write; stops when the client goes away. */
async function sendChunked(response: http.ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: Buffer): Promise<void> {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  const step = 64 * 1024;
  for (let at = 0; at < body.length && !response.destroyed; at += step) {
    if (!response.write(body.subarray(at, at + step))) await drainOrClose(response);
  }
  if (!response.destroyed) response.end();
}

function sendOk(request: http.IncomingMessage, response: http.ServerResponse, body: string): void {
  const ok = mockAnswer(request.method ?? 'POST', request.url ?? '/', body);
  response.writeHead(ok.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ok.body), ...ok.headers });
  response.end(ok.body);
}

/** Streams `bytes` of a JSON string in 64 KB chunks with backpressure; stops when the client goes away. */
async function sendHuge(response: http.ServerResponse, bytes: number, declared: boolean): Promise<void> {
  response.writeHead(200, { 'content-type': 'application/json', ...(declared ? { 'content-length': bytes } : {}) });
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  while (sent < bytes && !response.destroyed) {
    const size = Math.min(chunk.length, bytes - sent);
    sent += size;
    if (!response.write(size === chunk.length ? chunk : chunk.subarray(0, size))) await drainOrClose(response);
  }
  if (!response.destroyed) response.end();
}

/** Resolves on 'drain' or 'close', whichever comes first, and removes both listeners (no leak over a long body). */
function drainOrClose(response: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

function drawFault(options: FaultServerOptions, random: () => number): Fault {
  const rates = options.rates ?? {};
  let draw = random();
  const bands: [number | undefined, () => Fault][] = [
    [rates.r429, () => ({ status: 429, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, headers: { 'retry-after': options.retryAfter ?? '0' } })],
    [rates.r500, () => ({ status: 500, body: { error: { message: 'Internal error', type: 'server_error' } } })],
    [rates.reset, () => 'reset'],
    [rates.truncate, () => 'truncate'],
    [rates.slow, () => ({ slowMs: options.slowMs ?? 200 })],
  ];
  for (const [rate, fault] of bands) {
    if (rate === undefined) continue;
    if (draw < rate) return fault();
    draw -= rate;
  }
  return 'ok';
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
