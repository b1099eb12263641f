// The built CLI against checkpoints written with plain SQL: exit codes, --json shape, formats, shards, gzip.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, collect, runCli } from '../helpers/cli.js';
import {
  createCheckpoint,
  insertDone,
  insertFailed,
  insertLineError,
  insertRun,
  insertSample,
  tempDir,
} from '../unit/output/checkpoint-fixture.js';

/** The built CLI in `cwd` (helpers/cli.ts strips MEMSAFE_* and OPENAI_* from the environment). */
const memsafe = (args: readonly string[], cwd: string) => runCli(args, { cwd });

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

/** Two runs (a halted one, then a finished one), 3 done records, a retryable failure, a bad line, a duplicate id. */
function checkpoint(dir: string, name = 'in.memsafe.db', prefix = 'q'): string {
  const file = path.join(dir, name);
  const db = createCheckpoint(file);
  const halted = insertRun(db, {
    startedAt: Date.UTC(2025, 0, 1, 2, 0, 0),
    endedAt: Date.UTC(2025, 0, 1, 2, 10, 0),
    status: 'halted',
    exitCode: 75,
    done: 2,
    peakRss: 1_400_000_000,
    breakerTrips: 1,
    haltReason: 'memory breaker',
  });
  insertSample(db, halted, Date.UTC(2025, 0, 1, 2, 1, 0), 1_000_000_000);
  insertRun(db, {
    startedAt: Date.UTC(2025, 0, 2, 2, 0, 0),
    endedAt: Date.UTC(2025, 0, 2, 2, 1, 0),
    status: 'failed',
    exitCode: 3,
    done: 1,
    failed: 3,
    skipped: 2,
    peakRss: 300_000_000,
  });
  insertDone(db, { id: `${prefix}3`, line: 3, content: 'three, "quoted"' });
  insertDone(db, { id: `${prefix}1`, line: 1, content: 'one' });
  insertDone(db, { id: `${prefix}2`, line: 2, content: 'two\nlines', cached: true });
  insertFailed(db, { id: `${prefix}4`, line: 4, code: 'http_429', message: 'rate limited', httpStatus: 429, retryable: true, attempts: 6 });
  insertFailed(db, { id: 'line-5', line: 5, code: 'invalid_json', message: 'Unexpected token', badLine: true });
  insertLineError(db, 6, `${prefix}1`);
  db.close();
  return file;
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('memsafe status', () => {
  it('--json reports counts, the checkpoint and the runs newest first', async () => {
    const dir = workDir();
    const file = checkpoint(dir);
    const result = await memsafe(['status', '--db', file, '--json'], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ done: 3, failed: 3, retryable: 1, line_errors: 1, runs_total: 2, checkpoint: { path: file } });
    expect((status['checkpoint'] as { size_bytes: number }).size_bytes).toBeGreaterThan(0);
    const runs = status['runs'] as Record<string, unknown>[];
    expect(runs.map((run) => [run['id'], run['status'], run['exit_code'], run['peak_rss_bytes'], run['breaker_trips']])).toEqual([
      [2, 'failed', 3, 300_000_000, 0],
      [1, 'halted', 75, 1_400_000_000, 1],
    ]);
    expect(runs[1]).toMatchObject({ duration_ms: 600_000, halt_reason: 'memory breaker', started_at: '2025-01-01T02:00:00.000Z' });
  });

  it('--runs limits the list', async () => {
    const dir = workDir();
    const file = checkpoint(dir);
    const result = await memsafe(['status', '--db', file, '--json', '--runs', '1'], dir);
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as { runs: { id: number }[]; runs_total: number };
    expect(status.runs.map((run) => run.id)).toEqual([2]);
    expect(status.runs_total).toBe(2);
  });

  it('prints a table on stdout', async () => {
    const dir = workDir();
    const file = checkpoint(dir);
    const result = await memsafe(['status', '--db', file], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('records     3 done, 3 failed (1 will be retried, 1 duplicate-id lines)');
    expect(result.stdout).toMatch(/RUN +STARTED +TOOK +STATUS +EXIT/);
    expect(result.stdout).toMatch(/halted +75 .*1\.3 GB .*memory breaker/);
  });

  it('reads a checkpoint while a run holds it with a write transaction open', async () => {
    const dir = workDir();
    const file = checkpoint(dir);
    const writer = createCheckpoint(file);
    insertRun(writer, { startedAt: Date.now(), status: 'running' });
    writer.exec('BEGIN IMMEDIATE');
    insertDone(writer, { id: 'uncommitted', line: 99 });
    try {
      const result = await memsafe(['status', '--db', file, '--json'], dir);
      expect(result.code).toBe(0);
      const status = JSON.parse(result.stdout) as { done: number; runs: { status: string }[] };
      expect(status.done).toBe(3);
      expect(status.runs[0]?.status).toBe('running');
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('exits 2 for a missing checkpoint and 1 for a database that is not one', async () => {
    const dir = workDir();
    const missing = await memsafe(['status', '--db', path.join(dir, 'nope.db')], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Checkpoint not found');
    const { default: Database } = await import('better-sqlite3');
    const foreign = new Database(path.join(dir, 'other.db'));
    foreign.exec('CREATE TABLE t (x)');
    foreign.close();
    const notOurs = await memsafe(['status', '--db', path.join(dir, 'other.db'), '--json'], dir);
    expect(notOurs.code).toBe(1);
    expect(notOurs.stderr).toContain('not a memsafe checkpoint');
    expect(notOurs.stdout).toBe('');
  });

  it('exits 2 without --db or with a bad --runs', async () => {
    const dir = workDir();
    expect((await memsafe(['status'], dir)).code).toBe(2);
    const bad = await memsafe(['status', '--db', checkpoint(dir), '--runs', 'ten'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Expected `--runs` to be an integer >= 0, got `ten`');
  });
});

describe('memsafe export', () => {
  it('writes OpenAI Batch output lines to stdout in input line order', async () => {
    const dir = workDir();
    const file = checkpoint(dir);
    const result = await memsafe(['export', '--db', file], dir);
    expect(result.code).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines.map((line) => line['custom_id'])).toEqual(['q1', 'q2', 'q3']);
    for (const line of lines) {
      expect(line['id']).toMatch(/^batch_req_[0-9a-f]{24}$/);
      expect(line['error']).toBeNull();
      expect(line['response']).toMatchObject({ status_code: 200, request_id: `req-${String(line['custom_id'])}` });
    }
    expect(lines[1]).toMatchObject({ response: { body: { choices: [{ message: { content: 'two\nlines' } }] } } });
  });

  it('--errors writes every failed line, duplicate ids and bad lines included', async () => {
    const dir = workDir();
    const result = await memsafe(['export', '--db', checkpoint(dir), '--errors', '--format', 'jsonl'], dir);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout).map((line) => [line['line'], line['code'], line['retryable']])).toEqual([
      [4, 'http_429', true],
      [5, 'invalid_json', false],
      [6, 'duplicate_id', false],
    ]);
  });

  it('joins shards into one gzip-compressed CSV file created 0600', async () => {
    const dir = workDir();
    const first = checkpoint(dir, 'a.memsafe.db', 'a');
    const second = checkpoint(dir, 'b.memsafe.db', 'b');
    const out = path.join(dir, 'results.csv.gz');
    const result = await memsafe(['export', '--db', first, '--db', second, '--format', 'csv', '--out', out], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`wrote 6 records to ${out}`);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const rows = zlib.gunzipSync(fs.readFileSync(out)).toString('utf8').split('\r\n');
    expect(rows[0]).toBe('id,line,status,content,prompt_tokens,completion_tokens,cached,trimmed,model,cost_usd');
    expect(rows.slice(1, -1).map((row) => row.split(',')[0])).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    expect(rows[2]).toBe('a2,2,done,"two\nlines",5,7,true,false,,');
    expect(rows[3]).toBe('a3,3,done,"three, ""quoted""",5,7,false,false,,');
  });

  it('ends cleanly when the reader closes the pipe early', async () => {
    const dir = workDir();
    const file = path.join(dir, 'big.memsafe.db');
    const db = createCheckpoint(file);
    db.transaction(() => {
      for (let line = 1; line <= 5000; line++) insertDone(db, { id: `r${line}`, line });
    })();
    db.close();
    const result = await runShell(['-c', `"${process.execPath}" "${BIN}" export --db "${file}" | head -n 1 >/dev/null; echo "exit=\${PIPESTATUS[0]}"`], dir);
    expect(result.stdout.trim()).toBe('exit=0');
    expect(result.stderr).toBe('');
  });

  it('exits 2 for a missing checkpoint or an unknown format, before writing anything', async () => {
    const dir = workDir();
    const out = path.join(dir, 'out.jsonl');
    const missing = await memsafe(['export', '--db', checkpoint(dir), '--db', path.join(dir, 'nope.db'), '--out', out], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Checkpoint not found');
    expect(fs.existsSync(out)).toBe(false);
    const format = await memsafe(['export', '--db', checkpoint(dir, 'c.db'), '--format', 'xml'], dir);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('Expected `--format` to be one of openai-batch, jsonl, csv, npy, got `xml`');
  });
});

/** `bash ARGS` in `cwd`, to test the CLI inside a pipeline. */
function runShell(args: readonly string[], cwd: string) {
  return collect(spawn('bash', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] }));
}
