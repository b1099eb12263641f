import { afterEach, describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from '../../../src/provider/rate-limit-headers.js';
import { TrafficControl } from '../../../src/traffic/traffic-control.js';
import { goDuration, type RateLimitServer, startRateLimitServer } from '../../helpers/rate-limit-server.js';

const servers: RateLimitServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: Parameters<typeof startRateLimitServer>[0]): Promise<RateLimitServer> {
  const server = await startRateLimitServer(options);
  servers.push(server);
  return server;
}

async function chat(server: RateLimitServer, content = 'hi'): Promise<Response> {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content }] }),
  });
  await response.arrayBuffer();
  return response;
}

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers.entries());
}

describe('rate-limit server', () => {
  it('keeps a request bucket, sends x-ratelimit-* on every answer and counts accepted / refused', async () => {
    const server = await start({ requestsPerWindow: 5, windowMs: 60_000 });
    const statuses: number[] = [];
    const remaining: (number | undefined)[] = [];
    for (let index = 0; index < 7; index++) {
      const response = await chat(server);
      statuses.push(response.status);
      remaining.push(parseRateLimitHeaders(headersOf(response), Date.now()).remainingRequests);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(remaining).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(server.accepted()).toBe(5);
    expect(server.refused()).toBe(2);
  });

  it.each([
    ['retry-after-ms', (h: Record<string, string>) => Number(h['retry-after-ms']) > 0 && h['retry-after'] === undefined],
    ['retry-after', (h: Record<string, string>) => /^\d+$/.test(h['retry-after'] ?? '') && h['retry-after-ms'] === undefined],
    ['none', (h: Record<string, string>) => h['retry-after'] === undefined && h['retry-after-ms'] === undefined],
  ] as const)('a 429 says when to come back with %s', async (retryHint, check) => {
    const server = await start({ requestsPerWindow: 1, windowMs: 60_000, retryHint });
    expect((await chat(server)).status).toBe(200);
    const refused = await chat(server);
    expect(refused.status).toBe(429);
    expect(check(headersOf(refused))).toBe(true);
    expect(headersOf(refused)['x-ratelimit-remaining-requests']).toBe('0');
  });

  it('keeps a token bucket too: a request whose tokens do not fit is refused though requests remain', async () => {
    const server = await start({ requestsPerWindow: 100, tokensPerWindow: 100, windowMs: 60_000, tokensOf: () => 40 });
    const statuses = [];
    for (let index = 0; index < 3; index++) statuses.push((await chat(server)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const snapshot = parseRateLimitHeaders(headersOf(await chat(server)), Date.now());
    expect(snapshot).toMatchObject({ limitTokens: 100, remainingTokens: 20, limitRequests: 100 });
    expect(snapshot.resetTokensMs).toBeGreaterThan(40_000); // 80 of 100 tokens to refill over a minute
  });

  it.each([
    [20, '20ms'],
    [1000, '1s'],
    [360_000, '6m0s'],
    [3_723_500, '1h2m3.5s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });

  it('TrafficControl paced by its headers gets 60 requests through a 20/s bucket with almost no 429s', async () => {
    // guards: proactive pacing from x-ratelimit-* on a real server and the real clock
    const server = await start({ requestsPerWindow: 20, windowMs: 1000, retryHint: 'none' });
    const control = new TrafficControl();
    const signal = new AbortController().signal;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 60) {
        next++;
        for (;;) {
          const ticket = await control.admit(0, signal);
          const response = await chat(server);
          const snapshot = parseRateLimitHeaders(headersOf(response), Date.now());
          if (response.status === 200) {
            control.onAnswer(ticket, snapshot);
            break;
          }
          control.onRefused(ticket, snapshot);
          await new Promise((resolve) => setTimeout(resolve, control.retryDelay(1, snapshot.retryAfterMs)));
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(server.accepted()).toBe(60);
    expect(server.refused()).toBeLessThanOrEqual(3); // 5%: only answers in flight when the bucket ran low
    expect(control.stats().learnedRateRps).toBeCloseTo(20, -1);
  });
});
