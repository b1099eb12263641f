// `--provider anthropic --via batch` end to end: the built CLI against the team's Message Batches server, with
// errored lines, expiry, lost create answers and kill -9s injected; the server counts answers per custom_id.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AnthropicBatchServer, startAnthropicBatchServer } from '../helpers/anthropic-batch-server.js';
import { collect, runCli, spawnCli } from '../helpers/cli.js';
import { query, writePrompts } from '../helpers/checkpoint.js';
import { useTestWork } from '../helpers/test-work.js';

const work = useTestWork('batch-anthropic');
const env = { ANTHROPIC_API_KEY: 'sk-ant-test-batch' };

const args = (input: string, db: string, server: AnthropicBatchServer, extra: string[] = []) => [
  'cache', '--input', input, '--db', db, '--provider', 'anthropic', '--base-url', server.baseUrl, '--model', 'claude-test',
  '--via', 'batch', '--no-progress', '--log-level', 'warn', ...extra,
];

/** Every record done with the answer to its own prompt, in OpenAI's shape (as live Anthropic answers are stored). */
function expectAllExact(db: string, count: number): void {
  const rows = query<{ id: string; status: string; body: string; prompt_tokens: number | null }>(db, 'SELECT r.id, r.status, p.body, p.prompt_tokens FROM records r LEFT JOIN responses p ON p.hash = r.hash');
  expect(rows).toHaveLength(count);
  for (const row of rows) {
    expect(row.status, row.id).toBe('done');
    const body = JSON.parse(row.body) as { object: string; choices: { message: { content: string } }[]; usage: { prompt_tokens: number; completion_tokens: number } };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]?.message.content).toBe(`answer to: record ${row.id}`);
    expect(body.usage.completion_tokens).toBe(3);
    expect(row.prompt_tokens).toBe(`record ${row.id}`.length);
  }
}

const onceEach = (server: AnthropicBatchServer): boolean => [...server.stats.processed.values()].every((n) => n === 1);

describe('--provider anthropic --via batch', () => {
  it('with --wait every record ends exact; the create body is streamed with a Content-Length; system and max_tokens are mapped', async () => {
    const server = work.track(await startAnthropicBatchServer({ inProgressMs: 40 }));
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 120, (i) => ({ id: `r${i}`, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: `record r${i}` }] }));
    const result = await runCli(args(input, db, server, ['--batch-max-requests', '50', '--wait', '--poll-interval', '50ms', '--json']), { env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ via: 'batch', batches: { created: 3, live: 0 } });
    expectAllExact(db, 120);
    expect(server.stats.creates).toBe(3);
    expect(server.stats.chunkedCreates).toBe(0);
    expect(server.stats.createLengths).toHaveLength(3);
    expect(onceEach(server)).toBe(true);
    expect(fs.readdirSync(work.dir).filter((name) => name.includes('.batch-'))).toEqual([]);
  });

  it('sends chat lines translated (system, default max_tokens 1024) and Anthropic-native {custom_id, params} lines as they are', async () => {
    const server = work.track(await startAnthropicBatchServer({ inProgressMs: 20 }));
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 20, (i) =>
      i % 2 === 0
        ? { id: `r${i}`, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: `record r${i}` }] }
        : { custom_id: `r${i}`, params: { model: 'claude-native', max_tokens: 7, messages: [{ role: 'user', content: `record r${i}` }] } },
    );
    const result = await runCli(args(input, db, server, ['--wait', '--poll-interval', '50ms']), { env });
    expect(result.code, result.stderr).toBe(0);
    expectAllExact(db, 20);
    expect(server.stats.params).toHaveLength(20);
    expect(server.stats.params.filter((params) => params['system'] === 'be brief' && params['max_tokens'] === 1024 && params['model'] === 'claude-test')).toHaveLength(10);
    expect(server.stats.params.filter((params) => params['model'] === 'claude-native' && params['max_tokens'] === 7 && params['system'] === undefined)).toHaveLength(10);
  });

  // guards: errored lines settle by type (invalid_request_error for good, api/overloaded errors resubmitted), expired ones are resubmitted
  it('errored and expired lines: invalid_request_error fails for good with the message, the rest are resubmitted and complete', async () => {
    const server = work.track(await startAnthropicBatchServer({ inProgressMs: 30, failShare: 0.1, badShare: 0.03, expireBatches: [0], expireFraction: 0.5, seed: 5 }));
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 200);
    const result = await runCli(args(input, db, server, ['--batch-max-requests', '100', '--wait', '--poll-interval', '50ms']), { env });
    expect(result.code, result.stderr).toBe(3);
    const failed = query<{ error_message: string; retryable: number }>(db, "SELECT error_message, retryable FROM records WHERE status = 'failed'");
    expect(failed.length).toBeGreaterThan(0);
    for (const row of failed) {
      expect(row.error_message).toContain('test: this request is refused');
      expect(row.retryable).toBe(0);
    }
    const done = query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n ?? 0;
    expect(done + failed.length).toBe(200);
    expect(server.stats.creates).toBeGreaterThan(2);
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done' AND attempts > 1")[0]?.n ?? 0).toBeGreaterThan(0);
    expect(onceEach(server)).toBe(true);
  });

  // guards: a lost create answer is adopted (by request count and send time), not created again
  it('adopts batches whose create answers were lost; cron reruns finish with no second batch', async () => {
    const gate = { open: false };
    const server = work.track(await startAnthropicBatchServer({ inProgressMs: 20, loseCreates: 2, gate }));
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 90);
    const first = await runCli(args(input, db, server, ['--batch-max-requests', '30', '--max-retries', '2']), { env });
    expect(first.code, first.stderr).toBe(75);
    expect(server.stats.creates).toBe(3);
    gate.open = true;
    let last = first;
    for (let run = 0; run < 20 && last.code === 75; run++) last = await runCli(args(input, db, server, ['--batch-max-requests', '30']), { env });
    expect(last.code, last.stderr).toBe(0);
    expect(server.stats.creates).toBe(3);
    expect(query(db, 'SELECT id FROM batches')).toHaveLength(3);
    expectAllExact(db, 90);
    expect(onceEach(server)).toBe(true);
  });

  it('batches cancel stops the live Anthropic batches and collects them; the next runs finish the job once', async () => {
    const gate = { open: false };
    const server = work.track(await startAnthropicBatchServer({ inProgressMs: 20, gate }));
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 60);
    expect((await runCli(args(input, db, server, ['--batch-max-requests', '30']), { env })).code).toBe(75);
    const cancel = await runCli(['batches', 'cancel', '--db', db, '--base-url', server.baseUrl, '--poll-interval', '20ms'], { env });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stderr).toContain('2 batch(es) cancelled, 2 collected');
    expect(query(db, "SELECT id FROM records WHERE status = 'done'")).toHaveLength(30);
    gate.open = true;
    let last = cancel;
    for (let run = 0; run < 20 && (last === cancel || last.code === 75); run++) last = await runCli(args(input, db, server, ['--batch-max-requests', '30']), { env });
    expect(last.code, last.stderr).toBe(0);
    expectAllExact(db, 60);
    expect(onceEach(server)).toBe(true);
  });

  // guards: kill -9 during create, poll and download loses nothing and gets no record processed twice
  it('survives kill -9 at create, poll and download; reruns finish every record exactly once', { timeout: 120_000 }, async () => {
    let child: ChildProcess | undefined;
    let exited: Promise<unknown> | undefined;
    const kills: string[] = [];
    const plan = ['create', 'create', 'poll', 'download', 'poll', 'download'];
    const server = work.track(
      await startAnthropicBatchServer({
        inProgressMs: 40,
        onEvent: async (event) => {
          if (child === undefined || exited === undefined || plan[kills.length] !== event) return;
          kills.push(event);
          child.kill('SIGKILL');
          await exited;
        },
      }),
    );
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 400);
    let last: { code: number | null; stderr: string } = { code: null, stderr: '' };
    for (let run = 0; run < 40; run++) {
      child = spawnCli(args(input, db, server, ['--batch-max-requests', '100', '--wait', '--poll-interval', '50ms']), { env });
      exited = collect(child);
      last = (await exited) as { code: number | null; stderr: string };
      child = undefined;
      exited = undefined;
      if (last.code === 0) break;
      expect([75, null], last.stderr).toContain(last.code);
    }
    expect(last.code, last.stderr).toBe(0);
    expect(kills).toEqual(plan);
    expectAllExact(db, 400);
    expect(server.stats.processed.size).toBe(400);
    expect(onceEach(server)).toBe(true);
    const batches = query<{ chunk_id: number }>(db, 'SELECT chunk_id FROM batches');
    expect(new Set(batches.map((row) => row.chunk_id)).size).toBe(batches.length);
    expect(server.stats.creates).toBe(batches.length);
  });

  // guards: with --max-cost an Anthropic line without max_tokens is reserved at the --max-tokens it is sent with
  it('with --max-cost reserves each line at batch prices with the max_tokens it is sent with, and holds what does not fit', async () => {
    const gate = { open: false };
    const server = work.track(await startAnthropicBatchServer({ inProgressMs: 20, gate }));
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    const prices = path.join(work.dir, 'prices.json');
    const rate = { input: 1e-6, output: 5e-6 };
    fs.writeFileSync(prices, JSON.stringify({ 'claude-test': { input_cost_per_token: 2 * rate.input, output_cost_per_token: 2 * rate.output, input_cost_per_token_batches: rate.input, output_cost_per_token_batches: rate.output } }));
    writePrompts(input, 40);
    // Room for about 25 lines of 300 completion tokens each (the prompts are a few tokens).
    const budget = 25.5 * 300 * rate.output;
    const first = await runCli(args(input, db, server, ['--prices', prices, '--max-tokens', '300', '--max-cost', String(budget), '--json']), { env });
    expect(first.code, first.stderr).toBe(75);
    const members = query<{ tokens: number; reserved_usd: number }>(db, 'SELECT tokens, reserved_usd FROM batch_members');
    expect(members.length).toBeGreaterThan(20);
    expect(members.length).toBeLessThan(26);
    // Claude is not counted by an OpenAI tokenizer: the prompt is reserved with a 1.3 margin.
    for (const member of members) expect(member.reserved_usd).toBeCloseTo(Math.ceil(member.tokens * 1.3) * rate.input + 300 * rate.output, 15);
    expect(members.reduce((sum, member) => sum + member.reserved_usd, 0)).toBeLessThanOrEqual(budget);
    gate.open = true;
    const rest = await runCli(args(input, db, server, ['--prices', prices, '--max-tokens', '300', '--max-cost', '1', '--wait', '--poll-interval', '50ms']), { env });
    expect(rest.code, rest.stderr).toBe(0);
    expect(server.stats.processed.size).toBe(40);
    expect(onceEach(server)).toBe(true);
  });
});
