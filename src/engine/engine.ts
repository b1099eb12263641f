// The pipeline: read a bounded window of lines, plan each against the checkpoint, dispatch what must be sent,
// commit results batch by batch, and obey the memory governor. One Engine per run.
import { setMaxListeners } from 'node:events';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { Logger } from 'pino';
import { checkpointFailure, sqliteCode } from '../checkpoint/sqlite-failure.js';
import type { CheckpointStore, FailedOutcome, Outcome, RunCounters } from '../checkpoint/store.js';
import type { RunOptions } from '../config/run-options.js';
import { ExitCode, FatalError, type MemsafeError, ProviderError, errorMessage } from '../errors.js';
import type { InputSource } from '../input/open-input.js';
import { normaliseLine, type NormaliseOptions } from '../input/normalise.js';
import type { Job, ParsedLine } from '../input/record.js';
import type { Provider, ProviderResponse } from '../provider/provider.js';
import { CommitBuffer } from './commit-buffer.js';
import { Dispatcher, type DispatchStats, type SendResult } from './dispatcher.js';
import { breakerVerdict, breakerWaits, Governor, type GovernorState } from './governor.js';
import { MemoryWatch, readHeap } from './memory-watch.js';
import { cacheCandidates, idOf, planBatch, type Plan } from './planner.js';
import { AdaptiveConcurrency, ConcurrencyGate } from './adaptive-concurrency.js';
import { EmbeddingPacker } from './embedding-packer.js';
import { HeapTrim } from './heap-trim.js';
import { YOUNG_GENERATION_CAP_BYTES, YoungGenerationCap } from './young-generation-cap.js';
import { ServerPause, TokenBucket } from './rate-limit.js';
import { sleep } from './retry.js';
import { inShard } from './shard.js';

export type StopReason = 'breaker' | 'max-runtime' | 'SIGINT' | 'SIGTERM' | 'fatal';

export interface EngineSnapshot {
  readonly bytesRead: number;
  readonly done: number;
  readonly failed: number;
  readonly cached: number;
  readonly skipped: number;
  readonly rssBytes: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly state: GovernorState;
}

export interface EngineParts {
  readonly options: RunOptions;
  readonly store: CheckpointStore;
  readonly input: InputSource;
  readonly provider: Provider;
  readonly normalise: NormaliseOptions;
  readonly logger: Logger;
  readonly onProgress?: (snapshot: EngineSnapshot) => void;
  /** Collects garbage when the process exposes it (CAUTIOUS and breaker). */
  readonly gc?: (() => void) | undefined;
  /** Lets V8's young generation grow or holds it (young-generation-cap.ts); tests leave it out, so their own V8 is left alone. */
  readonly setYoungGenerationGrowth?: ((grow: boolean) => void) | undefined;
  readonly writeHeapSnapshot?: ((dir: string) => string) | undefined;
  /** Scrubs known secrets out of texts before they are logged or stored. */
  readonly redact: (text: string) => string;
  /** The options as the runs table keeps them (no secrets). */
  readonly recordedOptions: Record<string, unknown>;
}

export interface EngineControl {
  /** Graceful stop (SIGINT/SIGTERM): stop intake, let requests finish within the grace period, commit. */
  readonly stop: AbortSignal;
  /** Hard stop (second SIGINT, grace over): abort requests now, commit what finished. */
  readonly abort: AbortSignal;
}

export interface EngineResult {
  readonly status: 'done' | 'done-with-failures' | 'halted' | 'interrupted' | 'error';
  readonly exitCode: number;
  readonly counters: RunCounters;
  readonly stopReason: StopReason | undefined;
  readonly haltReason: string | null;
  readonly error: MemsafeError | undefined;
  readonly run: number;
  readonly initialRss: number;
  readonly finalRss: number;
  readonly elapsedMs: number;
  /** Models the run's requests named (for unloading them from Ollama). */
  readonly models: readonly string[];
}

/** Distinct models remembered per run: a handful in practice; the cap keeps a hostile input from growing it. */
const MAX_MODELS_REMEMBERED = 16;

/** How long in-flight requests may finish after a stop before they are aborted. */
const MAX_GRACE_MS = 10_000;

export class Engine {
  private readonly counters: RunCounters = {
    recordsRead: 0,
    done: 0,
    failed: 0,
    skipped: 0,
    requests: 0,
    cacheHits: 0,
    retries: 0,
    throttled: 0,
    peakRss: 0,
    breakerTrips: 0,
    breakerResets: 0,
  };
  private readonly stats: DispatchStats = { requests: 0, retries: 0, throttled: 0 };
  private readonly governor: Governor;
  private readonly watch: MemoryWatch;
  private readonly buffer: CommitBuffer;
  private readonly dispatcher: Dispatcher;
  /** Embeddings mode: texts of many records share one request. */
  private readonly packer: EmbeddingPacker | undefined;
  private readonly concurrency: AdaptiveConcurrency;
  private readonly gate: ConcurrencyGate;
  private readonly requests = new AbortController();
  /** Fired when the run starts to stop (any reason): no new request starts after it. */
  private readonly stopping = new AbortController();
  private readonly pendingIds = new Map<string, number>();
  /** Identical requests in flight share one call: followers wait for the leader's answer. */
  private readonly inFlightByHash = new Map<string, Promise<boolean>>();
  private readonly waiters: (() => void)[] = [];
  private readonly models = new Set<string>();
  private readonly heapTrim = new HeapTrim();
  private readonly youngGeneration: YoungGenerationCap | undefined;
  private active = 0;
  private lastRss = 0;
  private run = 0;
  private stopReason: StopReason | undefined;
  private haltReason: string | null = null;
  private fatal: MemsafeError | undefined;

  constructor(
    private readonly parts: EngineParts,
    private readonly control: EngineControl,
  ) {
    const o = parts.options;
    // Every request and every waiter listens on this signal; their number is bounded by --concurrency, not 10.
    setMaxListeners(0, this.requests.signal);
    this.governor = new Governor({
      warnBytes: o.warnMemoryBytes,
      maxBytes: o.maxMemoryBytes,
      batchSize: o.batchSize,
      minBatchSize: o.minBatchSize,
      concurrency: o.concurrency,
    });
    this.concurrency = new AdaptiveConcurrency({ ceiling: o.concurrency });
    this.gate = new ConcurrencyGate(this.concurrency);
    this.dispatcher = new Dispatcher({
      provider: parts.provider,
      maxRetries: o.maxRetries,
      gate: this.gate,
      concurrency: this.concurrency,
      pause: new ServerPause(),
      rpm: o.rpm === undefined ? undefined : new TokenBucket(o.rpm),
      tpm: o.tpm === undefined ? undefined : new TokenBucket(o.tpm),
      stats: this.stats,
      onRetry: (job, error, attempt, delayMs) =>
        parts.logger.debug({ id: job.id, line: job.line, code: error.code, attempt, delayMs }, `retrying: ${parts.redact(error.message)}`),
    });
    this.packer = o.mode === 'embeddings' ? this.createPacker() : undefined;
    this.buffer = new CommitBuffer(
      (outcomes) => this.write(outcomes),
      () => this.governor.batchSize(),
    );
    this.youngGeneration = parts.setYoungGenerationGrowth === undefined
      ? undefined
      : new YoungGenerationCap(YOUNG_GENERATION_CAP_BYTES, parts.setYoungGenerationGrowth);
    this.watch = new MemoryWatch(this.governor, {
      onReading: (rss, decision) => {
        this.lastRss = rss;
        if (decision.changed) this.onStateChange(decision.previous, decision.state, rss);
      },
      onHeap: (heap) => {
        this.trimHeap(heap.usedBytes);
        this.youngGeneration?.observe(heap.newSpaceBytes);
      },
      onSample: (sample) => {
        this.safely(() => this.parts.store.recordSample(this.run, { ...sample, ...this.gauges(), done: this.counters.done }));
      },
    });
  }

  async execute(): Promise<EngineResult> {
    const started = Date.now();
    const o = this.parts.options;
    const initialRss = process.memoryUsage.rss();
    this.lastRss = initialRss;
    this.run = this.parts.store.startRun({ mode: o.mode, input: o.input, options: this.parts.recordedOptions, initialRss });
    const onStop = () => this.requestStop(String(this.control.stop.reason ?? 'SIGINT') as StopReason);
    const onAbort = () => this.requests.abort(this.control.abort.reason);
    this.control.stop.addEventListener('abort', onStop, { once: true });
    this.control.abort.addEventListener('abort', onAbort, { once: true });
    const runtimeTimer =
      o.maxRuntimeMs === undefined ? undefined : setTimeout(() => this.requestStop('max-runtime'), o.maxRuntimeMs).unref();
    if (this.control.stop.aborted) onStop();
    this.watch.start();
    try {
      await this.readAll();
    } catch (error) {
      this.fail(error);
    } finally {
      await this.drain();
      this.watch.stop();
      if (runtimeTimer !== undefined) clearTimeout(runtimeTimer);
      this.control.stop.removeEventListener('abort', onStop);
      this.control.abort.removeEventListener('abort', onAbort);
      this.safely(() => this.buffer.flush());
      this.parts.input.close();
    }
    const finalRss = process.memoryUsage.rss();
    this.counters.peakRss = Math.max(this.governor.peakRss, finalRss, initialRss);
    const { status, exitCode } = this.outcome();
    return {
      status,
      exitCode,
      counters: this.snapshotCounters(),
      stopReason: this.stopReason,
      haltReason: this.haltReason,
      error: this.fatal,
      run: this.run,
      initialRss,
      finalRss,
      elapsedMs: Date.now() - started,
      models: [...this.models],
    };
  }

  private async readAll(): Promise<void> {
    const { limit, shard } = this.parts.options;
    let batch: ParsedLine[] = [];
    for await (const raw of this.parts.input.lines()) {
      if (this.stopReason !== undefined) break;
      const parsed = normaliseLine(raw, this.parts.normalise);
      if (!inShard(idOf(parsed).id, shard)) continue;
      batch.push(parsed);
      this.counters.recordsRead++;
      const atLimit = limit !== undefined && this.counters.recordsRead >= limit;
      if (batch.length >= this.governor.batchSize() || atLimit) {
        await this.intake(batch);
        batch = [];
      }
      if (atLimit) break;
    }
    if (batch.length > 0 && this.stopReason === undefined) await this.intake(batch);
    this.packer?.flush();
  }

  /** Plans one intake batch against the checkpoint and dispatches what must be sent. */
  private async intake(batch: readonly ParsedLine[]): Promise<void> {
    if (this.watch.check().state === 'BREAKER') await this.breakerPause();
    if (this.stopReason !== undefined) return; // not committed: the next run reads these lines again
    const store = this.parts.store;
    const { retryFailed, refreshOlderThanMs } = this.parts.options;
    const stored = store.lookup(batch.map((item) => idOf(item).id), refreshOlderThanMs !== undefined);
    const context = { run: this.run, now: Date.now(), retryFailed, refreshOlderThanMs, pendingIds: this.pendingIds };
    // Records that will be skipped need no cache lookup: on a resume that is almost every record.
    const cachedAt = store.cachedResponses(cacheCandidates(batch, stored, context));
    const plans = planBatch(batch, stored, cachedAt, context);
    const embed: Job[] = [];
    for (const plan of plans) {
      // Embeddings: the batch's texts go to the packer together (one vector lookup instead of one per record).
      if (plan.kind === 'send' && this.packer !== undefined) {
        this.rememberModel(plan.job);
        embed.push(plan.job);
      } else {
        this.apply(plan);
      }
    }
    if (embed.length > 0) this.packer?.submitAll(embed);
    this.progress();
    // Bounded window: never more than a slot per request in flight plus one batch waiting for a slot.
    // A stop ends the wait at once: on a hung server no slot may free before the grace period is over.
    while (this.stopReason === undefined && this.active >= Math.max(1, this.governor.concurrencyCeiling()) + this.governor.batchSize()) {
      await this.nextFinished();
    }
  }

  private apply(plan: Plan): void {
    switch (plan.kind) {
      case 'duplicate':
        this.counters.failed++;
        this.buffer.add({ kind: 'duplicate', id: plan.id, line: plan.line, firstLine: plan.firstLine });
        return;
      case 'bad':
        this.counters.failed++;
        this.buffer.add({
          kind: 'failed', id: plan.bad.id, line: plan.bad.line, endpoint: null, hash: null, code: plan.bad.code,
          message: plan.bad.message, httpStatus: null, retryable: false, attempts: 0, trimmed: false,
        });
        return;
      case 'skip':
        this.counters.skipped++;
        if (plan.status === 'failed') this.counters.failed++;
        this.buffer.add({ kind: 'seen', id: plan.id, line: plan.line });
        return;
      case 'cached':
        this.complete(plan.job, null, 0, true);
        return;
      case 'send':
        this.rememberModel(plan.job);
        this.track(this.send(plan.job));
        return;
    }
  }

  private async send(job: Job): Promise<void> {
    const leader = this.inFlightByHash.get(job.hash);
    if (leader !== undefined) {
      if (await leader) return this.complete(job, null, 0, true);
      if (this.stopReason !== undefined) return this.forget(job);
    }
    let settle!: (ok: boolean) => void;
    const mine = new Promise<boolean>((resolve) => (settle = resolve));
    this.inFlightByHash.set(job.hash, mine);
    let result: SendResult | undefined;
    try {
      result = await this.dispatcher.send(job, this.requests.signal, this.stopping.signal);
      // The slot is already free: let the requests that refill it go out before this answer is parsed and committed.
      await yieldToIo();
      this.settle(job, result);
    } finally {
      if (this.inFlightByHash.get(job.hash) === mine) this.inFlightByHash.delete(job.hash);
      settle(result?.ok === true);
    }
  }

  private settle(job: Job, result: SendResult): void {
    if (result.ok) return this.complete(job, result.response, result.attempts, false);
    const error = result.error;
    if (error.code === 'MS_ABORTED') return this.forget(job);
    if (error.scope === 'run') return this.fail(error, job);
    if (result.exhausted && error.code === 'MS_CONNECT_REFUSED') {
      return this.fail(
        new FatalError(`${this.parts.provider.baseUrl} refused the connection after ${result.attempts} attempts`, {
          code: 'MS_UNREACHABLE',
          cause: error,
          hint: this.parts.provider.name === 'ollama' ? 'Start Ollama (`ollama serve`) or pass --base-url / OLLAMA_HOST.' : 'Check --base-url and that the server is running.',
        }),
        job,
      );
    }
    this.counters.failed++;
    const outcome: FailedOutcome = {
      kind: 'failed', id: job.id, line: job.line, endpoint: job.endpoint, hash: job.hash, code: error.code,
      message: this.parts.redact(error.message), httpStatus: error.status ?? null, retryable: result.exhausted,
      attempts: result.attempts, trimmed: job.trimmed,
    };
    this.parts.logger.warn({ id: job.id, line: job.line, code: error.code, attempts: result.attempts }, `record failed: ${outcome.message}`);
    this.buffer.add(outcome);
  }

  private complete(job: Job, response: ProviderResponse | null, attempts: number, cached: boolean): void {
    this.counters.done++;
    if (cached) this.counters.cacheHits++;
    this.buffer.add({ kind: 'done', id: job.id, line: job.line, endpoint: job.endpoint, hash: job.hash, response, cached, attempts, trimmed: job.trimmed });
  }

  private rememberModel(job: Job): void {
    const model = job.body['model'];
    if (typeof model === 'string' && this.models.size < MAX_MODELS_REMEMBERED) this.models.add(model);
  }

  private createPacker(): EmbeddingPacker {
    const o = this.parts.options;
    return new EmbeddingPacker({
      packSize: () => this.governor.batchSize(),
      maxBatchTokens: o.maxBatchTokens,
      normalize: o.normalize,
      // base64 only when both the run and the provider allow it (Ollama's /api/embed has no encoding_format).
      encoding: o.embeddingEncoding === 'base64' ? this.parts.provider.embeddingEncoding : 'float',
      storedVectors: (keys) => this.parts.store.storedVectors(keys),
      storedDimension: (model) => this.parts.store.storedDimension(model),
      send: (job) => this.dispatcher.send(job, this.requests.signal, this.stopping.signal),
      track: (work) => this.track(work),
      add: (outcome) => this.buffer.add(outcome),
      commit: () => this.buffer.flush(),
      complete: (job, response, cached) => this.complete(job, response, 0, cached),
      fail: (job, error, exhausted, attempts) => this.settle(job, { ok: false, error, exhausted, attempts }),
      fatal: (error, job, exhausted, attempts) => this.settle(job, { ok: false, error, exhausted, attempts }),
      forget: (job) => this.forget(job),
      stopping: () => this.stopReason !== undefined,
    });
  }

  /** A job that will not finish in this run: it stays as it was in the checkpoint, for the next run. */
  private forget(job: Job): void {
    if (this.pendingIds.get(job.id) === job.line) this.pendingIds.delete(job.id);
  }

  private track(work: Promise<void>): void {
    this.active++;
    work
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.active--;
        this.wakeWaiters();
      });
  }

  private wakeWaiters(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async nextFinished(): Promise<void> {
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Waits for requests in flight; after the grace period (or a hard stop) aborts them. */
  private async drain(): Promise<void> {
    const graceMs = Math.min(this.parts.options.timeoutMs, MAX_GRACE_MS);
    const deadline = this.stopReason === undefined ? Number.POSITIVE_INFINITY : Date.now() + graceMs;
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(deadline)) timer = setTimeout(() => this.requests.abort(new Error('grace period over')), graceMs);
    try {
      while (this.active > 0) await this.nextFinished();
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** Breaker: stop intake, finish and commit in-flight work, collect garbage, re-sample with backoff; resume or halt. */
  private async breakerPause(): Promise<void> {
    const o = this.parts.options;
    const log = this.parts.logger;
    this.counters.breakerTrips++;
    const rssAtTrip = this.lastRss;
    this.event('breaker_trip', { rss: rssAtTrip, max: o.maxMemoryBytes });
    log.warn({ rss: rssAtTrip, maxMemory: o.maxMemoryBytes }, 'memory breaker tripped: intake stopped, finishing requests in flight');
    // Jobs queued for a slot are not sent while memory is over the limit; a halt forgets them for the next run.
    this.gate.hold();
    try {
      await this.finishInFlight(o.timeoutMs);
      await this.recoverOrHalt(rssAtTrip);
    } finally {
      this.gate.resume();
    }
  }

  /** Waits until no request is on the wire (queued jobs stay queued); aborts them after `timeoutMs`. */
  private async finishInFlight(timeoutMs: number): Promise<void> {
    const timer = setTimeout(() => this.requests.abort(new Error('breaker: in-flight requests over --timeout')), timeoutMs);
    try {
      while (this.gate.inFlight > 0) await this.nextFinished();
    } finally {
      clearTimeout(timer);
    }
  }

  /** After the breaker's requests finished: commit, collect garbage, re-sample with backoff; resume or halt. */
  private async recoverOrHalt(rssAtTrip: number): Promise<void> {
    const o = this.parts.options;
    const log = this.parts.logger;
    this.safely(() => this.buffer.flush());
    if (o.heapSnapshotDir !== undefined && this.parts.writeHeapSnapshot !== undefined) {
      const file = this.safely(() => this.parts.writeHeapSnapshot?.(o.heapSnapshotDir as string));
      if (file !== undefined) log.warn({ file }, 'heap snapshot written');
    }
    for (const waitMs of breakerWaits(o.breakerWaitMs)) {
      this.parts.gc?.();
      try {
        await sleep(waitMs, this.control.stop);
      } catch {
        return; // a signal arrived: the stop path takes over
      }
      const rss = process.memoryUsage.rss();
      this.lastRss = rss;
      if (breakerVerdict(rss, o.warnMemoryBytes) === 'resume') {
        this.governor.resetBreaker();
        this.counters.breakerResets++;
        this.event('breaker_reset', { rss });
        log.info({ rss }, 'memory fell below --warn-memory: resuming at the minimum batch size');
        return;
      }
    }
    this.haltReason = `memory stayed above --warn-memory (${this.lastRss} bytes RSS) after the breaker tripped at ${rssAtTrip} bytes (--max-memory ${o.maxMemoryBytes})`;
    this.event('breaker_halt', { rss: this.lastRss });
    this.requestStop('breaker');
  }

  /** A full GC when the heap has doubled over its live size (see heap-trim.ts). */
  private trimHeap(heapUsed: number): void {
    const gc = this.parts.gc;
    if (gc === undefined || !this.heapTrim.due(heapUsed)) return;
    gc();
    this.heapTrim.collected(readHeap().usedBytes);
  }

  private onStateChange(previous: GovernorState, state: GovernorState, rss: number): void {
    this.concurrency.setCeiling(Math.max(1, this.governor.concurrencyCeiling()));
    this.gate.notify();
    this.event('state', { from: previous, to: state, rss });
    this.parts.logger.info({ from: previous, to: state, rss, batchSize: this.governor.batchSize() }, `memory governor: ${state}`);
    if (state === 'CAUTIOUS') this.parts.gc?.();
  }

  private requestStop(reason: StopReason): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.stopping.abort(reason);
    this.wakeWaiters();
    if (reason === 'max-runtime') this.haltReason = `--max-runtime of ${this.parts.options.maxRuntimeMs} ms reached`;
    this.event('stop', { reason });
    this.parts.logger.info({ reason }, 'stopping: no new records; finishing requests in flight');
  }

  private fail(error: unknown, job?: Job): void {
    if (this.fatal !== undefined) return;
    this.fatal =
      error instanceof ProviderError || error instanceof FatalError || isMemsafeError(error)
        ? (error as MemsafeError)
        : sqliteCode(error) !== undefined
          ? checkpointFailure(this.parts.store.file, error, 'use', 'MS_CHECKPOINT')
          : new FatalError(`run failed: ${errorMessage(error)}`, { code: 'MS_INTERNAL', cause: error });
    if (job !== undefined) this.forget(job);
    this.stopReason = 'fatal';
    this.requests.abort(this.fatal);
    this.event('fatal', { code: this.fatal.code, message: this.parts.redact(this.fatal.message) });
  }

  private write(outcomes: readonly Outcome[]): void {
    try {
      this.syncStats();
      this.parts.store.commit(this.run, outcomes, this.snapshotCounters());
    } catch (error) {
      this.fail(checkpointFailure(this.parts.store.file, error, 'write', 'MS_CHECKPOINT_WRITE'));
      return;
    }
    for (const outcome of outcomes) {
      if (outcome.kind !== 'vector' && this.pendingIds.get(outcome.id) === outcome.line) this.pendingIds.delete(outcome.id);
    }
    this.progress();
  }

  private outcome(): { status: EngineResult['status']; exitCode: number } {
    if (this.fatal !== undefined) return { status: 'error', exitCode: this.fatal.exitCode };
    switch (this.stopReason) {
      case 'SIGINT':
        return { status: 'interrupted', exitCode: ExitCode.sigint };
      case 'SIGTERM':
        return { status: 'interrupted', exitCode: ExitCode.sigterm };
      case 'breaker':
      case 'max-runtime':
        return { status: 'halted', exitCode: ExitCode.halted };
      default:
        return this.counters.failed > 0 ? { status: 'done-with-failures', exitCode: ExitCode.someFailed } : { status: 'done', exitCode: ExitCode.ok };
    }
  }

  private progress(): void {
    this.parts.onProgress?.({
      bytesRead: this.parts.input.bytesRead(),
      done: this.counters.done,
      failed: this.counters.failed,
      cached: this.counters.cacheHits,
      skipped: this.counters.skipped,
      rssBytes: this.lastRss,
      ...this.gauges(),
    });
  }

  private gauges(): { batchSize: number; concurrency: number; state: GovernorState } {
    return { batchSize: this.governor.batchSize(), concurrency: this.concurrency.limit, state: this.governor.state };
  }

  private syncStats(): void {
    this.counters.requests = this.stats.requests;
    this.counters.retries = this.stats.retries;
    this.counters.throttled = this.stats.throttled;
    this.counters.peakRss = Math.max(this.counters.peakRss, this.governor.peakRss);
  }

  private snapshotCounters(): RunCounters {
    this.syncStats();
    return { ...this.counters };
  }

  private event(kind: string, detail: Record<string, unknown>): void {
    this.safely(() => this.parts.store.recordEvent(this.run, kind, detail));
  }

  /** Bookkeeping must never take the run down from a timer; a failing checkpoint write ends the run instead. */
  private safely<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      this.fail(error);
      return undefined;
    }
  }
}

function isMemsafeError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'exitCode' in error && 'code' in error;
}
