import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency, ConcurrencyGate } from '../../../src/engine/adaptive-concurrency.js';
import type { AttemptLayer } from '../../../src/engine/dispatch/request.js';
import { Dispatcher } from '../../../src/engine/dispatcher.js';
import { RunStats } from '../../../src/engine/run-stats.js';
import { ProviderError } from '../../../src/errors.js';
import type { Provider, ProviderResponse } from '../../../src/provider/provider.js';
import { TrafficControl } from '../../../src/traffic/traffic-control.js';

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

type Retried = { attempt: number; delayMs: number };

function dispatcher(provider: Provider, extra: { stopping?: AbortController; layers?: AttemptLayer[]; maxRetries?: number } = {}) {
  const concurrency = new AdaptiveConcurrency({ ceiling: 4 });
  const counters = new RunStats();
  const traffic = new TrafficControl({ random: () => 0 });
  const retried: Retried[] = [];
  const instance = new Dispatcher({
    provider,
    maxRetries: extra.maxRetries ?? 3,
    gate: new ConcurrencyGate(concurrency),
    concurrency,
    traffic,
    rpm: undefined,
    tpm: undefined,
    counters,
    requests: new AbortController().signal,
    stopping: (extra.stopping ?? new AbortController()).signal,
    ...(extra.layers === undefined ? {} : { layers: extra.layers }),
    onRetry: (_request, _error, attempt, delayMs) => retried.push({ attempt, delayMs }),
  });
  return { instance, counters, concurrency, traffic, retried };
}

const http = (status: number, scope: 'retryable' | 'record' | 'run', retryAfterMs?: number, backpressure = false) =>
  new ProviderError(`HTTP ${status}`, { code: `http_${status}`, scope, status, backpressure, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
const overloaded = () => http(529, 'retryable', undefined, true);

describe('Dispatcher', () => {
  it('retries retryable failures and counts requests, retries and 429s', async () => {
    const provider = scripted([http(500, 'retryable'), http(429, 'retryable'), 'ok']);
    const { instance, counters } = dispatcher(provider);
    const result = await instance.send(request);
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    expect(counters).toMatchObject({ requests: 3, retries: 2, throttled: 1, rateLimited: 1, backpressure: 0 });
  });

  it('gives up after --max-retries with exhausted set, and at once on a record-scoped error', async () => {
    const exhausted = await dispatcher(scripted([http(503, 'retryable'), http(503, 'retryable')]), { maxRetries: 1 }).instance.send(request);
    expect(exhausted).toMatchObject({ ok: false, attempts: 2, exhausted: true });
    const refused = await dispatcher(scripted([http(400, 'record')])).instance.send(request);
    expect(refused).toMatchObject({ ok: false, attempts: 1, exhausted: false });
  });

  // guards: issue 12 replaced issue 5's whole-server hold: a Retry-After delays only the request that got it
  it('a Retry-After delays only the retry of its own request; another request goes meanwhile', async () => {
    const stopping = new AbortController();
    const provider = scripted([http(429, 'retryable', 60_000), 'ok']);
    const { instance, retried, counters } = dispatcher(provider, { stopping });
    const refused = instance.send(request);
    await new Promise((resolve) => setImmediate(resolve));
    expect(retried).toEqual([{ attempt: 1, delayMs: expect.any(Number) }]);
    expect(retried[0]?.delayMs).toBeGreaterThanOrEqual(60_000);
    expect(await instance.send(request)).toMatchObject({ ok: true, attempts: 1 });
    expect(counters.heldMs).toBe(0);
    stopping.abort('SIGTERM');
    expect(await refused).toMatchObject({ ok: false, attempts: 1, exhausted: false });
  });

  it('a record that runs out of retries on 429s ends exhausted, retryable for the next run', async () => {
    const result = await dispatcher(scripted([http(429, 'retryable'), http(429, 'retryable')]), { maxRetries: 1 }).instance.send(request);
    expect(result).toMatchObject({ ok: false, attempts: 2, exhausted: true });
    expect(result.ok ? undefined : result.error.scope).toBe('retryable');
  });

  it('backpressure retries do not use up --max-retries (a record is not failed for a busy server)', async () => {
    const provider = scripted([overloaded(), overloaded(), overloaded(), 'ok']);
    const { instance, counters } = dispatcher(provider, { maxRetries: 1 });
    expect(await instance.send(request)).toMatchObject({ ok: true, attempts: 4 });
    expect(counters).toMatchObject({ backpressure: 3, retries: 3, rateLimited: 0 });
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

  // guards: a 429 is a rate signal (traffic control), not a concurrency one; backpressure cuts concurrency
  it('feeds AIMD: backpressure cuts concurrency, a 429 does not; a 429 is told to traffic control', async () => {
    const refused = dispatcher(scripted([http(429, 'retryable'), 'ok']));
    await refused.instance.send(request);
    expect(refused.concurrency.limit).toBe(4);
    expect(refused.traffic.stats().rateLimited).toBe(1);
    const busy = dispatcher(scripted([overloaded(), 'ok']));
    await busy.instance.send(request);
    expect(busy.concurrency.limit).toBe(2);
    expect(busy.traffic.stats().backpressure).toBe(1);
  });
});
