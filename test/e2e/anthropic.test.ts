// `--provider anthropic` end to end: the built CLI against the team's Messages API server, checkpoint and export in
// OpenAI shapes with usage mapped, and the exits of 401 (1), 400 (3), a 529 retried to done, embeddings (2).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { query } from '../helpers/checkpoint.js';
import { runCli } from '../helpers/cli.js';
import { type AnthropicServer, startAnthropicServer, TEST_ANTHROPIC_KEY } from '../helpers/anthropic-server.js';
import { useTestWork } from '../helpers/test-work.js';

const work = useTestWork('anthropic');
const env = { ANTHROPIC_API_KEY: TEST_ANTHROPIC_KEY };

function cache(server: AnthropicServer, input: string, db: string, extra: string[] = []) {
  return runCli(['cache', '--input', input, '--db', db, '--provider', 'anthropic', '--base-url', server.url, '--no-progress', '--log-level', 'warn', '--json', ...extra], { env });
}

function writeLines(name: string, lines: readonly object[]): string {
  const file = path.join(work.dir, name);
  fs.writeFileSync(file, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
  return file;
}

interface ExportLine {
  custom_id: string;
  response: { status_code: number; request_id: string; body: { object: string; model: string; choices: { message: { role: string; content: string }; finish_reason: string }[]; usage: Record<string, number> } };
}

describe('--provider anthropic', () => {
  it('answers simple, OpenAI batch and Anthropic batch lines; the export is OpenAI-shaped with usage from input/output tokens', async () => {
    const server = work.track(await startAnthropicServer());
    const input = writeLines('mixed.jsonl', [
      { id: 's1', system: 'be brief', prompt: 'why is the sky blue?' },
      { custom_id: 'o1', method: 'POST', url: '/v1/chat/completions', body: { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'openai shaped' }], stop: 'END', seed: 3 } },
      { custom_id: 'a1', params: { model: 'claude-opus-4-1', max_tokens: 50, system: 'native', messages: [{ role: 'user', content: [{ type: 'text', text: 'anthropic shaped' }] }] } },
    ]);
    const db = path.join(work.dir, 'mixed.db');
    const run = await cache(server, input, db);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ records: { done: 3, failed: 0 } });
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/messages', '/v1/messages', '/v1/messages']);
    const sent = new Map(server.requests.map((request) => [JSON.stringify(request.json), request]));
    expect([...sent.keys()].some((json) => json.includes('"system":"be brief"') && json.includes('"model":"claude-sonnet-4-5"'))).toBe(true);
    expect(server.requests.find((request) => JSON.stringify(request.json).includes('native'))?.json).toEqual({
      model: 'claude-opus-4-1', max_tokens: 50, system: 'native', messages: [{ role: 'user', content: [{ type: 'text', text: 'anthropic shaped' }] }],
    });

    const exported = await runCli(['export', '--db', db]);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((line) => JSON.parse(line) as ExportLine);
    expect(lines.map((line) => line.custom_id).sort()).toEqual(['a1', 'o1', 's1']);
    for (const line of lines) {
      const { body } = line.response;
      expect(body.object).toBe('chat.completion');
      expect(body.choices[0]?.message.role).toBe('assistant');
      expect(body.choices[0]?.message.content).toMatch(/^claude says: /);
      expect(body.choices[0]?.finish_reason).toBe('stop');
      const request = server.requests.find((candidate) => `req_${candidate.n}` === line.response.request_id);
      const usage = server.answered.find((answered) => answered.n === request?.n);
      expect(body.usage).toEqual({ prompt_tokens: usage?.input_tokens, completion_tokens: usage?.output_tokens, total_tokens: (usage?.input_tokens ?? 0) + (usage?.output_tokens ?? 0) });
    }
    const jsonl = await runCli(['export', '--db', db, '--format', 'jsonl']);
    const rows = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; content: string; finish_reason: string; usage: { prompt_tokens: number } });
    expect(rows.find((row) => row.id === 'a1')).toMatchObject({ content: 'claude says: anthropic shaped', finish_reason: 'stop' });
    expect(rows.every((row) => row.usage.prompt_tokens > 0)).toBe(true);
    const stored = query<{ prompt_tokens: number; completion_tokens: number }>(db, 'SELECT prompt_tokens, completion_tokens FROM responses');
    expect(stored.reduce((sum, row) => sum + row.prompt_tokens, 0)).toBe(server.answered.reduce((sum, row) => sum + row.input_tokens, 0));
    expect(fs.readFileSync(db).includes(Buffer.from(TEST_ANTHROPIC_KEY))).toBe(false);
  });

  it('a 529 overloaded answer is retried and the record is done', async () => {
    let overloaded = 0;
    const server = work.track(
      await startAnthropicServer({ behaviour: (request) => (JSON.stringify(request.json).includes('busy') && overloaded++ < 2 ? { status: 529, type: 'overloaded_error', message: 'Overloaded' } : 'ok') }),
    );
    const input = writeLines('busy.jsonl', [{ id: 'b1', prompt: 'busy one' }, { id: 'b2', prompt: 'calm one' }]);
    const db = path.join(work.dir, 'busy.db');
    const run = await cache(server, input, db, ['--max-retries', '3']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ records: { done: 2, failed: 0 } });
    expect(overloaded).toBe(3);
    expect(query<{ attempts: number }>(db, "SELECT attempts FROM records WHERE id = 'b1'")[0]?.attempts).toBe(3);
  });

  it('a 400 fails only its record (exit 3) with Anthropic\'s message', async () => {
    const server = work.track(
      await startAnthropicServer({ behaviour: (request) => (JSON.stringify(request.json).includes('refuse me') ? { status: 400, type: 'invalid_request_error', message: 'prompt is too long: 300000 tokens' } : 'ok') }),
    );
    const input = writeLines('refuse.jsonl', [{ id: 'r1', prompt: 'fine' }, { id: 'r2', prompt: 'refuse me' }, { id: 'r3', prompt: 'fine too' }]);
    const db = path.join(work.dir, 'refuse.db');
    const run = await cache(server, input, db);
    expect(run.code, run.stderr).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ records: { done: 2, failed: 1 } });
    const [failed] = query<{ id: string; http_status: number; error_message: string; retryable: number }>(db, "SELECT id, http_status, error_message, retryable FROM records WHERE status = 'failed'");
    expect(failed).toMatchObject({ id: 'r2', http_status: 400, retryable: 0 });
    expect(failed?.error_message).toContain('prompt is too long');
  });

  it('a 401 stops the run with exit 1, naming ANTHROPIC_API_KEY, and the key appears nowhere', async () => {
    const server = work.track(await startAnthropicServer({ apiKey: 'the-only-right-key' }));
    const input = writeLines('auth.jsonl', Array.from({ length: 20 }, (_, i) => ({ id: `k${i}`, prompt: 'x' })));
    const db = path.join(work.dir, 'auth.db');
    const run = await cache(server, input, db, ['--concurrency', '2']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/401/);
    expect(run.stderr).toContain('ANTHROPIC_API_KEY');
    expect(run.stdout + run.stderr).not.toContain(TEST_ANTHROPIC_KEY);
    expect(server.requests.length).toBeLessThan(20);
    expect(fs.readFileSync(db).includes(Buffer.from(TEST_ANTHROPIC_KEY))).toBe(false);
  });

  it('refuses embeddings, and a missing ANTHROPIC_API_KEY for the real API, with exit 2 before sending', async () => {
    const input = writeLines('x.jsonl', [{ id: 'x', text: 'hi', prompt: 'hi' }]);
    const embeddings = await runCli(['embeddings', '--input', input, '--db', path.join(work.dir, 'e.db'), '--provider', 'anthropic', '--no-progress'], { env });
    expect(embeddings.code).toBe(2);
    expect(embeddings.stderr).toContain('Anthropic has no embeddings API');
    const keyless = await runCli(['cache', '--input', input, '--db', path.join(work.dir, 'k.db'), '--provider', 'anthropic', '--no-progress']);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain('ANTHROPIC_API_KEY');
  });

  it('--max-tokens fills max_tokens for anthropic; Anthropic batch lines fail as invalid_record with another provider', async () => {
    const server = work.track(await startAnthropicServer());
    const input = writeLines('tokens.jsonl', [{ id: 't1', prompt: 'x' }, { custom_id: 't2', params: { messages: [{ role: 'user', content: 'y' }] } }]);
    const run = await cache(server, input, path.join(work.dir, 'tokens.db'), ['--max-tokens', '77']);
    expect(run.code, run.stderr).toBe(0);
    expect(server.requests.map((request) => (request.json as { max_tokens: number }).max_tokens)).toEqual([77, 77]);
    const db = path.join(work.dir, 'mock.db');
    const mock = await runCli(['cache', '--input', input, '--db', db, '--provider', 'mock', '--no-progress', '--log-level', 'warn']);
    expect(mock.code).toBe(3);
    expect(query<{ id: string; error_code: string; error_message: string }>(db, "SELECT id, error_code, error_message FROM records WHERE status = 'failed'")).toEqual([
      { id: 't2', error_code: 'invalid_record', error_message: expect.stringContaining('needs --provider anthropic') as string },
    ]);
  });
});
