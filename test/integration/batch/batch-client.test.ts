// The Files + Batches client against the team's batch server: streamed uploads, lost creates found by metadata,
// downloads line by line, and the faults the server injects.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchClient } from '../../../src/provider/batch-client.js';
import { type BatchServer, startBatchServer } from '../../helpers/batch-server.js';
import { useTestWork } from '../../helpers/test-work.js';

const work = useTestWork('batch-client');
const signal = new AbortController().signal;
const fast = { validatingMs: 5, inProgressMs: 10, finalizingMs: 5 };

function client(server: BatchServer): BatchClient {
  return new BatchClient({ baseUrl: server.baseUrl, apiKey: 'sk-test-secret', headers: [], timeoutMs: 5000, maxRetries: 2, backoffBaseMs: 5 });
}

function batchFile(count: number, pad = 0): string {
  const file = path.join(work.dir, `in-${count}.jsonl`);
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ custom_id: `c${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: `hi ${i} ${'p'.repeat(pad)}` }] } }),
  );
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function settled(api: BatchClient, id: string) {
  for (;;) {
    const batch = await api.getBatch(id, signal);
    if (['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function lines(api: BatchClient, fileId: string | null): Promise<string[]> {
  const all: string[] = [];
  if (fileId !== null) await api.downloadLines(fileId, 1 << 20, 7, (page) => all.push(...page), signal);
  return all;
}

describe('BatchClient', () => {
  it('uploads a file as a streamed multipart body the server stores byte for byte', async () => {
    const server = work.track(await startBatchServer(fast));
    const api = client(server);
    const file = batchFile(2000, 500); // ~1.1 MB: many socket writes
    const id = await api.uploadFile(file, signal);
    const batch = await api.createBatch({ inputFileId: id, endpoint: '/v1/chat/completions', metadata: { memsafe_chunk: '1' } }, signal);
    const done = await settled(api, batch.id);
    expect(done).toMatchObject({ status: 'completed', total: 2000, completed: 2000 });
    const output = await lines(api, done.outputFileId);
    expect(new Set(output.map((text) => (JSON.parse(text) as { custom_id: string }).custom_id)).size).toBe(2000);
    await api.close();
  });

  // guards: a create whose answer is lost must be found again, not made twice
  it('a create whose connection dropped is found by its metadata', async () => {
    const server = work.track(await startBatchServer({ ...fast, loseCreates: 1 }));
    const api = client(server);
    const id = await api.uploadFile(batchFile(3), signal);
    const metadata = { memsafe_checkpoint: 'abc', memsafe_chunk: '7' };
    await expect(api.createBatch({ inputFileId: id, endpoint: '/v1/chat/completions', metadata }, signal)).rejects.toMatchObject({ scope: 'retryable' });
    const found = await api.findBatch(metadata, 0, signal);
    expect(found?.metadata).toEqual(metadata);
    expect(await api.findBatch({ memsafe_checkpoint: 'abc', memsafe_chunk: '8' }, 0, signal)).toBeUndefined();
    expect(server.stats.creates).toBe(1);
    await api.close();
  });

  it('an expired batch has its done part in the output file and the rest as batch_expired errors', async () => {
    const server = work.track(await startBatchServer({ ...fast, expireBatches: [0], expireFraction: 0.5 }));
    const api = client(server);
    const id = await api.uploadFile(batchFile(10), signal);
    const done = await settled(api, (await api.createBatch({ inputFileId: id, endpoint: '/v1/chat/completions', metadata: {} }, signal)).id);
    expect(done.status).toBe('expired');
    expect(await lines(api, done.outputFileId)).toHaveLength(5);
    const errors = await lines(api, done.errorFileId);
    expect(errors.map((text) => (JSON.parse(text) as { error: { code: string } }).error.code)).toEqual(Array(5).fill('batch_expired'));
    await api.close();
  });

  it('a validation failure names the failing lines in errors.data[]', async () => {
    const server = work.track(await startBatchServer({ ...fast, rejectLine: (_line, n) => (n === 2 ? 'model is required' : undefined) }));
    const api = client(server);
    const id = await api.uploadFile(batchFile(3), signal);
    const done = await settled(api, (await api.createBatch({ inputFileId: id, endpoint: '/v1/chat/completions', metadata: {} }, signal)).id);
    expect(done).toMatchObject({ status: 'failed', outputFileId: null, errors: [{ code: 'invalid_request', message: 'model is required', line: 2 }] });
    await api.close();
  });

  it('never puts the API key in an error message', async () => {
    const server = work.track(await startBatchServer(fast));
    const api = client(server);
    const error = await api.getBatch('batch-missing', signal).catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('sk-test-secret');
    await api.close();
  });
});
