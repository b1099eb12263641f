// The wiring the dispatcher is meant to use, end to end over real HTTP: 32 requests at once for 3 MB answers
// under a budget that holds two of them; the reservations never pass the budget and every answer arrives whole.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAdmission } from '../../../src/admission/memory-admission.js';
import { HOLD_FACTOR } from '../../../src/admission/size-estimator.js';
import { ProviderError } from '../../../src/errors.js';
import type { Job } from '../../../src/input/record.js';
import { type MockServer, startMockServer } from '../../../src/provider/mock-server.js';
import { OpenAiProvider } from '../../../src/provider/openai.js';

const MB = 1024 * 1024;
const never = new AbortController().signal;
let server: MockServer | undefined;
let provider: OpenAiProvider | undefined;
afterEach(async () => {
  await provider?.close();
  await server?.close();
});

function chatJob(i: number): Job {
  const body = { model: 'mock-small', messages: [{ role: 'user', content: `record ${i}` }] };
  return { id: `r${i}`, line: i + 1, endpoint: '/v1/chat/completions', body, hash: String(i), trimmed: false, estimatedTokens: 3, bytes: 50 };
}

describe('admission around Provider.send', () => {
  it('32 concurrent 3 MB answers under a budget for two: never over it, all exact', async () => {
    server = await startMockServer({ port: 0, responseBytes: 3 * MB });
    provider = new OpenAiProvider({ baseUrl: `${server.url}/v1`, apiKey: undefined, headers: [], timeoutMs: 60_000, maxResponseBytes: 8 * MB, connections: 32, useProxyEnv: false });
    const budgetBytes = Math.ceil(2.2 * 3 * MB * HOLD_FACTOR);
    const admission = new MemoryAdmission({ maxInflightBytes: budgetBytes, maxMemoryBytes: 64 * 1024 * MB, marginBytes: 0, readRss: () => 0, maxResponseBytes: 8 * MB, concurrency: 32 });
    let overBudget = 0;
    const attempt = async (job: Job) => {
      // (the dispatcher: gate + pacing first, then) the last wait before sending:
      const { reservation, hook } = await admission.admit(job, never);
      try {
        const response = await (provider as OpenAiProvider).send(job.endpoint, job.body, never, hook);
        if (admission.reservedBytes > budgetBytes) overBudget++;
        admission.observe(job, response.bodyBytes);
        return response;
      } finally {
        reservation.release();
      }
    };
    // As the dispatcher does, retryable failures are sent again (a kept-alive socket the server closed while the
    // request waited for room resets under load).
    const send = async (job: Job) => {
      for (let tries = 1; ; tries++) {
        try {
          return await attempt(job);
        } catch (error) {
          if (!(error instanceof ProviderError) || error.scope !== 'retryable' || tries >= 5) throw error;
        }
      }
    };
    const responses = await Promise.all(Array.from({ length: 64 }, (_, i) => send(chatJob(i))));
    expect(overBudget).toBe(0);
    expect(admission.peakBytes).toBeLessThanOrEqual(budgetBytes);
    expect(admission.peakBytes).toBeGreaterThan(3 * MB * HOLD_FACTOR);
    expect(admission.reservedBytes).toBe(0);
    for (const [i, response] of responses.entries()) {
      const content = (JSON.parse(response.bodyText) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '';
      expect(content.startsWith('mock reply ')).toBe(true);
      expect(content).toContain(`record ${i}`);
      expect(response.bodyBytes).toBeGreaterThan(3 * MB);
    }
    expect(admission.estimate(chatJob(0))).toBeGreaterThan(3 * MB * HOLD_FACTOR);
  });
});
