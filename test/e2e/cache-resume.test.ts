// The promise of memsafe: a killed, interrupted or halted run resumes without paying twice for a request.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, runCli, spawnCli } from '../helpers/cli.js';
import { idOfRequest, query, writePrompts } from '../helpers/checkpoint.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

let server: FaultServer | undefined;
const work = useTestWork('resume');

const runArgs = (input: string, db: string, url: string, extra: string[] = []) => [
  'cache', '--input', input, '--db', db, '--provider', 'openai', '--base-url', `${url}/v1`, '--model', 'test-model',
  '--concurrency', '4', '--no-progress', '--log-level', 'warn', ...extra,
];

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('resume', () => {
  // guards: resume must not resend committed records
  it('after SIGKILL mid-run, a rerun finishes every record once and sends nothing already committed', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 1500);
    server = work.track(await startFaultServer({ behaviour: () => ({ slowMs: 4 }) }));
    const first = spawnCli(runArgs(input, db, server.url));
    const done = collect(first);
    await waitFor(() => (server?.requests.length ?? 0) >= 400, '400 requests');
    first.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');

    const committed = new Set(query<{ id: string }>(db, "SELECT id FROM records WHERE status = 'done'").map((row) => row.id));
    expect(committed.size).toBeGreaterThan(0);
    expect(committed.size).toBeLessThan(1500);
    const before = server.requests.length;

    const second = await runCli(runArgs(input, db, server.url));
    expect(second.code, second.stderr).toBe(0);
    const resent = server.requests.slice(before).map((request) => idOfRequest(request.json)).filter((id) => id !== undefined && committed.has(id));
    expect(resent).toEqual([]);
    const rows = query<{ n: number; distinct_ids: number }>(db, "SELECT count(*) AS n, count(DISTINCT id) AS distinct_ids FROM records WHERE status = 'done'");
    expect(rows[0]).toEqual({ n: 1500, distinct_ids: 1500 });
    // Requests repeated across the kill: at most those in flight plus one uncommitted batch.
    const sentIds = server.requests.map((request) => idOfRequest(request.json));
    expect(sentIds.length - new Set(sentIds).size).toBeLessThanOrEqual(4 + 32);
    const runs = query<{ status: string }>(db, 'SELECT status FROM runs ORDER BY id');
    expect(runs.map((run) => run.status)).toEqual(['crashed', 'done']);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s stops cleanly with exit %i, a consistent checkpoint, and the rerun completes', async (signal, code) => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 1000);
    server = work.track(await startFaultServer({ behaviour: () => ({ slowMs: 5 }) }));
    const child = spawnCli(runArgs(input, db, server.url, ['--json']));
    const done = collect(child);
    await waitFor(() => (server?.requests.length ?? 0) >= 200, '200 requests');
    child.kill(signal);
    const stopped = await done;
    expect(stopped.code, stopped.stderr).toBe(code);
    const summary = JSON.parse(stopped.stdout) as { status: string; exit_code: number };
    expect(summary).toMatchObject({ status: 'interrupted', exit_code: code });
    const [run] = query<{ status: string; exit_code: number }>(db, 'SELECT status, exit_code FROM runs');
    expect(run).toEqual({ status: 'interrupted', exit_code: code });
    // Every answer that arrived before the stop was committed: nothing the server answered is lost.
    const doneCount = query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n ?? 0;
    expect(doneCount).toBeGreaterThan(0);

    const rerun = await runCli(runArgs(input, db, server.url));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n).toBe(1000);
  });

  it('a second run on a held checkpoint exits 4 at once, naming the checkpoint and the pid', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 400);
    server = work.track(await startFaultServer({ behaviour: () => ({ slowMs: 20 }) }));
    const first = spawnCli(runArgs(input, db, server.url));
    const firstDone = collect(first);
    await waitFor(() => (server?.requests.length ?? 0) >= 10, 'the first run to start');
    const second = await runCli(runArgs(input, db, server.url));
    expect(second.code).toBe(4);
    expect(second.stderr).toContain(db);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    first.kill('SIGINT');
    expect((await firstDone).code).toBe(130);
  });

  it('--max-runtime stops cleanly with exit 75 and the rerun resumes', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 600);
    server = work.track(await startFaultServer({ behaviour: () => ({ slowMs: 10 }) }));
    const first = await runCli(runArgs(input, db, server.url, ['--max-runtime', '500ms', '--json']));
    expect(first.code, first.stderr).toBe(75);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'halted', exit_code: 75, hint: expect.stringContaining('same command') });
    const second = await runCli(runArgs(input, db, server.url));
    expect(second.code, second.stderr).toBe(0);
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n).toBe(600);
  });
});

describe('memory breaker', () => {
  it('halts with exit 75 when memory stays high, and reruns finish the job', async () => {
    const input = path.join(work.dir, 'big.jsonl');
    const db = path.join(work.dir, 'big.memsafe.db');
    writePrompts(input, 200);
    // A warning line below the process's own baseline keeps memory "high" after the breaker's GC, so it halts.
    // 130MB: about 40MB over the CLI's own ~88MB, so two or three 2MB answers in flight reach it on every first run.
    const args = ['cache', '--input', input, '--db', db, '--provider', 'mock', '--mock-response-bytes', '2MB', '--warn-memory', '40MB',
      '--max-memory', '130MB', '--breaker-wait', '300ms', '--no-progress', '--log-level', 'warn', '--json'];
    const codes: number[] = [];
    let peakRatio = 0;
    for (let attempt = 0; attempt < 25; attempt++) {
      const result = await runCli(args);
      codes.push(result.code ?? -1);
      const summary = JSON.parse(result.stdout) as { memory: { peak_rss_bytes: number; max_memory_bytes: number }; breaker_trips: number };
      peakRatio = Math.max(peakRatio, summary.memory.peak_rss_bytes / summary.memory.max_memory_bytes);
      if (result.code === 0) break;
      expect(result.code, result.stderr).toBe(75);
      expect(summary.breaker_trips).toBe(1);
    }
    expect(codes[0]).toBe(75);
    expect(codes.at(-1)).toBe(0);
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n).toBe(200);
    const trips = query<{ n: number }>(db, "SELECT count(*) AS n FROM events WHERE kind = 'breaker_trip'")[0]?.n ?? 0;
    expect(trips).toBe(codes.filter((code) => code === 75).length);
    console.log(`breaker: ${codes.length} runs, peak RSS ${(peakRatio * 100).toFixed(0)}% of --max-memory`);
  });

  // guards: the breaker acting only at intake batch boundaries, so the last requests could cross --max-memory unchecked
  it('trips while the last requests drain, after the input has ended', async () => {
    const input = path.join(work.dir, 'one-batch.jsonl');
    const db = path.join(work.dir, 'one-batch.memsafe.db');
    writePrompts(input, 20);
    // One intake batch holds the whole input, so every check after it happens while requests drain.
    const result = await runCli(['cache', '--input', input, '--db', db, '--provider', 'mock', '--mock-response-bytes', '2MB',
      '--batch-size', '20', '--min-batch-size', '20', '--warn-memory', '40MB', '--max-memory', '120MB', '--breaker-wait', '300ms',
      '--no-progress', '--log-level', 'warn', '--json']);
    expect(result.code, result.stderr).toBe(75);
    const summary = JSON.parse(result.stdout) as { records: { read: number }; breaker_trips: number };
    expect(summary.records.read).toBe(20);
    expect(summary.breaker_trips).toBe(1);
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM events WHERE kind = 'breaker_trip'")[0]?.n).toBe(1);
  });

  it('sends nothing after the trip: queued jobs wait, and every request sent is committed', async () => {
    const input = path.join(work.dir, 'big.jsonl');
    const db = path.join(work.dir, 'big.memsafe.db');
    writePrompts(input, 300);
    const content = 'x'.repeat(3 * 1024 * 1024);
    const completion = { id: 'c', object: 'chat.completion', model: 'test-model', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] };
    // Slow, big answers: memory climbs while 2 requests are in flight and a batch waits for a slot.
    server = work.track(await startFaultServer({ behaviour: () => ({ status: 200, body: completion, delayMs: 200 }) }));
    const result = await runCli(runArgs(input, db, server.url, ['--concurrency', '2', '--max-memory', '110MB', '--warn-memory', '40MB', '--breaker-wait', '300ms', '--json']));
    expect(result.code, result.stderr).toBe(75);
    const trip = query<{ t: number }>(db, "SELECT t FROM events WHERE kind = 'breaker_trip'")[0]?.t;
    expect(trip).toBeTypeOf('number');
    // A request on the wire at the trip reached the server before it; the margin covers a loaded machine.
    const late = server.requests.filter((request) => request.arrivedAt > (trip ?? 0) + 150);
    expect(late.map((request) => idOfRequest(request.json))).toEqual([]);
    const done = query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n;
    expect(done).toBe(server.requests.length);
    // Some records were read and queued but held back (they are for the next run).
    const summary = JSON.parse(result.stdout) as { records: { read: number }; requests: number };
    expect(summary.requests).toBeGreaterThan(0);
    expect(summary.records.read).toBeGreaterThan(summary.requests);
  });
});
