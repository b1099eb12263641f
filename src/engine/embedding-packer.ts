// Embeddings mode: packs texts from many records into one request, sends each distinct text at most once per
// model and checkpoint, matches answers by `index`, and isolates a text the server refuses by bisecting its pack.
import { createHash } from 'node:crypto';
import { encodeVector, type EmbeddingManifest, MANIFEST_OBJECT } from '../checkpoint/embedding-manifest.js';
import type { Outcome } from '../checkpoint/store.js';
import { ProviderError } from '../errors.js';
import { canonicalJson } from '../input/request-hash.js';
import type { Job } from '../input/record.js';
import type { ProviderResponse } from '../provider/provider.js';
import type { SendResult } from './dispatcher.js';

/** One text waiting for its vector, and the records that wait for it. */
interface TextSlot {
  readonly key: string;
  readonly text: string;
  readonly tokens: number;
  readonly waiters: RecordWaiter[];
}

interface RecordWaiter {
  readonly job: Job;
  readonly keys: readonly string[];
  remaining: number;
  failed: boolean;
  /** Every text was stored or already on its way for another record: a cache hit. */
  shared: boolean;
}

export interface PackerHost {
  /** Texts per request now (the governor's batch size). */
  packSize(): number;
  readonly maxBatchTokens: number | undefined;
  readonly normalize: boolean;
  /** Which of these vector keys the checkpoint already holds, with their dimension. */
  storedVectors(keys: readonly string[]): Map<string, number>;
  /** The dimension vectors of this model already have in the checkpoint, if any. */
  storedDimension(model: string): number | undefined;
  /** Sends one request (retries included); never throws. */
  send(job: Job): Promise<SendResult>;
  /** Tracks a pack in flight (the engine counts it against its window and waits for it on drain). */
  track(work: Promise<void>): void;
  add(outcome: Outcome): void;
  commit(): void;
  complete(job: Job, response: ProviderResponse, cached: boolean): void;
  fail(job: Job, error: ProviderError, exhausted: boolean, attempts: number): void;
  /** The job will not finish in this run (the run is stopping). */
  forget(job: Job): void;
  stopping(): boolean;
  /** The whole run must stop (auth, quota, unreachable). */
  fatal(error: ProviderError, job: Job, exhausted: boolean, attempts: number): void;
}

/** Flush a partial pack this soon after its first text, so slow input does not hold texts back. */
const PARTIAL_PACK_MS = 25;

export class EmbeddingPacker {
  private readonly slots = new Map<string, TextSlot>();
  private pending: TextSlot[] = [];
  private pendingTokens = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly dims = new Map<string, number>();

  constructor(private readonly host: PackerHost) {}

  /** Texts queued but not yet sent. */
  get queued(): number {
    return this.pending.length;
  }

  submit(job: Job): void {
    const model = String(job.body['model'] ?? '');
    const input = job.body['input'];
    const texts = Array.isArray(input) ? (input as string[]) : [String(input)];
    const keys = texts.map((text) => vectorKey(job.body, text, this.host.normalize));
    const stored = this.host.storedVectors(keys);
    const waiter: RecordWaiter = { job, keys, remaining: 0, failed: false, shared: true };
    for (const [index, key] of keys.entries()) {
      if (stored.has(key)) continue;
      waiter.remaining++;
      const existing = this.slots.get(key);
      if (existing !== undefined) {
        existing.waiters.push(waiter);
        continue;
      }
      waiter.shared = false;
      const text = texts[index] ?? '';
      const slot: TextSlot = { key, text, tokens: Math.ceil(text.length / 4), waiters: [waiter] };
      this.slots.set(key, slot);
      this.pending.push(slot);
      this.pendingTokens += slot.tokens;
    }
    if (waiter.remaining === 0) {
      const dim = stored.get(keys[0] ?? '') ?? 0;
      this.host.complete(job, manifestResponse(job, model, keys, dim), true);
      return;
    }
    this.flushFull();
    if (this.pending.length > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), PARTIAL_PACK_MS);
      this.timer.unref();
    }
  }

  /** Sends everything queued (end of input); nothing once the run is stopping. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.host.stopping()) return;
    while (this.pending.length > 0) this.sendPack(this.takePack());
  }

  private flushFull(): void {
    if (this.host.stopping()) return;
    const limit = this.host.maxBatchTokens;
    while (this.pending.length >= this.host.packSize() || (limit !== undefined && this.pendingTokens >= limit)) {
      this.sendPack(this.takePack());
    }
  }

  private takePack(): TextSlot[] {
    const size = this.host.packSize();
    const limit = this.host.maxBatchTokens;
    let count = 0;
    let tokens = 0;
    while (count < this.pending.length && count < size) {
      const next = this.pending[count]?.tokens ?? 0;
      if (limit !== undefined && count > 0 && tokens + next > limit) break;
      tokens += next;
      count++;
    }
    const pack = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    this.pendingTokens -= tokens;
    return pack;
  }

  private sendPack(pack: TextSlot[]): void {
    if (pack.length === 0) return;
    this.host.track(this.runPack(pack));
  }

  private async runPack(pack: TextSlot[]): Promise<void> {
    const first = pack[0]?.waiters[0]?.job;
    if (first === undefined) return;
    const { input: _input, ...params } = first.body;
    const body = { ...params, input: pack.map((slot) => slot.text) };
    const request: Job = {
      id: `pack:${first.id}`,
      line: first.line,
      endpoint: '/v1/embeddings',
      body,
      hash: createHash('sha256').update(canonicalJson(body)).digest('hex'),
      trimmed: false,
      estimatedTokens: pack.reduce((sum, slot) => sum + slot.tokens, 0),
      bytes: 0,
    };
    const result = await this.host.send(request);
    if (result.ok) return this.accept(pack, String(first.body['model'] ?? ''), result.response, result.attempts);
    const error = result.error;
    if (error.code === 'MS_ABORTED') return this.abandon(pack);
    if (error.scope === 'record' && error.status === 400 && pack.length > 1) {
      // One bad text must not fail its neighbours: bisect until it is alone (about log2(pack) extra requests).
      const middle = Math.ceil(pack.length / 2);
      await Promise.all([this.runPack(pack.slice(0, middle)), this.runPack(pack.slice(middle))]);
      return;
    }
    if (error.scope === 'run' || (result.exhausted && error.code === 'MS_CONNECT_REFUSED')) {
      for (const slot of pack) for (const waiter of slot.waiters) this.host.fatal(error, waiter.job, result.exhausted, result.attempts);
      this.abandon(pack);
      return;
    }
    this.failSlots(pack, error, result.exhausted, result.attempts);
  }

  /** Stores each vector by the answer's `index` (never by position) and completes the records it finishes. */
  private accept(pack: TextSlot[], model: string, response: ProviderResponse, attempts: number): void {
    const vectors = parseEmbeddings(response.bodyText);
    const finished: RecordWaiter[] = [];
    for (const [index, slot] of pack.entries()) {
      const values = vectors?.get(index);
      const want = this.dimension(model);
      let problem: ProviderError | undefined;
      if (values === undefined) {
        problem = new ProviderError(`the embeddings answer has no vector for index ${index}`, { code: 'invalid_response', scope: 'retryable' });
      } else if (want !== undefined && values.length !== want) {
        problem = new ProviderError(`vector of dimension ${values.length} where this checkpoint's ${model} vectors have ${want}`, {
          code: 'dimension_mismatch',
          scope: 'record',
        });
      }
      if (problem !== undefined || values === undefined) {
        this.failSlots([slot], problem as ProviderError, true, attempts);
        continue;
      }
      if (!this.dims.has(model)) this.dims.set(model, values.length);
      const stored = this.host.normalize ? unitLength(values) : values;
      this.host.add({ kind: 'vector', key: slot.key, model, dim: stored.length, data: encodeVector(stored) });
      this.slots.delete(slot.key);
      for (const waiter of slot.waiters) {
        waiter.remaining--;
        if (waiter.remaining === 0 && !waiter.failed) finished.push(waiter);
      }
    }
    const dim = this.dims.get(model) ?? 0;
    for (const waiter of finished) this.host.complete(waiter.job, manifestResponse(waiter.job, model, waiter.keys, dim, response), waiter.shared);
    // In embeddings mode a pack is the unit of commit.
    this.host.commit();
  }

  /** Every vector of a model has one dimension: the first one stored (in this run or an earlier one) sets it. */
  private dimension(model: string): number | undefined {
    if (!this.dims.has(model)) {
      const stored = this.host.storedDimension(model);
      if (stored !== undefined) this.dims.set(model, stored);
    }
    return this.dims.get(model);
  }

  private failSlots(pack: readonly TextSlot[], error: ProviderError, exhausted: boolean, attempts: number): void {
    for (const slot of pack) {
      this.slots.delete(slot.key);
      for (const waiter of slot.waiters) {
        if (waiter.failed) continue;
        waiter.failed = true;
        this.host.fail(waiter.job, error, exhausted, attempts);
      }
    }
  }

  private abandon(pack: readonly TextSlot[]): void {
    for (const slot of pack) {
      this.slots.delete(slot.key);
      for (const waiter of slot.waiters) {
        if (waiter.failed) continue;
        waiter.failed = true;
        this.host.forget(waiter.job);
      }
    }
  }
}

/** A text's identity for dedup: the same text under the same model and vector options is the same vector. */
export function vectorKey(body: Record<string, unknown>, text: string, normalize: boolean): string {
  const identity = { model: body['model'] ?? null, dimensions: body['dimensions'] ?? null, normalize, text };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/** The `data` of an OpenAI embeddings list, by `index`. */
export function parseEmbeddings(bodyText: string): Map<number, number[]> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data)) return undefined;
  const byIndex = new Map<number, number[]>();
  for (const [position, item] of data.entries()) {
    const entry = item as { index?: unknown; embedding?: unknown };
    const index = typeof entry.index === 'number' ? entry.index : position;
    if (Array.isArray(entry.embedding) && entry.embedding.every((value) => typeof value === 'number')) {
      byIndex.set(index, entry.embedding as number[]);
    }
  }
  return byIndex;
}

export function unitLength(values: readonly number[]): number[] {
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0));
  return norm === 0 ? [...values] : values.map((value) => value / norm);
}

function manifestResponse(job: Job, model: string, keys: readonly string[], dim: number, answer?: ProviderResponse): ProviderResponse {
  const manifest: EmbeddingManifest = {
    object: MANIFEST_OBJECT,
    model,
    input: Array.isArray(job.body['input']) ? 'array' : 'string',
    vectors: keys,
    dim,
    usage: { prompt_tokens: job.estimatedTokens, total_tokens: job.estimatedTokens },
  };
  return {
    status: 200,
    requestId: answer?.requestId ?? null,
    bodyText: JSON.stringify(manifest),
    usage: { promptTokens: job.estimatedTokens, completionTokens: null, totalTokens: job.estimatedTokens },
    latencyMs: answer?.latencyMs ?? 0,
  };
}
