// Embeddings mode: packs texts from many records into one request, sends each distinct text at most once per
// model and checkpoint, stores vectors by the answer's `index`, isolates a text the server refuses by bisecting
// its pack, and sends a text whose vector came back unusable again (up to --max-retries).
import { ProviderError } from '../../errors.js';
import type { Job } from '../../input/record.js';
import type { TokenCounter } from '../../input/tokens.js';
import { isVectorProblem } from '../../provider/embeddings-answer.js';
import type { EmbeddingEncoding, ProviderResponse } from '../../provider/provider.js';
import { decodeVector, encodeVector, unitLength } from '../../vectors/float32.js';
import type { CommitBuffer } from '../commit-buffer.js';
import type { ProviderRequest, SendResult } from '../dispatch/request.js';
import { judgeFailure, type ServerIdentity } from '../failure-verdict.js';
import { backoffDelay, sleep } from '../retry.js';
import type { Settler } from '../settler.js';
import type { StopControl } from '../stops/stop-control.js';
import type { WorkTracker } from '../work-tracker.js';
import { manifestResponse } from './manifest.js';
import { type PackLimits, PackQueues, type PackQueue, type RecordWaiter, type TextSlot } from './pack-queues.js';
import { textsOf, vectorKey } from './vector-key.js';

/** The checkpoint as the packer sees it. */
export interface VectorStore {
  /** Which of these vector keys the checkpoint already holds, with their dimension. */
  storedVectors(keys: readonly string[]): Map<string, number>;
  /** The dimension vectors of this model already have in the checkpoint, if any. */
  storedDimension(model: string): number | undefined;
}

export interface PackerOptions {
  /** Texts per request now (the governor's batch size). */
  readonly packSize: () => number;
  readonly maxBatchTokens: number | undefined;
  readonly normalize: boolean;
  /** What pack requests ask for: 'base64' sends `encoding_format: "base64"` (smaller answers, no float parsing). */
  readonly encoding: EmbeddingEncoding;
  readonly maxRetries: number;
  /** Counts a text's tokens for --max-batch-tokens and --tpm: the tokenizer when the run loaded it. */
  readonly tokens: Pick<TokenCounter, 'countText'>;
  readonly random?: () => number;
}

export interface PackerParts {
  readonly vectors: VectorStore;
  readonly dispatcher: { send(request: ProviderRequest): Promise<SendResult> };
  readonly buffer: Pick<CommitBuffer, 'add' | 'flush'>;
  readonly settler: Pick<Settler, 'complete' | 'fail' | 'forget' | 'stopRun'>;
  readonly tracker: Pick<WorkTracker, 'track'>;
  readonly stops: Pick<StopControl, 'stopping' | 'stoppingSignal'>;
  readonly server: ServerIdentity;
}

/** Flush a partial pack this soon after its first text, so slow input does not hold texts back. */
const PARTIAL_PACK_MS = 25;
/** Texts queued across every partial pack before all are sent at once (many models or options in one input). */
const MAX_QUEUED_PACKS = 4;

export class EmbeddingPacker {
  private readonly queues = new PackQueues();
  private timer: NodeJS.Timeout | undefined;
  private readonly dims = new Map<string, number>();

  constructor(
    private readonly parts: PackerParts,
    private readonly options: PackerOptions,
  ) {}

  get queued(): number {
    return this.queues.queued;
  }

  /** Queues the texts of an intake batch's records, with one checkpoint lookup for all their vectors. */
  submitAll(jobs: readonly Job[]): void {
    const normalize = this.options.normalize;
    const keyed = jobs.map((job) => {
      const texts = textsOf(job.body);
      return { job, texts, keys: texts.map((text) => vectorKey(job.body, text, normalize)) };
    });
    const stored = this.parts.vectors.storedVectors(keyed.flatMap((entry) => entry.keys));
    for (const { job, texts, keys } of keyed) this.queueTexts(job, texts, keys, stored);
  }

  /** Sends everything queued (end of input); nothing once the run is stopping. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.parts.stops.stopping) return;
    const limits = this.limits();
    for (const queue of this.queues.drainAll()) {
      while (queue.pending.length > 0) this.sendPack(queue.params, this.queues.take(queue, limits));
    }
  }

  private queueTexts(job: Job, texts: readonly string[], keys: readonly string[], stored: ReadonlyMap<string, number>): void {
    const { input: _input, encoding_format: _encoding, ...params } = job.body;
    const waiter: RecordWaiter = { job, keys, remaining: 0, failed: false, shared: true };
    let queue: PackQueue | undefined;
    for (const [index, key] of keys.entries()) {
      if (stored.has(key)) continue;
      waiter.remaining++;
      const existing = this.queues.slots.get(key);
      if (existing !== undefined) {
        existing.waiters.push(waiter);
        continue;
      }
      waiter.shared = false;
      const text = texts[index] ?? '';
      queue = this.queues.enqueue(params, { key, text, tokens: this.options.tokens.countText(text), waiters: [waiter], retries: 0 });
    }
    if (waiter.remaining === 0) {
      const dim = stored.get(keys[0] ?? '') ?? 0;
      this.parts.settler.complete(job, manifestResponse(job, String(job.body['model'] ?? ''), keys, dim), 0, true);
      return;
    }
    if (queue !== undefined) this.sendFull(queue);
    if (this.queues.queued >= MAX_QUEUED_PACKS * this.options.packSize()) this.flush();
    if (this.queues.queued > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), PARTIAL_PACK_MS);
      this.timer.unref();
    }
  }

  private limits(): PackLimits {
    return { size: Math.max(1, this.options.packSize()), maxTokens: this.options.maxBatchTokens };
  }

  private sendFull(queue: PackQueue): void {
    if (this.parts.stops.stopping) return;
    const limits = this.limits();
    while (this.queues.full(queue, limits)) this.sendPack(queue.params, this.queues.take(queue, limits));
  }

  private sendPack(params: Readonly<Record<string, unknown>>, pack: TextSlot[]): void {
    if (pack.length > 0) this.parts.tracker.track(this.runPack(params, pack));
  }

  private async runPack(params: Readonly<Record<string, unknown>>, pack: TextSlot[]): Promise<void> {
    // The run's encoding decides the wire format, not the record: the stored blob is the same either way.
    const request: ProviderRequest = {
      endpoint: '/v1/embeddings',
      body: { ...params, ...(this.options.encoding === 'base64' ? { encoding_format: 'base64' } : {}), input: pack.map((slot) => slot.text) },
      estimatedTokens: pack.reduce((sum, slot) => sum + slot.tokens, 0),
    };
    const result = await this.parts.dispatcher.send(request);
    const model = String(params['model'] ?? '');
    if (result.ok) return this.accept(params, pack, model, result.response, result.attempts);
    const verdict = judgeFailure(result, this.parts.server);
    if (verdict.kind === 'forget') return this.abandon(pack);
    if (verdict.kind === 'stop-run') {
      this.abandon(pack, verdict.error);
      return;
    }
    if (result.error.scope === 'record' && result.error.status === 400 && pack.length > 1) {
      // One bad text must not fail its neighbours: bisect until it is alone (about log2(pack) extra requests).
      const middle = Math.ceil(pack.length / 2);
      await Promise.all([this.runPack(params, pack.slice(0, middle)), this.runPack(params, pack.slice(middle))]);
      return;
    }
    this.failSlots(pack, result.error, result.attempts, verdict.retryable);
  }

  /** Stores each vector by the answer's `index` and completes the records it finishes; unusable ones go again. */
  private async accept(params: Readonly<Record<string, unknown>>, pack: TextSlot[], model: string, response: ProviderResponse, attempts: number): Promise<void> {
    const vectors = response.vectors ?? [];
    const finished: RecordWaiter[] = [];
    const again: TextSlot[] = [];
    for (const [index, slot] of pack.entries()) {
      const vector = vectors[index];
      if (vector === undefined || isVectorProblem(vector)) {
        const problem = vector === undefined ? 'is missing' : vector.problem;
        const error = new ProviderError(`the embeddings answer's vector for index ${index} ${problem}`, { code: 'invalid_response', scope: 'retryable' });
        if (slot.retries < this.options.maxRetries) {
          slot.retries++;
          again.push(slot);
        } else {
          this.failSlots([slot], error, attempts + slot.retries, true);
        }
        continue;
      }
      const want = this.dimension(model);
      if (want !== undefined && vector.byteLength / 4 !== want) {
        const error = new ProviderError(`vector of dimension ${vector.byteLength / 4} where this checkpoint's ${model} vectors have ${want}`, {
          code: 'dimension_mismatch',
          scope: 'record',
        });
        // guards: a dimension the checkpoint refuses is no better on the next run: failed for good, not retryable.
        this.failSlots([slot], error, attempts, false);
        continue;
      }
      const dim = vector.byteLength / 4;
      if (!this.dims.has(model)) this.dims.set(model, dim);
      const data = this.options.normalize ? encodeVector(unitLength(decodeVector(vector))) : vector;
      this.parts.buffer.add({ kind: 'vector', key: slot.key, model, dim, data });
      this.queues.settled(slot);
      for (const waiter of slot.waiters) {
        waiter.remaining--;
        if (waiter.remaining === 0 && !waiter.failed) finished.push(waiter);
      }
    }
    const dim = this.dims.get(model) ?? 0;
    for (const waiter of finished) this.parts.settler.complete(waiter.job, manifestResponse(waiter.job, model, waiter.keys, dim, response), 0, waiter.shared);
    // In embeddings mode a pack is the unit of commit.
    this.parts.buffer.flush();
    if (again.length > 0) await this.retryTexts(params, again);
  }

  /** Texts whose vector was unusable go out again in a pack of their own, after a backoff. */
  private async retryTexts(params: Readonly<Record<string, unknown>>, slots: TextSlot[]): Promise<void> {
    const retries = Math.max(...slots.map((slot) => slot.retries));
    try {
      await sleep(backoffDelay(retries - 1, this.options.random), this.parts.stops.stoppingSignal);
    } catch {
      return this.abandon(slots);
    }
    if (this.parts.stops.stopping) return this.abandon(slots);
    await this.runPack(params, slots);
  }

  /** Every vector of a model has one dimension: the first one stored (in this run or an earlier one) sets it. */
  private dimension(model: string): number | undefined {
    if (!this.dims.has(model)) {
      const stored = this.parts.vectors.storedDimension(model);
      if (stored !== undefined) this.dims.set(model, stored);
    }
    return this.dims.get(model);
  }

  private failSlots(pack: readonly TextSlot[], error: ProviderError, attempts: number, retryable: boolean): void {
    for (const slot of pack) {
      this.queues.settled(slot);
      for (const waiter of slot.waiters) {
        if (waiter.failed) continue;
        waiter.failed = true;
        this.parts.settler.fail(waiter.job, error, attempts, retryable);
      }
    }
  }

  /** The pack's records will not finish in this run; with `fatal`, the run stops. */
  private abandon(pack: readonly TextSlot[], fatal?: unknown): void {
    for (const slot of pack) {
      this.queues.settled(slot);
      for (const waiter of slot.waiters) {
        if (waiter.failed) continue;
        waiter.failed = true;
        if (fatal === undefined) this.parts.settler.forget(waiter.job);
        else this.parts.settler.stopRun(fatal, waiter.job);
      }
    }
  }
}
