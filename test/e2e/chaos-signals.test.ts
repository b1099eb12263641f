// Fault suite: SIGTERM mid-run exits 143 with a consistent checkpoint (integrity ok, every done record has its
// answer, the run recorded as interrupted), also when the server holds every request past the grace period.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countByStatus, doneIds, doneWithoutResponse, finish, integrity, requestsTagged, runRows, seeded, tagArgs } from '../helpers/chaos.js';
import { spawnCli } from '../helpers/cli.js';
import { idOfRequest, writePrompts } from '../helpers/checkpoint.js';
import { type Fault, type FaultRequest, type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

const CONCURRENCY = 4;

let server: FaultServer | undefined;
const work = useTestWork('chaos-signals');

interface SignalTarget {
  child: ChildProcess | undefined;
  /** Send SIGTERM when the server has seen this many requests in all. */
  at: number;
}

/** A server that answers with `fault(request)` and sends SIGTERM to the run under test at its point. */
async function signallingServer(target: SignalTarget, fault: (request: FaultRequest) => Fault): Promise<FaultServer> {
  return work.track(await startFaultServer({
    behaviour: (request) => {
      if (target.child !== undefined && request.n >= target.at) {
        target.child.kill('SIGTERM');
        target.child = undefined;
      }
      return fault(request);
    },
  }));
}

/** What every stopped run must leave behind, whatever it was doing when the signal came. */
function expectConsistentAfterSigterm(db: string, stopped: { code: number | null; stdout: string; stderr: string }): void {
  expect(stopped.code, stopped.stderr).toBe(143);
  expect(JSON.parse(stopped.stdout)).toMatchObject({ status: 'interrupted', exit_code: 143 });
  expect(integrity(db)).toBe('ok');
  expect(doneWithoutResponse(db)).toEqual([]);
  expect(runRows(db).at(-1)).toMatchObject({ status: 'interrupted', exit_code: 143 });
}

const cacheArgs = (input: string, db: string, url: string, extra: string[] = []) => [
  'cache', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'test-model', '--concurrency', String(CONCURRENCY),
  '--no-progress', '--log-level', 'warn', '--json', ...extra,
];

describe('SIGTERM', () => {
  it('at seeded points of a run: exit 143, a consistent checkpoint, every answer received kept; the rerun completes', async () => {
    const count = 1200;
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, count);
    const random = seeded(143);
    // The first request, then two points spread over the rest.
    const points = [1, Math.round(count / 3 + random() * 100), Math.round((2 * count) / 3 + random() * 100)];
    const target: SignalTarget = { child: undefined, at: Number.POSITIVE_INFINITY };
    server = await signallingServer(target, () => ({ slowMs: 2 }));
    const url = server.url;
    for (const [run, point] of points.entries()) {
      target.at = point;
      const child = spawnCli(cacheArgs(input, db, url, tagArgs(run)));
      target.child = child;
      const stopped = await finish(child);
      expectConsistentAfterSigterm(db, stopped);
      // A graceful stop lets requests in flight finish: every answer the server gave this run was committed.
      const answered = requestsTagged(server.requests, run).map((request) => idOfRequest(request.json));
      const done = doneIds(db);
      expect(answered.filter((id) => id === undefined || !done.has(id))).toEqual([]);
      expect(countByStatus(db).failed).toBe(0);
    }
    const before = doneIds(db);
    const rerun = await finish(spawnCli(cacheArgs(input, db, url, tagArgs('rerun'))));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(requestsTagged(server.requests, 'rerun').filter((request) => before.has(idOfRequest(request.json) ?? ''))).toEqual([]);
    expect(countByStatus(db)).toEqual({ done: count, failed: 0 });
    expect(integrity(db)).toBe('ok');
    expect(runRows(db).map((row) => row.status)).toEqual(['interrupted', 'interrupted', 'interrupted', 'done']);
  });

  // guards: a stop lets requests in flight finish but starts no new one (a request started in the grace period
  // and cut off at its end is paid for and lost)
  it.each([
    ['SIGTERM', 143, []],
    ['--max-runtime', 75, ['--max-runtime', '1s']],
  ] as const)('after %s no new request is sent, those in flight are committed, the rerun sends the rest once', async (_what, code, extra) => {
    const count = 200;
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, count);
    let stoppedAt = Number.POSITIVE_INFINITY;
    let answerMs = 150;
    const target: SignalTarget = { child: undefined, at: extra.length === 0 ? 12 : Number.POSITIVE_INFINITY };
    server = await signallingServer(target, (request) => {
      if (request.n >= target.at) stoppedAt = Math.min(stoppedAt, request.n);
      return { slowMs: answerMs };
    });
    // A grace period of 1 s (--timeout): a request started late in it would be cut off, paid for and lost.
    const child = spawnCli(cacheArgs(input, db, server.url, ['--concurrency', '2', '--timeout', '1s', ...extra, ...tagArgs('stopped')]));
    target.child = child;
    const stopped = await finish(child);
    expect(stopped.code, stopped.stderr).toBe(code);
    expect(integrity(db)).toBe('ok');
    const sent = requestsTagged(server.requests, 'stopped');
    if (code === 143) {
      // Only requests already on their way when the signal was sent may arrive after it: one per other slot.
      expect(sent.filter((request) => request.n > stoppedAt).length).toBeLessThanOrEqual(1);
    }
    // Every request the stopped run sent was answered and committed: none to pay for again.
    const done = doneIds(db);
    expect(sent.map((request) => idOfRequest(request.json)).filter((id) => id === undefined || !done.has(id))).toEqual([]);
    expect(done.size).toBe(sent.length);

    answerMs = 0;
    const rerun = await finish(spawnCli(cacheArgs(input, db, server.url, tagArgs('rerun'))));
    expect(rerun.code, rerun.stderr).toBe(0);
    const ids = server.requests.map((request) => idOfRequest(request.json));
    expect(ids.length).toBe(count);
    expect(new Set(ids).size).toBe(count);
  });

  // guards: a stop must not wait for a slot to free while the server holds every request (it never would)
  it('while the server holds every request past the grace period: exits 143, aborts them, fails no record', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 400);
    const answered = 40;
    // SIGTERM once CONCURRENCY requests hang at the server: nothing in flight will finish by itself.
    const target: SignalTarget = { child: undefined, at: answered + CONCURRENCY };
    server = await signallingServer(target, (request) => (request.n <= answered ? 'ok' : 'hang'));
    const child = spawnCli(cacheArgs(input, db, server.url, ['--timeout', '2s']));
    target.child = child;
    const stopped = await finish(child);
    expectConsistentAfterSigterm(db, stopped);
    expect(countByStatus(db)).toEqual({ done: answered, failed: 0 });

    await server.close();
    server = work.track(await startFaultServer());
    const rerun = await finish(spawnCli(cacheArgs(input, db, server.url)));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(server.requests).toHaveLength(400 - answered);
    expect(countByStatus(db)).toEqual({ done: 400, failed: 0 });
  });

  it('in embeddings mode, with packs held by the server: exits 143, stores no partial pack, the rerun completes', async () => {
    const count = 2000;
    const input = path.join(work.dir, 'texts.jsonl');
    const db = path.join(work.dir, 'texts.memsafe.db');
    fs.writeFileSync(input, `${Array.from({ length: count }, (_, i) => JSON.stringify({ id: `t${i}`, text: `text ${i}` })).join('\n')}\n`);
    const answered = 10;
    const target: SignalTarget = { child: undefined, at: answered + CONCURRENCY };
    server = await signallingServer(target, (request) => (request.n <= answered ? 'ok' : 'hang'));
    const args = (url: string) => [
      'embeddings', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'embed-test', '--concurrency', String(CONCURRENCY),
      '--batch-size', '32', '--timeout', '2s', '--no-progress', '--log-level', 'warn', '--json',
    ];
    const child = spawnCli(args(server.url));
    target.child = child;
    const stopped = await finish(child);
    expectConsistentAfterSigterm(db, stopped);
    // The records of every answered pack are done; those of the held packs are not, and none failed.
    const answeredTexts = server.requests.slice(0, answered).flatMap((request) => (request.json as { input: string[] }).input);
    expect(answeredTexts.length).toBeGreaterThan(0);
    expect(countByStatus(db)).toEqual({ done: answeredTexts.length, failed: 0 });

    await server.close();
    server = work.track(await startFaultServer());
    const rerun = await finish(spawnCli(args(server.url)));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(countByStatus(db)).toEqual({ done: count, failed: 0 });
    expect(integrity(db)).toBe('ok');
  });
});
