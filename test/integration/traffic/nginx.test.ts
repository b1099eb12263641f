// guards: the nginx limit_req helper really refuses with 429 (and Retry-After when configured), so rate-limit
// tests run against a real limiter rather than our own idea of one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultServer, startFaultServer } from '../../helpers/fault-server.js';
import { parseRateLimitHeaders } from '../../../src/provider/rate-limit-headers.js';
import { TrafficControl } from '../../../src/traffic/traffic-control.js';
import { ensureNginx, nginxConfig, startNginxLimiter } from '../../helpers/nginx.js';

const nginx = ensureNginx();
if (nginx.skip !== undefined) console.warn(`skipping the nginx tests: ${nginx.skip}`);

async function burst(url: string, count: number): Promise<{ status: number; retryAfter: string | null }[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: `hello ${index}` }] }),
      });
      await response.arrayBuffer();
      return { status: response.status, retryAfter: response.headers.get('retry-after') };
    }),
  );
}

describe('nginxConfig', () => {
  it('writes limit_req at the rate with burst and nodelay, 429s, and Retry-After only when asked', () => {
    const plain = nginxConfig('/tmp/x', 8080, { upstream: 'http://127.0.0.1:9000', ratePerSecond: 300 });
    expect(plain).toContain('rate=300r/s');
    expect(plain).toContain('burst=30 nodelay;');
    expect(plain).toContain('limit_req_status 429;');
    expect(plain).toContain('server 127.0.0.1:9000;');
    expect(plain).not.toContain('Retry-After');
    const hinted = nginxConfig('/tmp/x', 8080, { upstream: 'http://127.0.0.1:9000', ratePerSecond: 1000, burst: 5, nodelay: false, retryAfterSeconds: 1 });
    expect(hinted).toContain('burst=5;');
    expect(hinted).toContain('add_header Retry-After 1 always;');
  });
});

describe.skipIf(nginx.skip !== undefined)('nginx limit_req in front of a node server', () => {
  let upstream: FaultServer;
  beforeAll(async () => {
    upstream = await startFaultServer({ behaviour: () => 'ok' });
  });
  afterAll(async () => {
    await upstream.close();
  });

  it.each([
    ['without Retry-After', undefined],
    ['with Retry-After: 1', 1],
  ] as const)('refuses most of 50 rapid requests beyond burst 30 with 429, %s', async (_, retryAfterSeconds) => {
    const limiter = await startNginxLimiter(nginx.binary ?? '', {
      upstream: upstream.url, ratePerSecond: 10, burst: 30, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
    const before = upstream.requests.length;
    try {
      const answers = await burst(limiter.url, 50);
      const ok = answers.filter((answer) => answer.status === 200);
      const refused = answers.filter((answer) => answer.status === 429);
      expect(ok.length + refused.length).toBe(50);
      expect(ok.length).toBeGreaterThanOrEqual(31); // the burst and the one request the rate allows
      expect(refused.length).toBeGreaterThan(0);
      expect(upstream.requests.length - before).toBe(ok.length); // refused requests never reach the upstream
      for (const answer of refused) expect(answer.retryAfter).toBe(retryAfterSeconds === undefined ? null : String(retryAfterSeconds));
      for (const answer of ok) expect(answer.retryAfter).toBeNull();
    } finally {
      await limiter.stop();
    }
  });

  it('TrafficControl learns the limit: 600 requests through 200 r/s (burst 30, Retry-After: 1), few refused, none lost', async () => {
    // guards: issue 12 — against this limiter a global pause per Retry-After ran at a fifth of the limit
    const limiter = await startNginxLimiter(nginx.binary ?? '', { upstream: upstream.url, ratePerSecond: 200, burst: 30, retryAfterSeconds: 1 });
    const control = new TrafficControl();
    const signal = new AbortController().signal;
    let next = 0;
    let sent = 0;
    let refused = 0;
    const worker = async (): Promise<void> => {
      while (next < 600) {
        next++;
        for (let attempt = 1; ; attempt++) {
          const ticket = await control.admit(0, signal);
          sent++;
          const response = await fetch(`${limiter.url}/v1/chat/completions`, {
            method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: `n${next}` }] }),
          });
          await response.arrayBuffer();
          const snapshot = parseRateLimitHeaders(Object.fromEntries(response.headers.entries()), Date.now());
          if (response.status === 200) {
            control.onAnswer(ticket, snapshot);
            break;
          }
          expect(response.status).toBe(429);
          refused++;
          control.onRefused(ticket, snapshot);
          await new Promise((resolve) => setTimeout(resolve, control.retryDelay(attempt, snapshot.retryAfterMs)));
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: 32 }, worker));
    } finally {
      await limiter.stop();
    }
    const stats = control.stats();
    console.log(`nginx 200 r/s: sent ${sent}, refused ${refused}, learned ${stats.learnedRateRps?.toFixed(0) ?? 'unbounded'} r/s, held ${Math.round(stats.heldMs)} ms`);
    expect(sent - refused).toBe(600);
    expect(refused / sent).toBeLessThanOrEqual(0.15); // lenient: a loaded machine sends slower, never faster
    expect(stats.rateLimited).toBe(refused);
  });
});
