// Submit for Anthropic's Message Batches: no upload step, the create request streams the chunk file as its body.
// Anthropic batches carry no metadata, so a create whose answer was lost (a crash, a dropped connection) is found
// again by what was recorded before it was sent: the request count and the send time (see adoptionCandidate).
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchSnapshot, BatchTable } from '../checkpoint/batch-batches.js';
import type { BatchChunks, ChunkRow } from '../checkpoint/batch-chunks.js';
import type { BatchSends, CreateSend } from '../checkpoint/batch-sends.js';
import { ProviderError } from '../errors.js';
import type { AnthropicBatchClient } from '../provider/anthropic-batch-client.js';

export interface AnthropicCreateContext {
  readonly client: AnthropicBatchClient;
  readonly chunks: BatchChunks;
  readonly batches: BatchTable;
  readonly sends: BatchSends;
  readonly transaction: (work: () => void) => void;
  readonly provider: string;
  readonly maxRetries: number;
  readonly signal: AbortSignal;
  /** Chunks --max-cost holds back this run (written by an earlier run, no longer within the budget). */
  readonly held?: ReadonlySet<number> | undefined;
  readonly log: (message: string, detail: Record<string, unknown>) => void;
  readonly now?: () => number;
}

/** Clock skew allowed between this machine and the provider when comparing created_at with the send time. */
export const ADOPT_SKEW_MS = 5 * 60 * 1000;
const LIST_PAGE = 100;

/**
 * Whether a listed batch may be the lost create of `sent`. RESIDUAL RISK: without metadata this is a guess by
 * (created_at within [sentAt - skew, now + skew], request total equal, not owned by a chunk of this checkpoint).
 * Another client of the same workspace creating a batch of exactly as many requests in that window could be
 * adopted instead. Answers are still matched by custom_id (the request hash), so a wrong batch delivers nothing
 * wrong: its lines match no member, the chunk's records end unanswered (retryable) and are resubmitted after it
 * ends; but our real batch then runs uncollected (paid twice), and `batches cancel` would cancel the other's.
 */
export function adoptionCandidate(batch: BatchSnapshot, sent: CreateSend, nowMs: number, owned: (id: string) => boolean): boolean {
  if (batch.createdAt === null || batch.total !== sent.requests || owned(batch.id)) return false;
  return batch.createdAt >= sent.sentAt - ADOPT_SKEW_MS && batch.createdAt <= nowMs + ADOPT_SKEW_MS;
}

/** Takes every written chunk to `created`; returns how many batches it created or adopted. */
export async function submitAnthropicChunks(context: AnthropicCreateContext): Promise<number> {
  let created = 0;
  for (const chunk of context.chunks.unsubmitted()) {
    if (context.held?.has(chunk.id) === true) continue;
    if (await create(context, chunk)) created += 1;
  }
  return created;
}

async function create(context: AnthropicCreateContext, chunk: ChunkRow): Promise<boolean> {
  const now = context.now ?? Date.now;
  // An earlier run or attempt sent this create: look before sending it again.
  const earlier = context.sends.get(chunk.id);
  if (earlier !== undefined) {
    const found = await findLost(context, earlier, now());
    if (found !== undefined) return adopt(context, chunk, found);
  }
  const file = chunk.filePath;
  if (file === null || !fs.existsSync(file)) {
    context.log('batch file missing: its records will be submitted again', { chunk: chunk.id, file });
    context.transaction(() => {
      for (const member of [...context.chunks.remaining(chunk.id)]) context.chunks.removeMember(member.recordId);
      context.chunks.setStep(chunk.id, 'settled', { clearFile: true });
    });
    return false;
  }
  for (let attempt = 0; ; attempt++) {
    let sent: CreateSend | undefined;
    context.transaction(() => {
      sent = context.sends.record(chunk.id, chunk.requests, now());
      context.chunks.setStep(chunk.id, 'creating');
    });
    const started = Date.now();
    try {
      const batch = await context.client.createBatch(file, chunk.endpoint, context.signal);
      context.log('batch created', { chunk: chunk.id, batch: batch.id, requests: chunk.requests, bytes: chunk.bytes, ms: Date.now() - started });
      return save(context, chunk, batch);
    } catch (error) {
      if (!(error instanceof ProviderError) || error.scope !== 'retryable' || attempt >= context.maxRetries || context.signal.aborted) throw error;
      context.log('batch create failed; looking for it before trying again', { chunk: chunk.id, error: error.message });
      await sleep(Math.max(error.retryAfterMs ?? 0, Math.min(30_000, 500 * 2 ** attempt * Math.random())), undefined, { signal: context.signal });
      const found = sent === undefined ? undefined : await findLost(context, sent, now());
      if (found !== undefined) return adopt(context, chunk, found);
    }
  }
}

/** The oldest listed batch that may be the lost create (the list is newest first; paging stops past the window). */
async function findLost(context: AnthropicCreateContext, sent: CreateSend, nowMs: number): Promise<BatchSnapshot | undefined> {
  const owned = (id: string): boolean => context.batches.get(id) !== undefined;
  let after: string | undefined;
  let found: BatchSnapshot | undefined;
  for (;;) {
    const page = await context.client.listBatches(LIST_PAGE, after, context.signal);
    for (const batch of page.data) if (adoptionCandidate(batch, sent, nowMs, owned)) found = batch;
    const oldest = page.data.at(-1)?.createdAt;
    if (!page.hasMore || page.lastId === null || (oldest !== undefined && oldest !== null && oldest < sent.sentAt - ADOPT_SKEW_MS)) return found;
    after = page.lastId;
  }
}

function adopt(context: AnthropicCreateContext, chunk: ChunkRow, batch: BatchSnapshot): boolean {
  context.log('adopted a batch whose create answer was lost (matched by request count and time)', { chunk: chunk.id, batch: batch.id, requests: batch.total });
  return save(context, chunk, batch);
}

function save(context: AnthropicCreateContext, chunk: ChunkRow, batch: BatchSnapshot): boolean {
  context.transaction(() => {
    context.batches.save({ ...batch, endpoint: chunk.endpoint }, chunk.id, context.provider);
    context.chunks.setStep(chunk.id, 'created', { batchId: batch.id, clearFile: true });
  });
  if (chunk.filePath !== null) fs.rmSync(chunk.filePath, { force: true });
  return true;
}
