// A rerun over a committed checkpoint: skips what is settled, and re-requests only what --refresh-older-than finds stale.
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { idOfRequest, query, writePrompts } from '../helpers/checkpoint.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

let server: FaultServer | undefined;
const work = useTestWork('refresh');

const runArgs = (input: string, db: string, url: string, extra: string[] = []) => [
  'cache', '--input', input, '--db', db, '--provider', 'openai', '--base-url', `${url}/v1`, '--model', 'test-model',
  '--concurrency', '4', '--no-progress', '--json', '--log-level', 'error', ...extra,
];

interface Summary {
  records: { done: number; failed: number; skipped: number; cache_hits: number };
  requests: number;
}

describe('rerun over a committed checkpoint', () => {
  it('skips done and failed-for-good records; --refresh-older-than re-requests only stale done records', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    // r3 repeats r0's prompt (one cached answer), r5 is refused for good.
    writePrompts(input, 8, (i) => ({ id: `r${i}`, prompt: i === 3 ? 'record r0' : `record r${i}` }));
    server = work.track(await startFaultServer({ behaviour: (request) => (idOfRequest(request.json) === 'r5' ? { status: 400, body: { error: { message: 'no' } } } : 'ok') }));
    const run = async (extra: string[] = []) => {
      const before = server?.requests.length ?? 0;
      const result = await runCli(runArgs(input, db, server?.url ?? '', extra));
      expect(result.code, result.stderr).toBe(3); // r5 failed
      const sent = (server?.requests ?? []).slice(before).map((request) => idOfRequest(request.json));
      return { summary: JSON.parse(result.stdout) as Summary, sent: sent.sort() };
    };

    const first = await run();
    expect(first.summary.records).toMatchObject({ done: 7, failed: 1, skipped: 0 });
    const fetchedAt = query<{ created_at: number }>(db, 'SELECT max(created_at) AS created_at FROM responses')[0]?.created_at ?? 0;

    const plain = await run();
    expect(plain.sent).toEqual([]);
    expect(plain.summary.records).toMatchObject({ done: 0, failed: 1, skipped: 8 });

    const recent = await run(['--refresh-older-than', '1h']);
    expect(recent.sent).toEqual([]);
    expect(recent.summary.records).toMatchObject({ done: 0, skipped: 8 });

    await delay(Math.max(0, fetchedAt + 60 - Date.now()));
    const stale = await run(['--refresh-older-than', '50ms']);
    // Every done record again (r3 shares r0's fresh answer); r5 stays failed without a request.
    expect(stale.sent).toEqual(['r0', 'r1', 'r2', 'r4', 'r6', 'r7']);
    expect(stale.summary.records).toMatchObject({ done: 7, failed: 1, skipped: 1, cache_hits: 1 });
    const rows = query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'");
    expect(rows[0]?.n).toBe(7);
  });
});
