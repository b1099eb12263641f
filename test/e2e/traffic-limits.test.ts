// Traffic control end to end (issue 12): the built CLI against a server that keeps OpenAI-style buckets and sends
// x-ratelimit-* on every answer, against a real nginx limit_req, and against a server that sheds a random 5%.
// Every record must be exact and few requests refused; no assertion is about speed.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countByStatus, finish, integrity, seeded } from '../helpers/chaos.js';
import { spawnCli } from '../helpers/cli.js';
import { query, writePrompts } from '../helpers/checkpoint.js';
import { type Fault, startFaultServer } from '../helpers/fault-server.js';
import { ensureNginx, startNginxLimiter } from '../helpers/nginx.js';
import { mockAnswer } from '../../src/provider/mock-answers.js';
import { type RetryHint, startRateLimitServer } from '../helpers/rate-limit-server.js';
import { useTestWork } from '../helpers/test-work.js';

const work = useTestWork('traffic-limits');
const NGINX_RECORDS = 1200;
const nginx = ensureNginx();
if (nginx.skip !== undefined) console.warn(`skipping the nginx limit_req tests: ${nginx.skip}`);

interface Summary {
  status: string;
  records: { done: number; failed: number };
  requests: number;
  rate_limited: number;
  held_ms: number;
  learned_rate_rps: number | null;
}

async function run(url: string, count: number, extra: string[] = []) {
  const input = path.join(work.dir, `in-${count}-${Math.random().toString(36).slice(2)}.jsonl`);
  const db = `${input}.db`;
  writePrompts(input, count);
  const result = await finish(
    spawnCli([
      'cache', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'test-model', '--concurrency', '32',
      '--max-retries', '30', '--no-progress', '--log-level', 'error', '--json', ...extra,
    ]),
    60_000,
  );
  expect(result.code, result.stderr).toBe(0);
  return { db, summary: JSON.parse(result.stdout) as Summary };
}

/** Every record done, each with the answer to its own prompt (the mock answer quotes the prompt). */
function expectExact(db: string, count: number): void {
  expect(countByStatus(db)).toEqual({ done: count, failed: 0 });
  const rows = query<{ id: string; body: string }>(db, "SELECT r.id, p.body FROM records r JOIN responses p ON p.hash = r.hash WHERE r.status = 'done'");
  expect(rows).toHaveLength(count);
  const wrong = rows.filter((row) => !row.body.includes(`record ${row.id}`)).map((row) => row.id);
  expect(wrong).toEqual([]);
  expect(integrity(db)).toBe('ok');
}

describe('a server that sends x-ratelimit-* on every answer', () => {
  it.each<RetryHint>(['retry-after-ms', 'retry-after', 'none'])('429 with %s: every record exact, few refused', async (retryHint) => {
    const server = await startRateLimitServer({ requestsPerWindow: 150, windowMs: 1000, latencyMs: 5, retryHint });
    work.track(server);
    const { db, summary } = await run(server.url, 450);
    expectExact(db, 450);
    expect(summary.rate_limited).toBe(server.refused());
    // guards: pacing from the remaining/reset headers keeps refusals rare (issue 12: 2.1% before, goal <= 1%)
    expect(server.refused() / (server.accepted() + server.refused())).toBeLessThanOrEqual(0.1);
    expect(summary.learned_rate_rps).not.toBeNull();
  });

  // guards: a TPM reset of 6m0s is not a Retry-After: it once held the whole run for six minutes
  it('a 429 carrying x-ratelimit-reset-tokens: 6m0s does not stop the run while the request budget is fine', async () => {
    const budget = { 'x-ratelimit-remaining-requests': '250', 'x-ratelimit-reset-requests': '20ms', 'x-ratelimit-remaining-tokens': '90000', 'x-ratelimit-reset-tokens': '6m0s' };
    const server = await startFaultServer({
      behaviour: (request): Fault => (request.n % 9 === 0 ? { status: 429, headers: budget, body: { error: { message: 'slow down', code: 'rate_limit_exceeded' } } } : { status: 200, headers: budget, body: mockAnswer('POST', request.path, request.body).body }),
    });
    work.track(server);
    const { db, summary } = await run(server.url, 300);
    expectExact(db, 300);
    expect(summary.rate_limited).toBeGreaterThan(0);
    expect(summary.held_ms).toBeLessThan(5000);
  });
});

describe('a server that sheds a random 5% with 429 + Retry-After: 1', () => {
  // guards: issue 12 — one 429 delays only its own request; before, each paused the whole server for a second
  it('every record is done and the server is not held for the 429s', async () => {
    const random = seeded(12);
    const server = await startFaultServer({ behaviour: (): Fault => (random() < 0.05 ? { status: 429, headers: { 'retry-after': '1' } } : 'ok') });
    work.track(server);
    const { db, summary } = await run(server.url, 600);
    expectExact(db, 600);
    const refusals = summary.rate_limited;
    expect(refusals).toBeGreaterThan(5);
    expect(summary.held_ms).toBeLessThanOrEqual(0.1 * refusals * 1000);
  });
});

describe('records waiting out a Retry-After hold no slot', () => {
  /** A server that refuses the first attempt of the first `refused` records with Retry-After: 3, and counts. */
  async function refusingFirst(refused: number) {
    const seen = new Set<number>();
    const before = { done: 0, highestSent: -1, retried: false };
    const server = await startFaultServer({
      behaviour: (request): Fault => {
        const index = Number(/record r(\d+)/.exec(request.body)?.[1] ?? -1);
        const first = !seen.has(index);
        seen.add(index);
        if (first && !before.retried) before.highestSent = Math.max(before.highestSent, index);
        if (first && index < refused) return { status: 429, headers: { 'retry-after': '3' }, body: { error: { message: 'busy', code: 'rate_limit_exceeded' } } };
        if (!first) before.retried = true;
        else if (!before.retried) before.done++;
        return 'ok';
      },
    });
    work.track(server);
    return { server, before };
  }
  // A window of 4 slots + a batch of 8 = 12 records; one more batch may be read before the window is checked.
  const flags = ['--concurrency', '4', '--batch-size', '8', '--min-batch-size', '8'];

  // guards: issue 12 — with 5% shed and Retry-After: 1 the waits filled the intake window and halved the rate
  it('new records go out while 16 earlier ones wait (more than the window of 12)', async () => {
    const { server, before } = await refusingFirst(16);
    const { db } = await run(server.url, 100, flags);
    expectExact(db, 100);
    expect(before.done).toBeGreaterThanOrEqual(50); // before the fix: none until the first retry, 3 s later
  });

  it('the waits beyond the window are capped at one more window', async () => {
    const { server, before } = await refusingFirst(40);
    const { db } = await run(server.url, 100, flags);
    expectExact(db, 100);
    expect(before.highestSent).toBeLessThan(2 * 12 + 8);
    expect(before.highestSent).toBeGreaterThanOrEqual(2 * 12 - 1);
  });
});

describe.skipIf(nginx.skip !== undefined)('nginx limit_req at 200 r/s (burst 30)', () => {
  it.each([
    ['without Retry-After', undefined],
    ['with Retry-After: 1', 1],
  ] as const)('%s: every record exact, at most 10 percent of requests refused', async (_, retryAfterSeconds) => {
    const upstream = await startFaultServer({ behaviour: () => 'ok' });
    work.track(upstream);
    const limiter = await startNginxLimiter(nginx.binary ?? '', {
      upstream: upstream.url, ratePerSecond: 200, burst: 30, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
    try {
      // Enough records that the first second's discovery (an unpaced start) is not most of the run.
      const { db, summary } = await run(limiter.url, NGINX_RECORDS);
      expectExact(db, NGINX_RECORDS);
      // The goal is 5% (measured by `npm run bench -- --only ratelimit`); most refusals come in the first
      // second, before the first cut, and a loaded machine stretches that second: the test guards the collapse.
      expect(summary.rate_limited / summary.requests).toBeLessThanOrEqual(0.1);
    } finally {
      await limiter.stop();
    }
  });
});
