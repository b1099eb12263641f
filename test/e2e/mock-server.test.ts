// `memsafe mock-server` as users run it: prints its URL, serves until SIGTERM/SIGINT, exits 0.
import { once } from 'node:events';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { collect, runCli, spawnCli } from '../helpers/cli.js';

/** The URL from the "listening" line; reads stderr with a listener so the pipe stays open afterwards. */
function listeningUrl(child: ReturnType<typeof spawnCli>): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      seen += text;
      const match = /mock server listening on (http:\/\/127\.0\.0\.1:\d+) \(OpenAI base URL: (\S+)\)/.exec(seen);
      if (match?.[1] !== undefined && match[2] === `${match[1]}/v1`) resolve(match[1]);
    });
    child.once('close', () => reject(new Error(`mock-server exited before listening: ${seen}`)));
  });
}

describe('memsafe mock-server', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('serves deterministic answers and exits 0 on %s', async (signal) => {
    const child = spawnCli(['mock-server', '--port', '0', '--latency', '1ms']);
    const exited = once(child, 'close');
    const url = await listeningUrl(child);
    const ask = async () => {
      const answer = await request(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'ping' }] }),
      });
      return { status: answer.statusCode, text: await answer.body.text() };
    };
    const first = await ask();
    expect(first.status).toBe(200);
    expect(await ask()).toEqual(first);
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it('refuses a bad option with exit 2, naming the flag', async () => {
    const result = await runCli(['mock-server', '--port', '0', '--fail-rate', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--fail-rate');
  });

  it('exits 1 with a hint when the port is taken', async () => {
    const child = spawnCli(['mock-server', '--port', '0']);
    const url = await listeningUrl(child);
    const port = new URL(url).port;
    const second = await runCli(['mock-server', '--port', port]);
    child.kill('SIGTERM');
    await collect(child);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/--port/);
  });
});
