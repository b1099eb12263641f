// Embeddings mode: packs texts from many records into one request, sends each distinct text at most once per
// model and checkpoint, matches answers by `index`, and isolates a text the server refuses by bisecting its pack.
import { createHash } from 'node:crypto';
import { decodeVector, encodeVector, type EmbeddingManifest, MANIFEST_OBJECT } from '../checkpoint/embedding-manifest.js';
import type { Outcome } from '../checkpoint/store.js';
import { ProviderError } from '../errors.js';
import { canonicalJson } from '../input/request-hash.js';
import type { Job } from '../input/record.js';
import type { EmbeddingEncoding, ProviderResponse } from '../provider/provider.js';
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
  /** What pack requests ask for: 'base64' sends `encoding_format: "base64"` (smaller answers, no float parsing). */
  readonly encoding: EmbeddingEncoding;
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

/**
 * Texts that may share one request: their records ask for the same model and options (everything in the body but
 * `input`), so one pack never embeds a text under another record's model or `dimensions`.
 */
interface PackQueue {
  /** The request body without `input`. */
  readonly params: Readonly<Record<string, unknown>>;
  pending: TextSlot[];
  tokens: number;
}

/** Flush a partial pack this soon after its first text, so slow input does not hold texts back. */
const PARTIAL_PACK_MS = 25;
/** Texts queued across every partial pack before all are sent at once (many models or options in one input). */
const MAX_QUEUED_PACKS = 4;

export class EmbeddingPacker {
  private readonly slots = new Map<string, TextSlot>();
  private readonly queues = new Map<string, PackQueue>();
  private queuedTexts = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly dims = new Map<string, number>();

  constructor(private readonly host: PackerHost) {}

  /** Texts queued but not yet sent. */
  get queued(): number {
    return this.queuedTexts;
  }

  /** Queues the texts of an intake batch's records, with one checkpoint lookup for all their vectors. */
  submitAll(jobs: readonly Job[]): void {
    const keyed = jobs.map((job) => {
      const input = job.body['input'];
      const texts = Array.isArray(input) ? (input as string[]) : [String(input)];
      return { job, texts, keys: texts.map((text) => vectorKey(job.body, text, this.host.normalize)) };
    });
    const stored = this.host.storedVectors(keyed.flatMap((entry) => entry.keys));
    for (const { job, texts, keys } of keyed) this.queueTexts(job, texts, keys, stored);
  }

  private queueTexts(job: Job, texts: readonly string[], keys: readonly string[], stored: ReadonlyMap<string, number>): void {
    const model = String(job.body['model'] ?? '');
    const { input: _input, encoding_format: _encoding, ...params } = job.body;
    const waiter: RecordWaiter = { job, keys, remaining: 0, failed: false, shared: true };
    let queue: PackQueue | undefined;
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
      queue ??= this.queueFor(params);
      queue.pending.push(slot);
      queue.tokens += slot.tokens;
      this.queuedTexts++;
    }
    if (waiter.remaining === 0) {
      const dim = stored.get(keys[0] ?? '') ?? 0;
      this.host.complete(job, manifestResponse(job, model, keys, dim), true);
      return;
    }
    if (queue !== undefined) this.flushFull(queue);
    if (this.queuedTexts >= MAX_QUEUED_PACKS * this.host.packSize()) this.flush();
    if (this.queuedTexts > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), PARTIAL_PACK_MS);
      this.timer.unref();
    }
  }

  /** Sends everything queued (end of input); nothing once the run is stopping. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.host.stopping()) return;
    for (const queue of this.queues.values()) {
      while (queue.pending.length > 0) this.sendPack(queue, this.takePack(queue));
    }
    this.queues.clear();
  }

  private queueFor(params: Record<string, unknown>): PackQueue {
    const identity = canonicalJson(params);
    let queue = this.queues.get(identity);
    if (queue === undefined) {
      queue = { params, pending: [], tokens: 0 };
      this.queues.set(identity, queue);
    }
    return queue;
  }

  private flushFull(queue: PackQueue): void {
    if (this.host.stopping()) return;
    const limit = this.host.maxBatchTokens;
    while (queue.pending.length >= this.host.packSize() || (limit !== undefined && queue.tokens >= limit)) {
      this.sendPack(queue, this.takePack(queue));
    }
  }

  private takePack(queue: PackQueue): TextSlot[] {
    const size = this.host.packSize();
    const limit = this.host.maxBatchTokens;
    let count = 0;
    let tokens = 0;
    while (count < queue.pending.length && count < size) {
      const next = queue.pending[count]?.tokens ?? 0;
      if (limit !== undefined && count > 0 && tokens + next > limit) break;
      tokens += next;
      count++;
    }
    const pack = queue.pending.slice(0, count);
    queue.pending = queue.pending.slice(count);
    queue.tokens -= tokens;
    this.queuedTexts -= count;
    return pack;
  }

  private sendPack(queue: PackQueue, pack: TextSlot[]): void {
    if (pack.length === 0) return;
    this.host.track(this.runPack(queue.params, pack));
  }

  private async runPack(params: Readonly<Record<string, unknown>>, pack: TextSlot[]): Promise<void> {
    const first = pack[0]?.waiters[0]?.job;
    if (first === undefined) return;
    // The run's encoding decides the wire format, not the record: the stored blob is the same either way.
    const body = {
      ...params,
      ...(this.host.encoding === 'base64' ? { encoding_format: 'base64' } : {}),
      input: pack.map((slot) => slot.text),
    };
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
    if (result.ok) return this.accept(pack, String(params['model'] ?? ''), result.response, result.attempts);
    const error = result.error;
    if (error.code === 'MS_ABORTED') return this.abandon(pack);
    if (error.scope === 'record' && error.status === 400 && pack.length > 1) {
      // One bad text must not fail its neighbours: bisect until it is alone (about log2(pack) extra requests).
      const middle = Math.ceil(pack.length / 2);
      await Promise.all([this.runPack(params, pack.slice(0, middle)), this.runPack(params, pack.slice(middle))]);
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
    const vectors = embeddingsByIndex(response.json ?? parseJson(response.bodyText));
    const finished: RecordWaiter[] = [];
    for (const [index, slot] of pack.entries()) {
      const vector = vectors?.get(index);
      const want = this.dimension(model);
      let problem: ProviderError | undefined;
      if (vector === undefined) {
        problem = new ProviderError(`the embeddings answer has no vector for index ${index}`, { code: 'invalid_response', scope: 'retryable' });
      } else if (!Buffer.isBuffer(vector)) {
        problem = new ProviderError(`the embeddings answer's vector for index ${index} ${vector.problem}`, { code: 'invalid_response', scope: 'retryable' });
      } else if (want !== undefined && vector.byteLength / 4 !== want) {
        problem = new ProviderError(`vector of dimension ${vector.byteLength / 4} where this checkpoint's ${model} vectors have ${want}`, {
          code: 'dimension_mismatch',
          scope: 'record',
        });
      }
      if (problem !== undefined || !Buffer.isBuffer(vector)) {
        this.failSlots([slot], problem as ProviderError, true, attempts);
        continue;
      }
      const dim = vector.byteLength / 4;
      if (!this.dims.has(model)) this.dims.set(model, dim);
      const data = this.host.normalize ? encodeVector(unitLength(decodeVector(vector))) : vector;
      this.host.add({ kind: 'vector', key: slot.key, model, dim, data });
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

/** Body fields that do not change a vector: the texts, their wire format, and the end-user tag. */
const NOT_VECTOR_OPTIONS = new Set(['input', 'encoding_format', 'user', 'model', 'dimensions']);

/**
 * A text's identity for dedup: the same text under the same model and vector options is the same vector.
 * Other body fields (e.g. `input_type` of query/document models behind a gateway) join the key only when
 * present, so the keys of plain records stay as earlier versions wrote them.
 */
export function vectorKey(body: Record<string, unknown>, text: string, normalize: boolean): string {
  const options = Object.entries(body).filter(([name]) => !NOT_VECTOR_OPTIONS.has(name));
  const identity = {
    model: body['model'] ?? null,
    dimensions: body['dimensions'] ?? null,
    normalize,
    text,
    ...(options.length === 0 ? {} : { options: Object.fromEntries(options) }),
  };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/** Why an answer's vector cannot be stored (completes "the vector for index N ..."). */
export interface Unusable {
  readonly problem: string;
}

/** The `data` of a parsed OpenAI embeddings list, by `index`: each vector as its stored blob, or why not. */
export function embeddingsByIndex(body: unknown): Map<number, Buffer | Unusable> | undefined {
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) return undefined;
  const byIndex = new Map<number, Buffer | Unusable>();
  for (const [position, item] of data.entries()) {
    const entry = (item ?? {}) as { index?: unknown; embedding?: unknown };
    byIndex.set(typeof entry.index === 'number' ? entry.index : position, vectorBlob(entry.embedding));
  }
  return byIndex;
}

/** One `embedding` (base64 or numbers) as a float32 little-endian blob, as the checkpoint stores it. */
export function vectorBlob(embedding: unknown): Buffer | Unusable {
  if (typeof embedding === 'string') {
    // OpenAI's base64 is the vector's little-endian float32 bytes: already the stored blob, on any host.
    const blob = Buffer.from(embedding, 'base64');
    if (blob.byteLength === 0 || blob.byteLength % 4 !== 0) {
      return { problem: `is ${blob.byteLength} bytes of base64, not a whole number of float32 values` };
    }
    const bad = nonFiniteAt(blob);
    if (bad !== undefined) return { problem: `holds a NaN or infinite value at position ${bad}` };
    return blob;
  }
  if (Array.isArray(embedding) && embedding.length > 0 && embedding.every((value) => typeof value === 'number')) return encodeVector(embedding);
  return { problem: 'is neither a base64 string nor a non-empty array of numbers' };
}

/**
 * JSON cannot carry NaN or Infinity; raw bytes can, and they must not pass where numbers would not.
 * Reads the exponent bits (all ones: NaN or ±Infinity) straight from the LE bytes: 7x faster than readFloatLE.
 */
function nonFiniteAt(blob: Buffer): number | undefined {
  for (let high = 3; high < blob.length; high += 4) {
    if (((blob[high] ?? 0) & 0x7f) === 0x7f && ((blob[high - 1] ?? 0) & 0x80) !== 0) return (high - 3) / 4;
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
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
