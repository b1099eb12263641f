// The Ollama provider over real HTTP: chat and embeddings mapped to OpenAI shapes, unload, and a clear exit 1
// when nothing listens.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

let server: FaultServer | undefined;
const work = useTestWork('ollama');

const common = ['--provider', 'ollama', '--model', 'llama3.2', '--no-progress', '--log-level', 'info'];

describe('--provider ollama', () => {
  it('chats through /api/chat and exports OpenAI chat.completion bodies', async () => {
    server = work.track(await startFaultServer());
    const input = path.join(work.dir, 'chat.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ id: 'c1', prompt: 'why is the sky blue?', system: 'be brief' })}\n`);
    const db = path.join(work.dir, 'chat.db');
    const run = await runCli(['cache', '--input', input, '--db', db, ...common, '--keep-alive', '5m'], { env: { OLLAMA_HOST: server.url.replace('http://', '') } });
    expect(run.code, run.stderr).toBe(0);
    const [request] = server.requests;
    expect(request?.path).toBe('/api/chat');
    expect(request?.json).toMatchObject({
      model: 'llama3.2',
      stream: false,
      keep_alive: '300s',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'why is the sky blue?' }],
    });
    const exported = await runCli(['export', '--db', db]);
    const line = JSON.parse(exported.stdout.trim()) as { custom_id: string; response: { body: { object: string; choices: { message: { role: string } }[] } } };
    expect(line.custom_id).toBe('c1');
    expect(line.response.body.object).toBe('chat.completion');
    expect(line.response.body.choices[0]?.message.role).toBe('assistant');
  });

  it('embeds through /api/embed with array input and unloads the model with --unload', async () => {
    server = work.track(await startFaultServer());
    const input = path.join(work.dir, 'texts.jsonl');
    fs.writeFileSync(input, ['alpha', 'beta', 'gamma'].map((text, i) => JSON.stringify({ id: `e${i}`, text })).join('\n'));
    const db = path.join(work.dir, 'texts.db');
    const run = await runCli(['embeddings', '--input', input, '--db', db, ...common, '--base-url', server.url, '--unload']);
    expect(run.code, run.stderr).toBe(0);
    const embed = server.requests.filter((request) => request.path === '/api/embed');
    expect(embed).toHaveLength(1);
    expect((embed[0]?.json as { input: string[] }).input).toHaveLength(3);
    const unload = server.requests.find((request) => request.path === '/api/generate');
    expect(unload?.json).toEqual({ model: 'llama3.2', keep_alive: 0 });
    expect(run.stderr).toContain('unload');
    const exported = await runCli(['export', '--db', db, '--format', 'openai-batch']);
    const first = JSON.parse(exported.stdout.split('\n')[0] ?? '') as { response: { body: { object: string; data: { index: number; embedding: number[] }[] } } };
    expect(first.response.body.object).toBe('list');
    expect(first.response.body.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it('exits 1 naming the URL and how to start Ollama when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const input = path.join(work.dir, 'x.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ id: 'x', prompt: 'hi' })}\n`);
    const run = await runCli(['cache', '--input', input, '--db', path.join(work.dir, 'x.db'), ...common, '--base-url', `http://127.0.0.1:${port}`, '--max-retries', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`127.0.0.1:${port}`);
    expect(run.stderr).toMatch(/ollama serve/);
  });
});
