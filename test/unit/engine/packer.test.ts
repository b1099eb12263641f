import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../src/checkpoint/store.js';
import type { ProviderRequest, SendResult } from '../../../src/engine/dispatch/request.js';
import { EmbeddingPacker, type PackerOptions } from '../../../src/engine/embeddings/packer.js';
import { ProviderError } from '../../../src/errors.js';
import type { Job } from '../../../src/input/record.js';
import type { DecodedVector } from '../../../src/provider/embeddings-answer.js';
import { encodeVector } from '../../../src/vectors/float32.js';

const job = (id: string, input: string | string[], line = 1): Job => ({
  id, line, endpoint: '/v1/embeddings', body: { model: 'm', input }, hash: `h-${id}`, trimmed: false, estimatedTokens: 1, bytes: 10,
});
const ok = (vectors: DecodedVector[]): SendResult => ({
  ok: true, attempts: 1, response: { status: 200, requestId: null, bodyText: '', vectors, usage: null, latencyMs: 1 },
});
const vec = (dim: number, seed = 1) => encodeVector(Array.from({ length: dim }, (_, i) => seed + i));

/** A packer over fakes of its collaborators; `answer` scripts the server. */
function packer(answer: (request: ProviderRequest, n: number) => SendResult, options: Partial<PackerOptions> = {}, storedDim?: number) {
  const requests: ProviderRequest[] = [];
  const outcomes: Outcome[] = [];
  const calls: string[] = [];
  const work: Promise<void>[] = [];
  const instance = new EmbeddingPacker(
    {
      vectors: { storedVectors: () => new Map(), storedDimension: () => storedDim },
      dispatcher: { send: async (request) => answer(request, requests.push(request)) },
      buffer: { add: (outcome) => outcomes.push(outcome), flush: () => undefined },
      settler: {
        complete: (j, _response, _attempts, cached) => calls.push(`done ${j.id}${cached ? ' cached' : ''}`),
        fail: (j, error, _attempts, retryable) => calls.push(`failed ${j.id} ${error.code} retryable=${retryable}`),
        forget: (j) => calls.push(`forget ${j.id}`),
        stopRun: (_error, j) => calls.push(`stop ${j.id}`),
      },
      tracker: { track: (promise) => work.push(promise) },
      stops: { stopping: false, stoppingSignal: new AbortController().signal },
      server: { name: 'openai', baseUrl: 'http://127.0.0.1:1/v1' },
    },
    { packSize: () => 8, maxBatchTokens: undefined, normalize: false, encoding: 'base64', maxRetries: 2, tokens: { countText: (t) => Math.ceil(t.length / 4) }, random: () => 0, ...options },
  );
  const settle = async () => {
    while (work.length > 0) await Promise.all(work.splice(0));
  };
  return { instance, requests, outcomes, calls, settle };
}

describe('EmbeddingPacker', () => {
  it('packs the texts of many records into one request and completes each record once its vectors are stored', async () => {
    const { instance, requests, outcomes, calls, settle } = packer((request) => ok((request.body['input'] as string[]).map((_, i) => vec(3, i))));
    instance.submitAll([job('a', 'one'), job('b', ['two', 'three'], 2), job('c', 'one', 3)]);
    instance.flush();
    await settle();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.body).toEqual({ model: 'm', input: ['one', 'two', 'three'], encoding_format: 'base64' });
    expect(outcomes.filter((o) => o.kind === 'vector')).toHaveLength(3);
    // c holds a text already on its way for a: it shares it, a cache hit.
    expect(calls).toEqual(['done a', 'done c cached', 'done b']);
  });

  // guards: packs estimated tokens as characters / 4 even when the tokenizer was loaded (issue 10, defect 4)
  it('counts each text with the run token counter', async () => {
    const { instance, requests, settle } = packer((request) => ok((request.body['input'] as string[]).map(() => vec(3))), { tokens: { countText: () => 7 } });
    instance.submitAll([job('a', ['x', 'y'])]);
    instance.flush();
    await settle();
    expect(requests[0]?.estimatedTokens).toBe(14);
  });

  // guards: dimension_mismatch was stored as retryable, so every later run sent it again (issue 10, defect 2)
  it('fails a vector of another dimension than the checkpoint holds for good, not retryable', async () => {
    const { instance, calls, settle } = packer(() => ok([vec(5)]), {}, 3);
    instance.submitAll([job('a', 'x')]);
    instance.flush();
    await settle();
    expect(calls).toEqual(['failed a dimension_mismatch retryable=false']);
  });

  // guards: invalid_response was marked retryable but never retried within the run (issue 10, defect 2)
  it('sends a text whose vector came back unusable again, and completes it when a good one arrives', async () => {
    const { instance, requests, calls, settle } = packer((request, n) => {
      const texts = request.body['input'] as string[];
      return ok(texts.map((text, i) => (text === 'bad' && n === 1 ? { problem: 'is 6 bytes of base64' } : vec(3, i))));
    });
    instance.submitAll([job('a', 'good'), job('b', 'bad', 2)]);
    instance.flush();
    await settle();
    expect(requests.map((r) => r.body['input'])).toEqual([['good', 'bad'], ['bad']]);
    expect(calls).toEqual(['done a', 'done b']);
  });

  it('fails a text that stays unusable after --max-retries as retryable for the next run', async () => {
    const { instance, requests, calls, settle } = packer(() => ok([{ problem: 'holds a NaN' }]), { maxRetries: 2 });
    instance.submitAll([job('a', 'bad')]);
    instance.flush();
    await settle();
    expect(requests).toHaveLength(3);
    expect(calls).toEqual(['failed a invalid_response retryable=true']);
  });

  it('bisects a pack the server refuses with 400 until the bad text is alone', async () => {
    const refuse: SendResult = { ok: false, attempts: 1, exhausted: false, error: new ProviderError('bad input', { code: 'http_400', scope: 'record', status: 400 }) };
    const { instance, calls, settle } = packer((request) => {
      const texts = request.body['input'] as string[];
      return texts.includes('poison') ? refuse : ok(texts.map(() => vec(3)));
    });
    instance.submitAll([job('a', 'one'), job('b', 'poison', 2), job('c', 'three', 3), job('d', 'four', 4)]);
    instance.flush();
    await settle();
    expect(calls.sort()).toEqual(['done a', 'done c', 'done d', 'failed b http_400 retryable=false']);
  });

  it('forgets the records of a pack cut short by a stop, and stops the run on an auth failure', async () => {
    const aborted: SendResult = { ok: false, attempts: 1, exhausted: false, error: new ProviderError('aborted', { code: 'MS_ABORTED', scope: 'retryable' }) };
    const first = packer(() => aborted);
    first.instance.submitAll([job('a', 'x')]);
    first.instance.flush();
    await first.settle();
    expect(first.calls).toEqual(['forget a']);
    const auth: SendResult = { ok: false, attempts: 1, exhausted: false, error: new ProviderError('401', { code: 'http_401', scope: 'run', status: 401 }) };
    const second = packer(() => auth);
    second.instance.submitAll([job('a', 'x')]);
    second.instance.flush();
    await second.settle();
    expect(second.calls).toEqual(['stop a']);
  });
});
