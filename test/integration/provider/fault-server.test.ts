// The chaos mode of the test fault server: seeded, so a failing chaos run can be replayed.
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { OpenAiProvider } from '../../../src/provider/openai.js';
import { type FaultServer, startFaultServer } from '../../helpers/fault-server.js';

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function outcomes(seed: number): Promise<string[]> {
  const server = await startFaultServer({ rates: { r429: 0.2, r500: 0.2, reset: 0.1, truncate: 0.1, slow: 0.1 }, seed, slowMs: 5 });
  servers.push(server);
  const provider = new OpenAiProvider({ baseUrl: `${server.url}/v1`, apiKey: undefined, headers: [], timeoutMs: 5000, maxResponseBytes: 65_536, connections: 1, useProxyEnv: false });
  const seen: string[] = [];
  try {
    for (let index = 0; index < 60; index++) {
      try {
        await provider.send('/v1/chat/completions', { messages: [{ role: 'user', content: `q${index}` }] }, new AbortController().signal);
        seen.push('ok');
      } catch (error) {
        expect(error).toBeInstanceOf(ProviderError);
        expect((error as ProviderError).scope).toBe('retryable');
        seen.push((error as ProviderError).code);
      }
    }
  } finally {
    await provider.close();
  }
  return seen;
}

describe('startFaultServer rates mode', () => {
  it('mixes every fault kind, all retryable, the same way for the same seed', async () => {
    const first = await outcomes(42);
    expect(new Set(first)).toEqual(new Set(['ok', 'http_429', 'http_500', 'connection_reset', 'body_truncated']));
    expect(await outcomes(42)).toEqual(first);
    expect(await outcomes(43)).not.toEqual(first);
  });
});
