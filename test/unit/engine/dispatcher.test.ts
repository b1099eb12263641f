import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency, ConcurrencyGate } from '../../../src/engine/adaptive-concurrency.js';
import type { AttemptLayer } from '../../../src/engine/dispatch/request.js';
import { Dispatcher } from '../../../src/engine/dispatcher.js';
import { ServerPause } from '../../../src/engine/rate-limit.js';
import { ProviderError } from '../../../src/errors.js';
import type { Provider, ProviderResponse } from '../../../src/provider/provider.js';

const answer: ProviderResponse = { status: 200, requestId: null, bodyText: '{}', usage: null, latencyMs: 1 };
const request = { endpoint: '/v1/chat/completions' as const, body: { model: 'm' }, estimatedTokens: 3 };

/** A provider whose attempts follow a script: an Error is thrown, anything else answers. */
function scripted(script: (ProviderError | 'ok')[]): Provider & { calls: number } {
  const provider = {
    name: 'openai' as const,
    baseUrl: 'http://127.0.0.1:1/v1',
    embeddingEncoding: 'base64' as const,
    calls: 0,
    async send(): Promise<ProviderResponse> {
      const step = script[provider.calls++] ?? 'ok';
      if (step === 'ok') return answer;
      throw step;
    },
    close: async () => undefined,
  };
  return provider;
}

function dispatcher(provider: Provider, extra: { stopping?: AbortController; layers?: AttemptLayer[]; maxRetries?: number } = {}) {
  const concurrency = new AdaptiveConcurrency({ ceiling: 4 });
  const counters = { requests: 0, retries: 0, throttled: 0 };
  const pause = new ServerPause();
  const instance = new Dispatcher({
    provider,
    maxRetries: extra.maxRetries ?? 3,
    gate: new ConcurrencyGate(concurrency),
    concurrency,
    pause,
    rpm: undefined,
    tpm: undefined,
    counters,
    requests: new AbortController().signal,
    stopping: (extra.stopping ?? new AbortController()).signal,
    ...(extra.layers === undefined ? {} : { layers: extra.layers }),
    random: () => 0,
  });
  return { instance, counters, pause, concurrency };
}

const http = (status: number, scope: 'retryable' | 'record' | 'run', retryAfterMs?: number) =>
  new ProviderError(`HTTP ${status}`, { code: `http_${status}`, scope, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

describe('Dispatcher', () => {
  it('retries retryable failures and counts requests, retries and 429s', async () => {
    const provider = scripted([http(500, 'retryable'), http(429, 'retryable'), 'ok']);
    const { instance, counters } = dispatcher(provider);
    const result = await instance.send(request);
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    expect(counters).toEqual({ requests: 3, retries: 2, throttled: 1 });
  });

  it('gives up after --max-retries with exhausted set, and at once on a record-scoped error', async () => {
    const exhausted = await dispatcher(scripted([http(503, 'retryable'), http(503, 'retryable')]), { maxRetries: 1 }).instance.send(request);
    expect(exhausted).toMatchObject({ ok: false, attempts: 2, exhausted: true });
    const refused = await dispatcher(scripted([http(400, 'record')])).instance.send(request);
    expect(refused).toMatchObject({ ok: false, attempts: 1, exhausted: false });
  });

  it('a Retry-After pauses the server for that long', async () => {
    const { instance, pause } = dispatcher(scripted([http(429, 'retryable', 30), 'ok']));
    const sending = instance.send(request);
    await new Promise((resolve) => setImmediate(resolve));
    expect(pause.remainingMs()).toBeGreaterThan(0);
    expect(await sending).toMatchObject({ ok: true, attempts: 2 });
  });

  it('starts no attempt once the run is stopping, and counts none', async () => {
    const stopping = new AbortController();
    stopping.abort('SIGTERM');
    const provider = scripted(['ok']);
    const { instance, counters } = dispatcher(provider, { stopping });
    const result = await instance.send(request);
    expect(result).toMatchObject({ ok: false, attempts: 0, exhausted: false });
    expect(result.ok ? '' : result.error.code).toBe('MS_ABORTED');
    expect(provider.calls).toBe(0);
    expect(counters.requests).toBe(0);
  });

  it('a stop during a backoff ends it at once instead of waiting it out', async () => {
    const stopping = new AbortController();
    const provider = scripted([http(503, 'retryable', 60_000)]);
    const { instance } = dispatcher(provider, { stopping });
    const sending = instance.send(request);
    await new Promise((resolve) => setImmediate(resolve));
    stopping.abort('SIGINT');
    expect(await sending).toMatchObject({ ok: false, attempts: 1, exhausted: false });
  });

  it('runs extra layers around every attempt, outermost first, inside the rate caps and outside the slot', async () => {
    const seen: string[] = [];
    const layer = (name: string): AttemptLayer => (next) => async (req, signal) => {
      seen.push(`${name} in`);
      try {
        return await next(req, signal);
      } finally {
        seen.push(`${name} out`);
      }
    };
    await dispatcher(scripted(['ok']), { layers: [layer('a'), layer('b')] }).instance.send(request);
    expect(seen).toEqual(['a in', 'b in', 'b out', 'a out']);
  });

  it('feeds AIMD: a 429 cuts concurrency, a success counts towards growing it back', async () => {
    const { instance, concurrency } = dispatcher(scripted([http(429, 'retryable'), 'ok']));
    await instance.send(request);
    expect(concurrency.limit).toBe(2);
  });
});
