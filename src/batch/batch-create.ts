// Submit, part two: upload each written chunk and create its batch, each step recorded before and after. A create
// whose answer was lost (a crash, a dropped connection) is found again by its metadata and adopted, never repeated.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchTable } from '../checkpoint/batch-batches.js';
import type { BatchChunks, ChunkRow } from '../checkpoint/batch-chunks.js';
import { ProviderError } from '../errors.js';
import type { BatchClient } from '../provider/batch-client.js';

export interface CreateContext {
  readonly client: BatchClient;
  readonly chunks: BatchChunks;
  readonly batches: BatchTable;
  readonly transaction: (work: () => void) => void;
  readonly provider: string;
  readonly checkpointId: string;
  readonly maxRetries: number;
  readonly signal: AbortSignal;
  /** Chunks --max-cost holds back this run (written by an earlier run, no longer within the budget). */
  readonly held?: ReadonlySet<number> | undefined;
  readonly log: (message: string, detail: Record<string, unknown>) => void;
}

/** Batches look back this far before a chunk's creation when searching for a lost create (clock skew). */
const ADOPT_LOOKBACK_MS = 10 * 60 * 1000;

export function chunkMetadata(checkpointId: string, chunkId: number): Record<string, string> {
  return { memsafe_checkpoint: checkpointId, memsafe_chunk: String(chunkId) };
}

/** Takes every chunk from `written` to `created`; returns how many batches it created or adopted. */
export async function submitChunks(context: CreateContext): Promise<number> {
  let created = 0;
  for (const chunk of context.chunks.unsubmitted()) {
    if (context.held?.has(chunk.id) === true) continue;
    let current: ChunkRow | undefined = chunk;
    if (current.step === 'written' || current.step === 'uploading') current = await upload(context, current);
    if (current === undefined) continue;
    await create(context, current);
    created += 1;
  }
  return created;
}

async function upload(context: CreateContext, chunk: ChunkRow): Promise<ChunkRow | undefined> {
  const file = chunk.filePath;
  if (file === null || !fs.existsSync(file)) {
    // Its file is gone (removed by hand): the chunk's records go back to pending.
    context.log('batch file missing: its records will be submitted again', { chunk: chunk.id, file });
    context.transaction(() => {
      for (const member of [...context.chunks.remaining(chunk.id)]) context.chunks.removeMember(member.recordId);
      context.chunks.setStep(chunk.id, 'settled', { clearFile: true });
    });
    return undefined;
  }
  context.chunks.setStep(chunk.id, 'uploading');
  const started = Date.now();
  const inputFileId = await context.client.uploadFile(file, context.signal);
  context.chunks.setStep(chunk.id, 'uploaded', { inputFileId });
  context.log('batch file uploaded', { chunk: chunk.id, file: inputFileId, requests: chunk.requests, bytes: chunk.bytes, ms: Date.now() - started });
  return context.chunks.get(chunk.id);
}

async function create(context: CreateContext, chunk: ChunkRow): Promise<void> {
  const inputFileId = chunk.inputFileId;
  if (inputFileId === null) throw new Error(`chunk ${chunk.id} has no uploaded file`);
  const metadata = chunkMetadata(context.checkpointId, chunk.id);
  context.chunks.setStep(chunk.id, 'creating');
  for (let attempt = 0; ; attempt++) {
    // Always look first: the create of an earlier attempt or run may have made the batch.
    const found = await context.client.findBatch(metadata, chunk.createdAt - ADOPT_LOOKBACK_MS, context.signal);
    if (found !== undefined) {
      context.log('adopted a batch whose create answer was lost', { chunk: chunk.id, batch: found.id });
      return record(context, chunk, found);
    }
    try {
      const batch = await context.client.createBatch({ inputFileId, endpoint: chunk.endpoint, metadata }, context.signal);
      context.log('batch created', { chunk: chunk.id, batch: batch.id, requests: chunk.requests });
      return record(context, chunk, batch);
    } catch (error) {
      if (!(error instanceof ProviderError) || error.scope !== 'retryable' || attempt >= context.maxRetries || context.signal.aborted) throw error;
      context.log('batch create failed; looking for it before trying again', { chunk: chunk.id, error: error.message });
      await sleep(Math.max(error.retryAfterMs ?? 0, Math.min(30_000, 500 * 2 ** attempt * Math.random())), undefined, { signal: context.signal });
    }
  }
}

function record(context: CreateContext, chunk: ChunkRow, batch: Parameters<BatchTable['save']>[0]): void {
  context.transaction(() => {
    context.batches.save(batch, chunk.id, context.provider);
    context.chunks.setStep(chunk.id, 'created', { batchId: batch.id, clearFile: true });
  });
  if (chunk.filePath !== null) fs.rmSync(chunk.filePath, { force: true });
}
