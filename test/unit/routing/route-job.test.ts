import { describe, expect, it } from 'vitest';
import type { Job } from '../../../src/input/record.js';
import { requestHash } from '../../../src/input/request-hash.js';
import { implicitRoute, type Route } from '../../../src/routing/route.js';
import { routeJob } from '../../../src/routing/route-job.js';
import { RouteNotFoundError, Router } from '../../../src/routing/router.js';

const base = implicitRoute({ provider: 'openai', baseUrl: undefined, apiKey: undefined, concurrency: 1, rpm: undefined, tpm: undefined, headers: [] });
const routes: Route[] = [
  { ...base, index: 0, match: 'claude-*', provider: 'anthropic', maxTokens: 1024 },
  { ...base, index: 1, match: 'gpt-*', maxTokens: undefined },
];
const router = new Router(routes);
const job = (body: Record<string, unknown>, endpoint: Job['endpoint'] = '/v1/chat/completions'): Job => ({
  id: 'a', line: 2, endpoint, body, hash: requestHash(endpoint, body), trimmed: false, estimatedTokens: 3, bytes: 10,
});

describe('routeJob', () => {
  it("writes the route's max_tokens into a chat body without one, and rehashes it", () => {
    const routed = routeJob(job({ model: 'claude-sonnet-4-5', messages: [] }), router);
    expect(routed.route.index).toBe(0);
    expect(routed.job.body).toEqual({ model: 'claude-sonnet-4-5', messages: [], max_tokens: 1024 });
    expect(routed.job.hash).toBe(requestHash('/v1/chat/completions', routed.job.body));
  });

  it.each([
    ['a line that sets max_tokens', job({ model: 'claude-x', messages: [], max_tokens: 10 })],
    ['a line that sets max_completion_tokens', job({ model: 'claude-x', messages: [], max_completion_tokens: 10 })],
    ['an Anthropic batch line (sent as it is)', job({ model: 'claude-x', messages: [] }, '/v1/messages')],
    ['a route without max_tokens', job({ model: 'gpt-4o', messages: [] })],
  ])('leaves %s as it is', (_name, original) => {
    expect(routeJob(original, router).job).toBe(original);
  });

  it('names the line and the model when no route matches', () => {
    expect(() => routeJob(job({ model: 'llama3', messages: [] }), router)).toThrow(RouteNotFoundError);
  });
});
