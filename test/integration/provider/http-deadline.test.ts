// The HTTP client's deadline and abort over real sockets: one shared timer, not one per request.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { HttpClient, joinUrl } from '../../../src/provider/http-client.js';

const context = { baseUrl: 'http://127.0.0.1/v1', url: 'http://127.0.0.1/v1/chat/completions', secrets: [] };
let server: http.Server | undefined;
let client: HttpClient | undefined;
const open = new Set<Socket>();

afterEach(async () => {
  await client?.close();
  for (const socket of open) socket.destroy();
  open.clear();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  client = undefined;
});

/** Answers headers at once, then one body byte every `everyMs` forever (never ends). */
async function trickleServer(everyMs: number): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  server = http.createServer((request, response) => {
    requests += 1;
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{');
    const tick = setInterval(() => response.write(' '), everyMs);
    response.on('close', () => clearInterval(tick));
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests: () => requests };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('HttpClient deadline and abort', () => {
  // guards: --timeout bounds headers and body together; a body that trickles in under undici's idle timeouts still ends
  it('a body trickling past --timeout ends as a timeout', async () => {
    const { url } = await trickleServer(20);
    client = new HttpClient({ connections: 2, timeoutMs: 300, maxResponseBytes: 1024 * 1024, useProxyEnv: false });
    const error = await failure(client.post(joinUrl(url, '/chat/completions'), '{}', {}, new AbortController().signal, context));
    expect(error).toMatchObject({ scope: 'retryable', code: 'timeout' });
  });

  // guards: the run's abort signal still aborts every request in flight (one shared listener, not one per request)
  it('one abort of the run signal ends every request in flight as aborted', async () => {
    const { url, requests } = await trickleServer(50);
    client = new HttpClient({ connections: 8, timeoutMs: 60_000, maxResponseBytes: 1024 * 1024, useProxyEnv: false });
    const run = new AbortController();
    const target = joinUrl(url, '/chat/completions');
    const sending = Array.from({ length: 8 }, () => failure(client!.post(target, '{}', {}, run.signal, context)));
    await vi.waitFor(() => expect(requests()).toBe(8));
    run.abort(new Error('SIGINT'));
    for (const error of await Promise.all(sending)) expect(error).toMatchObject({ code: 'MS_ABORTED' });
  });

  // guards: a request still queued for a socket (not yet started by undici) ends too when the run is aborted
  it('an abort also ends the requests queued behind busy sockets', async () => {
    const { url, requests } = await trickleServer(50);
    client = new HttpClient({ connections: 2, timeoutMs: 60_000, maxResponseBytes: 1024 * 1024, useProxyEnv: false });
    const run = new AbortController();
    const target = joinUrl(url, '/chat/completions');
    const sending = Array.from({ length: 6 }, () => failure(client!.post(target, '{}', {}, run.signal, context)));
    await vi.waitFor(() => expect(requests()).toBe(2));
    run.abort(new Error('SIGTERM'));
    for (const error of await Promise.all(sending)) expect(error).toMatchObject({ code: 'MS_ABORTED' });
  });

  it('an error answer over 64 KB keeps its status; its body is dropped', async () => {
    server = http.createServer((request, response) => {
      request.resume();
      response.writeHead(503, { 'content-type': 'text/plain' });
      response.end('x'.repeat(200 * 1024));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    client = new HttpClient({ connections: 1, timeoutMs: 5000, maxResponseBytes: 1024 * 1024, useProxyEnv: false });
    const answer = await client.post(joinUrl(url, '/chat/completions'), '{}', {}, new AbortController().signal, context);
    expect(answer).toMatchObject({ status: 503, bodyText: '', bodyBytes: 0 });
  });

  it('the deadline also ends a body paused by the admission hooks', async () => {
    const { url } = await trickleServer(20);
    client = new HttpClient({ connections: 2, timeoutMs: 300, maxResponseBytes: 1024 * 1024, useProxyEnv: false });
    let seen: AbortSignal | undefined;
    const admission = {
      onHeaders: (_length: number | undefined, source: AbortSignal | (() => AbortSignal)) => {
        // The client hands a function that makes the real signal only when a hook has to wait.
        const signal = typeof source === 'function' ? source() : source;
        seen = signal;
        return new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
      },
      onChunk: () => undefined,
    };
    const error = await failure(client.post(joinUrl(url, '/chat/completions'), '{}', {}, new AbortController().signal, context, admission));
    expect(error).toMatchObject({ code: 'timeout' });
    expect(seen?.aborted).toBe(true);
  });
});
