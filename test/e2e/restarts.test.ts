// --restarts: a small supervisor starts a fresh worker after a breaker halt or an OOM kill, resuming from the
// checkpoint; killing the supervisor leaves no worker behind.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src/checkpoint/lock.js';
import { collect, runCli, spawnCli } from '../helpers/cli.js';
import { query, writePrompts } from '../helpers/checkpoint.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

let server: FaultServer | undefined;
const work = useTestWork('restarts');

const pressure = (input: string, db: string, restarts: number) => [
  'cache', '--input', input, '--db', db, '--provider', 'mock', '--mock-response-bytes', '2MB', '--warn-memory', '40MB', '--max-memory', '150MB',
  '--breaker-wait', '200ms', '--restarts', String(restarts), '--no-progress', '--log-level', 'warn', '--json',
];

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const workerPids = (db: string) => query<{ pid: number }>(db, 'SELECT pid FROM runs ORDER BY id').map((row) => row.pid);

describe('--restarts', () => {
  it('restarts a worker halted by the breaker until the job is done, and prints one JSON summary', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.db');
    writePrompts(input, 200);
    const result = await runCli(pressure(input, db, 30));
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { status: string; restarts: number };
    expect(summary.status).toBe('done');
    expect(summary.restarts).toBeGreaterThan(0);
    expect(result.stderr).toContain('worker halted at the memory breaker; starting a fresh one');
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n).toBe(200);
    const runs = query<{ status: string }>(db, 'SELECT status FROM runs ORDER BY id').map((run) => run.status);
    expect(runs.at(-1)).toBe('done');
    expect(runs.slice(0, -1).every((status) => status === 'halted')).toBe(true);
    expect(new Set(workerPids(db)).size).toBe(runs.length); // a fresh process each time
  });

  it('exits 75 when the restarts run out', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.db');
    writePrompts(input, 1000); // far more than two workers get through before their breakers trip
    const result = await runCli(pressure(input, db, 1));
    expect(result.code, result.stderr).toBe(75);
    expect(result.stderr).toContain('restarts used up');
    expect(query<{ n: number }>(db, 'SELECT count(*) AS n FROM runs')[0]?.n).toBe(2);
  });

  it('treats a SIGKILLed worker as an OOM kill and resumes in a fresh one', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.db');
    writePrompts(input, 600);
    server = work.track(await startFaultServer({ behaviour: () => ({ slowMs: 5 }) }));
    const child = spawnCli(['cache', '--input', input, '--db', db, '--base-url', `${server.url}/v1`, '--model', 'm', '--concurrency', '4', '--restarts', '2', '--no-progress', '--log-level', 'warn']);
    const done = collect(child);
    await until(() => (server?.requests.length ?? 0) >= 100, '100 requests');
    const [worker] = workerPids(db);
    expect(worker).not.toBe(child.pid);
    process.kill(worker ?? 0, 'SIGKILL');
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('OOM killer');
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n).toBe(600);
  });

  it('a worker stops when its supervisor is killed: nothing is left running', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.db');
    writePrompts(input, 2000);
    server = work.track(await startFaultServer({ behaviour: () => ({ slowMs: 10 }) }));
    const child = spawnCli(['cache', '--input', input, '--db', db, '--base-url', `${server.url}/v1`, '--model', 'm', '--concurrency', '2', '--restarts', '3', '--no-progress', '--log-level', 'warn']);
    const done = collect(child);
    await until(() => (server?.requests.length ?? 0) >= 20, '20 requests');
    const [worker] = workerPids(db);
    child.kill('SIGKILL');
    await done;
    await until(() => !processAlive(worker ?? 0), 'the worker to exit');
    const [run] = query<{ status: string; exit_code: number }>(db, 'SELECT status, exit_code FROM runs');
    expect(run).toEqual({ status: 'interrupted', exit_code: 143 });
  });
});
