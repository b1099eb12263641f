// Bad input gets a clear error and loses nothing: every line ends as a result or an error row with its line.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { query } from '../helpers/checkpoint.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

let server: FaultServer;
const work = useTestWork('input');
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});

const base = (input: string, db: string, extra: string[] = []) => [
  'cache', '--input', input, '--db', db, '--base-url', `${server.url}/v1`, '--model', 'm', '--no-progress', '--log-level', 'warn', '--json', ...extra,
];

describe('bad lines', () => {
  it('turns each bad line into an error row with its line number, sends every good line, and exits 3', async () => {
    const input = path.join(work.dir, 'mixed.jsonl');
    const lines = [
      JSON.stringify({ id: 'ok-1', prompt: 'hello' }),
      '{"id": "broken", "prompt": ',
      JSON.stringify({ id: 'wrong-type', prompt: 42 }),
      '',
      JSON.stringify({ id: 'ok-2', messages: [{ role: 'user', content: 'hi' }] }),
      JSON.stringify({ id: 'ok-1', prompt: 'a later line with a taken id' }),
      JSON.stringify({ id: 'empty-messages', messages: [] }),
      `{"id":"too-long","prompt":"${'x'.repeat(3000)}"}`,
      JSON.stringify([1, 2, 3]),
      JSON.stringify({ prompt: 'no id at all' }),
      JSON.stringify({ custom_id: 'batch-1', method: 'POST', url: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'b' }] } }),
    ];
    fs.writeFileSync(input, `${lines.join('\n')}\n`);
    const db = path.join(work.dir, 'mixed.memsafe.db');
    const result = await runCli(base(input, db, ['--max-line-bytes', '2KB']));
    expect(result.code, result.stderr).toBe(3);
    const done = query<{ id: string; line: number }>(db, "SELECT id, line FROM records WHERE status = 'done' ORDER BY line");
    expect(done).toEqual([
      { id: 'ok-1', line: 1 },
      { id: 'ok-2', line: 5 },
      { id: 'line-10', line: 10 },
      { id: 'batch-1', line: 11 },
    ]);
    const errors = await runCli(['export', '--db', db, '--errors', '--format', 'jsonl']);
    expect(errors.code, errors.stderr).toBe(0);
    const rows = errors.stdout.trim().split('\n').map((text) => JSON.parse(text) as { id: string; line: number; code: string; message: string });
    expect(rows.map((row) => [row.line, row.id, row.code])).toEqual([
      [2, 'line-2', 'invalid_json'],
      [3, 'wrong-type', 'invalid_record'],
      [6, 'ok-1', 'duplicate_id'],
      [7, 'empty-messages', 'invalid_record'],
      [8, 'line-8', 'line_too_long'],
      [9, 'line-9', 'not_an_object'],
    ]);
    expect(rows.find((row) => row.code === 'line_too_long')?.message).toMatch(/--max-line-bytes/);
    expect(rows.find((row) => row.code === 'duplicate_id')?.message).toMatch(/line 1/);
    // The duplicate was never sent: the server saw exactly one request for "ok-1"'s prompt.
    const hellos = server.requests.filter((request) => request.body.includes('a later line with a taken id'));
    expect(hellos).toEqual([]);

    // A rerun sends nothing new and still reports the bad lines (exit 3), losing none of them.
    const before = server.requests.length;
    const again = await runCli(base(input, db, ['--max-line-bytes', '2KB']));
    expect(again.code).toBe(3);
    expect(server.requests.length).toBe(before);
    expect(JSON.parse(again.stdout)).toMatchObject({ records: { skipped: 4, failed: 6 } });
  });

  it('an empty input is 0 records and exit 0', async () => {
    const input = path.join(work.dir, 'empty.jsonl');
    fs.writeFileSync(input, '');
    const result = await runCli(base(input, path.join(work.dir, 'empty.db')));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'done', records: { read: 0, done: 0 } });
  });

  it('reads gzip input and stdin', async () => {
    const lines = `${JSON.stringify({ id: 'g1', prompt: 'one' })}\n${JSON.stringify({ id: 'g2', prompt: 'two' })}\n`;
    const gz = path.join(work.dir, 'in.jsonl.gz');
    fs.writeFileSync(gz, zlib.gzipSync(lines));
    const fromGz = await runCli(base(gz, path.join(work.dir, 'gz.db')));
    expect(fromGz.code, fromGz.stderr).toBe(0);
    expect(JSON.parse(fromGz.stdout)).toMatchObject({ records: { done: 2 } });
    const fromStdin = await runCli(base('-', path.join(work.dir, 'stdin.db')), { stdin: lines });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ records: { done: 2 } });
  });

  it('stops with exit 2 before sending a line that needs a model when none is set', async () => {
    const input = path.join(work.dir, 'nomodel.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ id: 'a', prompt: 'x' })}\n`);
    const before = server.requests.length;
    const args = base(input, path.join(work.dir, 'nomodel.db')).filter((arg, i, all) => arg !== '--model' && all[i - 1] !== '--model');
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--model|MEMSAFE_MODEL/);
    expect(server.requests.length).toBe(before);
  });

  it('--limit processes only the first N records; --dry-run sends nothing and writes no checkpoint', async () => {
    const input = path.join(work.dir, 'many.jsonl');
    fs.writeFileSync(input, Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `l${i}`, prompt: `p${i}` })).join('\n'));
    const limited = await runCli(base(input, path.join(work.dir, 'limit.db'), ['--limit', '20']));
    expect(limited.code, limited.stderr).toBe(0);
    expect(JSON.parse(limited.stdout)).toMatchObject({ records: { read: 20, done: 20 } });
    const before = server.requests.length;
    const dry = await runCli(base(input, path.join(work.dir, 'dry.db'), ['--dry-run']));
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, records: 50, valid: 50, invalid: 0 });
    expect(server.requests.length).toBe(before);
    expect(fs.existsSync(path.join(work.dir, 'dry.db'))).toBe(false);
  });
});

describe('bad flags and files', () => {
  it.each([
    [['--concurrency', '0'], /Expected `--concurrency` to be an integer from 1 to 10000, got `0`/],
    [['--batch-size', 'many'], /Expected `--batch-size` to be an integer from 1 to 10000, got `many`/],
    [['--timeout', '30'], /Expected `--timeout` to be a duration above zero like 250ms, 30s or 2m, got `30`/],
    [['--max-memory', 'lots'], /Expected `--max-memory` to be a size like 800MB, 1.5GB or 75%, got `lots`/],
    [['--provider', 'azure'], /Expected `--provider` to be one of openai, mock, ollama, anthropic, got `azure`/],
    [['--header', 'no colon'], /Expected `--header` to be a header like "Name: value"/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('%j exits 2 naming the flag, the value and what was expected', async (flags, message) => {
    const input = path.join(work.dir, 'x.jsonl');
    fs.writeFileSync(input, '');
    const result = await runCli([...base(input, path.join(work.dir, 'x.db')), ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fs.existsSync(path.join(work.dir, 'x.db'))).toBe(false);
  });

  it('names the environment variable when the bad value came from it', async () => {
    const input = path.join(work.dir, 'x.jsonl');
    fs.writeFileSync(input, '');
    const result = await runCli(base(input, path.join(work.dir, 'x.db')), { env: { MEMSAFE_CONCURRENCY: '-3' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/`MEMSAFE_CONCURRENCY` \(environment\)/);
  });

  it('a missing input file exits 2 and creates no checkpoint', async () => {
    const result = await runCli(base(path.join(work.dir, 'nope.jsonl'), path.join(work.dir, 'nope.db')));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nope\.jsonl/);
    expect(fs.existsSync(path.join(work.dir, 'nope.db'))).toBe(false);
  });

  it('an unknown command exits 2', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });

  it('a checkpoint that is not a memsafe database is refused with exit 1 and left untouched', async () => {
    const input = path.join(work.dir, 'x.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ id: 'a', prompt: 'x' })}\n`);
    const db = path.join(work.dir, 'notes.txt');
    fs.writeFileSync(db, 'my precious notes');
    const result = await runCli(base(input, db));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not a SQLite database/);
    expect(fs.readFileSync(db, 'utf8')).toBe('my precious notes');
  });
});

describe('API failures', () => {
  it('401 stops the run with exit 1, a clear message, and the key nowhere in the output or checkpoint', async () => {
    const denying = await startFaultServer({ behaviour: () => ({ status: 401, body: { error: { message: 'Incorrect API key provided: sk-sec...cret' } } }) });
    try {
      const input = path.join(work.dir, 'auth.jsonl');
      fs.writeFileSync(input, Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: `a${i}`, prompt: 'x' })).join('\n'));
      const db = path.join(work.dir, 'auth.db');
      const key = 'sk-test-supersecretvalue-1234567890';
      const result = await runCli(['cache', '--input', input, '--db', db, '--base-url', `${denying.url}/v1`, '--model', 'm', '--no-progress', '--log-level', 'debug'], {
        env: { OPENAI_API_KEY: key },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/401|API key|authori/i);
      expect(result.stdout + result.stderr).not.toContain(key);
      expect(denying.requests[0]?.headers.authorization).toBe(`Bearer ${key}`);
      expect(fs.readFileSync(db).includes(Buffer.from(key))).toBe(false);
      // guards: a fatal error neither fired the stopping signal nor recorded a stop event (issue 10, defect 5)
      const events = query<{ kind: string; detail: string }>(db, "SELECT kind, detail FROM events WHERE kind IN ('stop', 'fatal') ORDER BY rowid");
      expect(events.map((event) => [event.kind, (JSON.parse(event.detail) as { reason?: string; code?: string }).reason ?? (JSON.parse(event.detail) as { code?: string }).code])).toEqual([
        ['stop', 'fatal'],
        ['fatal', 'http_401'],
      ]);
    } finally {
      await denying.close();
    }
  });

  it('a 400 fails only that record; 429 with Retry-After and 500s are retried', async () => {
    let n = 0;
    const flaky = await startFaultServer({
      behaviour: (request) => {
        n++;
        if (request.body.includes('refuse me')) return { status: 400, body: { error: { message: 'This model cannot do that', code: 'invalid_prompt' } } };
        if (n % 5 === 0) return { status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after': '0' } };
        if (n % 7 === 0) return { status: 500 };
        return 'ok';
      },
    });
    try {
      const input = path.join(work.dir, 'flaky.jsonl');
      const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ id: `f${i}`, prompt: i === 30 ? 'refuse me' : `fine ${i}` }));
      fs.writeFileSync(input, lines.join('\n'));
      const db = path.join(work.dir, 'flaky.db');
      const result = await runCli(['cache', '--input', input, '--db', db, '--base-url', `${flaky.url}/v1`, '--model', 'm', '--no-progress', '--log-level', 'warn', '--json']);
      expect(result.code, result.stderr).toBe(3);
      const summary = JSON.parse(result.stdout) as { records: { done: number; failed: number }; retries: number; throttled: number };
      expect(summary.records).toMatchObject({ done: 59, failed: 1 });
      expect(summary.retries).toBeGreaterThan(0);
      expect(summary.throttled).toBeGreaterThan(0);
      const [failed] = query<{ id: string; http_status: number; error_message: string; retryable: number }>(db, "SELECT id, http_status, error_message, retryable FROM records WHERE status = 'failed'");
      expect(failed).toMatchObject({ id: 'f30', http_status: 400, retryable: 0 });
      expect(failed?.error_message).toContain('This model cannot do that');
    } finally {
      await flaky.close();
    }
  });
});
