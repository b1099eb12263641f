// Fault suite: a chaos server (10% 429, 5% 500, 2% resets, 1% truncated bodies, 1% slower than --timeout), its
// faults drawn per (record, attempt) from a seed so each record's fate is known in advance. Every record ends
// done or failed with the reason the server gave it; a Retry-After delays only the retry of the request that got it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countByStatus, doneWithoutResponse, finish, integrity, requestsTagged, tagArgs } from '../helpers/chaos.js';
import { type ChaosAnswer, type ChaosRates, chaosDraw, EXPECTED_CODE, firstOkAttempt, startChaosServer } from '../helpers/chaos-server.js';
import { spawnCli } from '../helpers/cli.js';
import { idOfRequest, query, writePrompts } from '../helpers/checkpoint.js';
import type { RecordedRequest } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

const RATES: ChaosRates = { r429: 0.1, r500: 0.05, reset: 0.02, truncate: 0.01, slow: 0.01 };
const SEED = 7;
const COUNT = 800;
const CONCURRENCY = 4;
const ids = Array.from({ length: COUNT }, (_, i) => `r${i}`);

const work = useTestWork('chaos-server');

async function chaos(longPauses?: { ordinals: number[]; retryAfter: string }) {
  const chaosServer = await startChaosServer({
    rates: RATES,
    seed: SEED,
    slowMs: 3000,
    key: (request) => idOfRequest(request.json),
    ...(longPauses === undefined ? {} : { longPauses }),
  });
  work.track(chaosServer.server);
  return chaosServer;
}

const args = (input: string, db: string, url: string, extra: string[]) => [
  'cache', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'test-model', '--concurrency', String(CONCURRENCY),
  '--timeout', '1s', '--no-progress', '--log-level', 'error', '--json', ...extra,
];

async function run(input: string, db: string, url: string, extra: string[]) {
  const result = await finish(spawnCli(args(input, db, url, extra)));
  return { ...result, summary: JSON.parse(result.stdout || '{}') as { status?: string; records?: { done: number; failed: number } } };
}

function countPerKey(requests: readonly RecordedRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of requests) {
    const id = idOfRequest(request.json) ?? '?';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Requests that reached the server within `retryAfter` seconds after a 429 that asked for that wait. The old rule
 * (issue 5) held every connection for it; now (issue 12) only that request's retry waits, the others go on.
 */
function requestsDuringPause(answer: ChaosAnswer, requests: readonly RecordedRequest[]): RecordedRequest[] {
  const until = answer.at + Number(answer.retryAfter) * 1000;
  return requests.filter((request) => request.arrivedAt > answer.at && request.arrivedAt < until);
}

/** The 429 with `Retry-After: 1` delayed its own request's retry by at least that long, and only that request. */
function expectOnlyItsOwnRequestDelayed(answer: ChaosAnswer, answers: readonly ChaosAnswer[], requests: readonly RecordedRequest[]): void {
  const retry = answers.find((other) => other.key === answer.key && other.attempt === answer.attempt + 1);
  const during = requestsDuringPause(answer, requests);
  // guards: issue 12 — the retry waits no less than the server asked...
  if (retry !== undefined) expect(retry.at - answer.at, `retry of ${answer.key}`).toBeGreaterThanOrEqual(1000);
  expect(during.filter((request) => idOfRequest(request.json) === answer.key), `${answer.key} sent again during its own wait`).toEqual([]);
  // ...and the server is not held: other records kept going (more than the requests already in flight could be).
  expect(during.length, `requests during the wait asked at ${answer.at}`).toBeGreaterThan(2 * (CONCURRENCY - 1));
}

describe('chaos server', () => {
  it('with retries enough every record is done, each retried exactly until its first good answer; Retry-After delays only its own request', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, COUNT);
    const { server, answers } = await chaos({ ordinals: [3, 30, 70], retryAfter: '1' });
    const result = await run(input, db, server.url, ['--max-retries', '30']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.summary).toMatchObject({ status: 'done', records: { done: COUNT, failed: 0 } });

    // Every kind of fault happened, and every record was sent exactly until the attempt the seed made good.
    expect(new Set(answers.map((answer) => answer.kind))).toEqual(new Set(['ok', 'r429', 'r500', 'reset', 'truncate', 'slow']));
    const expected = new Map(ids.map((id) => [id, firstOkAttempt(SEED, id, RATES)]));
    expect(countPerKey(server.requests)).toEqual(expected);
    const attempts = new Map(query<{ id: string; attempts: number }>(db, 'SELECT id, attempts FROM records').map((row) => [row.id, row.attempts]));
    expect(attempts).toEqual(expected);

    expect(countByStatus(db)).toEqual({ done: COUNT, failed: 0 });
    expect(doneWithoutResponse(db)).toEqual([]);
    expect(integrity(db)).toBe('ok');

    const pauses = answers.filter((answer) => answer.retryAfter === '1');
    expect(pauses).toHaveLength(3);
    for (const pause of pauses) expectOnlyItsOwnRequestDelayed(pause, answers, server.requests);
  });

  it('--max-retries 0 records each failure with the reason the server gave (retryable), and the next run retries exactly those', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, COUNT);
    const { server, answers } = await chaos({ ordinals: [5], retryAfter: '1' });

    const once = await run(input, db, server.url, ['--max-retries', '0', ...tagArgs('once')]);
    expect(once.code, once.stderr).toBe(3);
    const fates = new Map(ids.map((id) => [id, chaosDraw(SEED, id, 1, RATES)]));
    const failedIds = ids.filter((id) => fates.get(id) !== 'ok');
    expect(once.summary.records).toMatchObject({ done: COUNT - failedIds.length, failed: failedIds.length });
    expect(countPerKey(server.requests)).toEqual(new Map(ids.map((id) => [id, 1])));

    const rows = query<{ id: string; status: string; error_code: string | null; error_message: string | null; retryable: number; attempts: number }>(
      db,
      'SELECT id, status, error_code, error_message, retryable, attempts FROM records',
    );
    expect(rows).toHaveLength(COUNT);
    for (const row of rows) {
      const fate = fates.get(row.id);
      if (fate === 'ok' || fate === undefined) {
        expect(row, row.id).toMatchObject({ status: 'done', error_code: null });
        continue;
      }
      expect(row, row.id).toMatchObject({ status: 'failed', error_code: EXPECTED_CODE[fate], retryable: 1, attempts: 1 });
      expect(row.error_message, row.id).toMatch(/\S/);
    }
    expect(new Set(rows.flatMap((row) => (row.error_code === null ? [] : [row.error_code])))).toEqual(new Set(Object.values(EXPECTED_CODE)));

    const again = await run(input, db, server.url, ['--max-retries', '30', ...tagArgs('again')]);
    expect(again.code, again.stderr).toBe(0);
    const retried = countPerKey(requestsTagged(server.requests, 'again'));
    expect(retried).toEqual(new Map(failedIds.map((id) => [id, firstOkAttempt(SEED, id, RATES, 2) - 1])));
    expect(countByStatus(db)).toEqual({ done: COUNT, failed: 0 });
    expect(doneWithoutResponse(db)).toEqual([]);
    expect(integrity(db)).toBe('ok');
    // With --max-retries 0 the refused record is not retried in this run; the others still went on meanwhile.
    for (const pause of answers.filter((answer) => answer.retryAfter === '1')) {
      expect(requestsDuringPause(pause, server.requests).length).toBeGreaterThan(2 * (CONCURRENCY - 1));
    }
  });
});
