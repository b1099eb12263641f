import { describe, expect, it } from 'vitest';
import { CostTracker } from '../../../src/cost/cost-tracker.js';
import type { PriceEntry } from '../../../src/cost/model-price.js';
import { PriceBook } from '../../../src/cost/price-table.js';
import { billedUnlessAnswered, spendLayer, type SpendAnswer, type SpendRequest } from '../../../src/cost/spend-layer.js';
import { ProviderError } from '../../../src/errors.js';

const entry: PriceEntry = { inputPerToken: 1e-3, outputPerToken: 1e-3, inputPerTokenBatch: undefined, outputPerTokenBatch: undefined, maxOutputTokens: undefined };
const prices = new PriceBook({ table: new Map([['gpt-x', entry]]), builtin: false });
// 100 prompt + 200 max_tokens at $0.001: $0.30 reserved per attempt
const request: SpendRequest = { endpoint: '/v1/chat/completions', body: { model: 'gpt-x', messages: [], max_tokens: 200 }, estimatedTokens: 100 };

/** An attempt the test answers by hand, so requests stay in flight until it says so. */
function manualServer() {
  const pending: { resolve: (answer: SpendAnswer) => void; reject: (error: unknown) => void }[] = [];
  const attempt = () => new Promise<SpendAnswer>((resolve, reject) => pending.push({ resolve, reject }));
  return { attempt, pending };
}

describe('spendLayer', () => {
  it('passes attempts through untouched without --max-cost', async () => {
    const layer = spendLayer({ tracker: new CostTracker({ prices }), exhausted: () => new Error('x') });
    const next = async () => ({ usage: null });
    expect(layer(next)).toBe(next);
  });

  it('holds back an attempt that does not fit until one in flight settles, and never overshoots', async () => {
    const tracker = new CostTracker({ prices, maxCostUsd: 1 });
    const server = manualServer();
    const send = spendLayer({ tracker, exhausted: (reason) => new Error(reason) })(server.attempt);
    const signal = new AbortController().signal;
    const first = [send(request, signal), send(request, signal), send(request, signal)];
    const fourth = send(request, signal);
    await Promise.resolve();
    // guards: the fourth reservation would take spent + reserved past $1: it is not sent yet
    expect(server.pending).toHaveLength(3);
    server.pending[0]?.resolve({ usage: { promptTokens: 100, completionTokens: 20 } });
    await first[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.pending).toHaveLength(3);
    // a 500 is an answer: not billed, its reservation comes back and lets the fourth out
    server.pending[1]?.reject(new ProviderError('busy', { code: 'http_500', scope: 'retryable', status: 500 }));
    await expect(first[1]).rejects.toThrow('busy');
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.pending).toHaveLength(4);
    server.pending[2]?.resolve({ usage: { promptTokens: 100, completionTokens: 100 } });
    server.pending[3]?.resolve({ usage: { promptTokens: 100, completionTokens: 100 } });
    await Promise.all([first[2], fourth]);
    expect(tracker.budget?.spentUsd).toBeCloseTo(0.12 + 0.2 + 0.2);
    expect(tracker.budget?.inFlight).toBe(0);
    // next: 0.52 + 0.30 fits, then 0.82 + 0.30 does not with nothing in flight: the run stops
    const fifth = send(request, signal);
    await Promise.resolve();
    server.pending[4]?.resolve({ usage: { promptTokens: 100, completionTokens: 200 } });
    await fifth;
    await expect(send(request, signal)).rejects.toThrow(/^spend budget --max-cost \$1\.00 reached: spent \$0\.82/);
  });

  it('keeps the reservation of an attempt cut off after sending (it may be billed), and stops waiting on abort', async () => {
    const tracker = new CostTracker({ prices, maxCostUsd: 0.5 });
    const server = manualServer();
    const send = spendLayer({ tracker, exhausted: (reason) => new Error(reason) })(server.attempt);
    const controller = new AbortController();
    const a = send(request, controller.signal);
    const b = send(request, controller.signal);
    await Promise.resolve();
    expect(server.pending).toHaveLength(1);
    controller.abort(new Error('stopping'));
    await expect(b).rejects.toThrow('stopping');
    server.pending[0]?.reject(new ProviderError('timed out', { code: 'MS_TIMEOUT', scope: 'retryable' }));
    await expect(a).rejects.toThrow('timed out');
    expect(tracker.budget?.spentUsd).toBeCloseTo(0.3);
  });

  it.each([
    [new ProviderError('x', { code: 'http_429', scope: 'retryable', status: 429 }), false],
    [new ProviderError('x', { code: 'MS_TIMEOUT', scope: 'retryable' }), true],
    [new Error('socket hang up'), true],
  ])('billedUnlessAnswered(%s) -> %s', (error, billed) => expect(billedUnlessAnswered(error)).toBe(billed));
});
