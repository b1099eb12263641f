// The --rpm / --tpm layer: waits for tokens, and lets a stop end the wait at once (not sent, stays for the next run).
import { describe, expect, it } from 'vitest';
import { NotSentError } from '../../../../src/engine/dispatch/not-sent.js';
import { rateBudgetLayer } from '../../../../src/engine/dispatch/rate-budget-layer.js';
import type { Attempt, ProviderRequest } from '../../../../src/engine/dispatch/request.js';
import { TokenBucket } from '../../../../src/engine/rate-limit.js';
import type { ProviderResponse } from '../../../../src/provider/provider.js';

const request: ProviderRequest = { endpoint: '/v1/chat/completions', body: { model: 'm' }, estimatedTokens: 10 };

function counting(): { attempt: Attempt; sent: () => number } {
  let sent = 0;
  const attempt: Attempt = () => {
    sent++;
    return Promise.resolve({} as ProviderResponse);
  };
  return { attempt, sent: () => sent };
}

/** A bucket that has just given its only token away: the next take waits a minute (the clock never moves). */
function emptyBucket(): TokenBucket {
  const bucket = new TokenBucket(1, () => 0);
  bucket.take(1);
  return bucket;
}

describe('rateBudgetLayer', () => {
  it('sends at once while the bucket has tokens', async () => {
    const { attempt, sent } = counting();
    await rateBudgetLayer(new TokenBucket(60), undefined)(attempt)(request, new AbortController().signal);
    expect(sent()).toBe(1);
  });

  // guards: a SIGTERM (or a budget halt) with a route waiting for an rpm token stopped only after the grace period.
  it('a stop ends the wait for a token: the attempt is not sent and fails as NotSentError', async () => {
    const stopping = new AbortController();
    const { attempt, sent } = counting();
    const waiting = rateBudgetLayer(emptyBucket(), undefined, stopping.signal)(attempt)(request, new AbortController().signal);
    stopping.abort('SIGTERM');
    await expect(waiting).rejects.toBeInstanceOf(NotSentError);
    expect(sent()).toBe(0);
  });

  it('the same for a tpm wait', async () => {
    const stopping = new AbortController();
    const tpm = new TokenBucket(10, () => 0);
    tpm.take(10);
    const { attempt, sent } = counting();
    const waiting = rateBudgetLayer(undefined, tpm, stopping.signal)(attempt)(request, new AbortController().signal);
    stopping.abort('budget');
    await expect(waiting).rejects.toBeInstanceOf(NotSentError);
    expect(sent()).toBe(0);
  });

  it('an abort of the requests is an abort, not a stop', async () => {
    const requests = new AbortController();
    const { attempt } = counting();
    const waiting = rateBudgetLayer(emptyBucket(), undefined, new AbortController().signal)(attempt)(request, requests.signal);
    requests.abort(new Error('grace period over'));
    await expect(waiting).rejects.not.toBeInstanceOf(NotSentError);
  });
});
