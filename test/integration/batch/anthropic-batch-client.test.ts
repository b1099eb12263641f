// The Message Batches client and submit step against the team's Message Batches server: the create body streamed
// from the chunk file with a computed Content-Length, results translated line by line, and a lost create adopted.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { submitAnthropicChunks } from '../../../src/batch/anthropic-create.js';
import { BatchTable } from '../../../src/checkpoint/batch-batches.js';
import { BatchChunks } from '../../../src/checkpoint/batch-chunks.js';
import { BatchSends } from '../../../src/checkpoint/batch-sends.js';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import { AnthropicBatchClient, createBodyBytes } from '../../../src/provider/anthropic-batch-client.js';
import { judgeLine } from '../../../src/batch/settle-rules.js';
import { type AnthropicBatchServer, startAnthropicBatchServer } from '../../helpers/anthropic-batch-server.js';
import { useTestWork } from '../../helpers/test-work.js';

const work = useTestWork('anthropic-batch-client');
const signal = new AbortController().signal;

function client(server: AnthropicBatchServer): AnthropicBatchClient {
  return new AnthropicBatchClient({ baseUrl: server.baseUrl, apiKey: 'sk-ant-secret', headers: [], timeoutMs: 5000, maxRetries: 2, backoffBaseMs: 5 });
}

function chunkFile(count: number, pad = 0): string {
  const file = path.join(work.dir, `chunk-${count}.jsonl`);
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ custom_id: `c${i}`, params: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: `hi ${i} ${'p'.repeat(pad)}` }] } }));
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function ended(api: AnthropicBatchClient, id: string) {
  for (;;) {
    const batch = await api.getBatch(id, signal);
    if (batch.status !== 'in_progress' && batch.status !== 'cancelling') return batch;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('AnthropicBatchClient', () => {
  it('streams a 2 MB create body with the computed Content-Length, and the server reads every request', async () => {
    const server = work.track(await startAnthropicBatchServer({ inProgressMs: 10 }));
    const api = client(server);
    const file = chunkFile(400, 5000);
    const created = await api.createBatch(file, '/v1/chat/completions', signal);
    expect(created).toMatchObject({ status: 'in_progress', total: 400, endpoint: '/v1/chat/completions', outputFileId: null });
    expect(server.stats.createLengths).toEqual([createBodyBytes(fs.statSync(file).size)]);
    const done = await ended(api, created.id);
    expect(done).toMatchObject({ status: 'completed', completed: 400, failed: 0 });
    const lines: string[] = [];
    await api.downloadLines(done.outputFileId ?? '', 1 << 20, 50, (page) => lines.push(...page), signal);
    expect(lines).toHaveLength(400);
    const first = judgeLine(lines.at(-1) ?? '');
    expect(first?.customId).toBe('c0');
    expect(first?.verdict).toMatchObject({ kind: 'done', status: 200, body: { object: 'chat.completion', choices: [{ message: { content: expect.stringContaining('hi 0') } }], usage: { completion_tokens: 3 } } });
    await api.close();
  });

  it('translates errored and expired results into the verdicts of the OpenAI path', async () => {
    const server = work.track(await startAnthropicBatchServer({ inProgressMs: 10, failShare: 0.2, badShare: 0.1, expireBatches: [0], expireFraction: 0.5, seed: 3 }));
    const api = client(server);
    const done = await ended(api, (await api.createBatch(chunkFile(100), '/v1/chat/completions', signal)).id);
    expect(done.status).toBe('expired');
    const verdicts: string[] = [];
    await api.downloadLines(done.outputFileId ?? '', 1 << 20, 10, (page) => {
      for (const line of page) {
        const verdict = judgeLine(line)?.verdict;
        verdicts.push(verdict?.kind === 'done' ? 'done' : `${verdict?.retryable === true ? 'retry' : 'fail'}:${verdict?.kind === 'failed' ? verdict.code : ''}`);
      }
    }, signal);
    expect(verdicts).toHaveLength(100);
    expect(verdicts.filter((v) => v === 'retry:batch_expired')).toHaveLength(50);
    expect(verdicts.filter((v) => v === 'fail:http_400').length).toBeGreaterThan(0);
    expect(new Set(verdicts.filter((v) => v.startsWith('retry:http_')))).toEqual(new Set(['retry:http_500', 'retry:http_529']));
    await api.close();
  });

  // guards: a create whose answer was lost is adopted by request count and send time, never created twice
  it('submit adopts the batch of a lost create answer and records it for the chunk', async () => {
    const server = work.track(await startAnthropicBatchServer({ inProgressMs: 10_000, loseCreateAt: [1] }));
    const api = client(server);
    const store = CheckpointStore.open(path.join(work.dir, 'c.memsafe.db'));
    try {
      const chunks = new BatchChunks(store.database);
      const batches = new BatchTable(store.database);
      const sends = new BatchSends(store.database);
      // An unrelated batch of another size made just before must not be adopted.
      await api.createBatch(chunkFile(3), '/v1/chat/completions', signal);
      const file = chunkFile(20);
      const id = chunks.open('anthropic', '/v1/chat/completions');
      chunks.setFilePath(id, file);
      chunks.finish(id, 20, fs.statSync(file).size);
      const logs: string[] = [];
      const created = await submitAnthropicChunks({
        client: api, chunks, batches, sends, transaction: (work) => store.database.transaction(work)(), provider: 'anthropic', maxRetries: 2, signal, log: (message) => logs.push(message),
      });
      expect(created).toBe(1);
      expect(server.stats.creates).toBe(2);
      expect(logs.some((line) => line.startsWith('adopted a batch'))).toBe(true);
      const chunk = chunks.get(id);
      expect(chunk?.step).toBe('created');
      expect(batches.get(chunk?.batchId ?? '')?.total).toBe(20);
      expect(sends.get(id)).toMatchObject({ requests: 20 });
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      store.close();
      await api.close();
    }
  });
});
