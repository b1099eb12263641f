// The run's coordinator: read -> plan -> send (chat: dedup + dispatcher; embeddings: the packer) -> settle ->
// commit, under the memory governor. Each stage and each stop cause is its own piece; this file wires them
// and reads as the sequence of steps. One Engine per run.
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { MemoryAdmission } from '../admission/memory-admission.js';
import { checkpointFailure } from '../checkpoint/sqlite-failure.js';
import type { Outcome } from '../checkpoint/store.js';
import type { Job, ParsedLine } from '../input/record.js';
import type { Provider } from '../provider/provider.js';
import { CommitBuffer } from './commit-buffer.js';
import { InflightDedup } from './dispatch/inflight-dedup.js';
import type { ProviderRequest } from './dispatch/request.js';
import { EmbeddingPacker } from './embeddings/packer.js';
import type { EngineControl, EngineParts, EngineResult, EngineSnapshot } from './engine-types.js';
import { IntakePlanner } from './intake-planner.js';
import { LearnedStateWriter } from './learned-state-writer.js';
import { MemoryControl } from './memory-control.js';
import { assemblePools } from './pool-assembly.js';
import type { RoutePools } from './route-pools.js';
import { recordExpansion } from './record-expansion.js';
import { readRecords } from './record-reader.js';
import { runOutcome } from './run-outcome.js';
import { RunStats } from './run-stats.js';
import { Settler } from './settler.js';
import { Breaker } from './stops/breaker.js';
import { FatalStop } from './stops/fatal.js';
import { armMaxRuntime } from './stops/max-runtime.js';
import { bindStopSignals } from './stops/signal-stop.js';
import { StopControl } from './stops/stop-control.js';
import { WorkTracker } from './work-tracker.js';

export type { EngineControl, EngineParts, EngineResult, EngineSnapshot, StopReason } from './engine-types.js';

/** Distinct models remembered per run: a handful in practice; the cap keeps a hostile input from growing it. */
const MAX_MODELS_REMEMBERED = 16;
/** How long in-flight requests may finish after a stop before they are aborted. */
const MAX_GRACE_MS = 10_000;

export class Engine {
  private readonly stats = new RunStats();
  private readonly stops = new StopControl();
  private readonly fatal: FatalStop;
  private readonly tracker: WorkTracker;
  private readonly pools: RoutePools;
  private readonly memory: MemoryControl;
  private readonly admission: MemoryAdmission;
  private readonly learned: LearnedStateWriter;
  private readonly buffer: CommitBuffer;
  private readonly dedup = new InflightDedup();
  private readonly models = new Set<string>();
  private run = 0;
  // Set once the run row exists (execute): they need its id.
  private planner!: IntakePlanner;
  private settler!: Settler;
  private breaker!: Breaker;
  private packer: EmbeddingPacker | undefined;

  constructor(
    private readonly parts: EngineParts,
    private readonly control: EngineControl,
  ) {
    const o = parts.options;
    this.fatal = new FatalStop(this.stops, parts.store.file, (error) =>
      this.event('fatal', { code: error.code, message: parts.redact(error.message) }),
    );
    this.tracker = new WorkTracker((error) => this.fatal.fail(error));
    this.admission = new MemoryAdmission({
      maxInflightBytes: o.maxInflightBytes,
      maxMemoryBytes: o.maxMemoryBytes,
      readRss: () => process.memoryUsage.rss(),
      maxResponseBytes: o.maxResponseBytes,
      concurrency: o.concurrency,
    });
    // A fresh worker starts from what the last one learned (lower after an OOM kill), not at the ceiling.
    const learned = parts.store.readLearned();
    this.admission.restore(learned?.sizes);
    this.pools = assemblePools({
      parts, stops: this.stops, stats: this.stats, admission: this.admission, learnedConcurrency: learned?.concurrency, onRetryWait: () => this.tracker.wake(),
    });
    const totalCeiling = this.pools.totalCeiling;
    this.learned = new LearnedStateWriter(parts.store, this.pools, this.admission);
    this.memory = new MemoryControl({
      limits: { warnBytes: o.warnMemoryBytes, maxBytes: o.maxMemoryBytes, batchSize: o.batchSize, minBatchSize: o.minBatchSize, concurrency: totalCeiling },
      pools: this.pools,
      logger: parts.logger,
      gc: parts.gc,
      setYoungGenerationGrowth: parts.setYoungGenerationGrowth,
      event: (kind, detail) => this.event(kind, detail),
      onSample: (sample) => this.safely(() => parts.store.recordSample(this.run, { ...sample, ...this.gauges(), done: this.stats.done })),
    });
    this.buffer = new CommitBuffer(
      (outcomes) => this.write(outcomes),
      () => this.memory.batchSize(),
    );
  }

  async execute(): Promise<EngineResult> {
    const started = Date.now();
    const { options: o, store, logger } = this.parts;
    const initialRss = process.memoryUsage.rss();
    this.run = store.startRun({ mode: o.mode, input: o.input, options: this.parts.recordedOptions, initialRss });
    this.assembleStages();
    let graceTimer: NodeJS.Timeout | undefined;
    this.stops.onStop((reason) => {
      this.event('stop', { reason });
      logger.info({ reason }, 'stopping: no new records; finishing requests in flight');
      this.tracker.wake();
      const graceMs = Math.min(o.timeoutMs, MAX_GRACE_MS);
      graceTimer = setTimeout(() => this.stops.abortRequests(new Error('grace period over')), graceMs);
    });
    const unbindSignals = bindStopSignals(this.stops, this.control);
    const disarmRuntime = armMaxRuntime(this.stops, o.maxRuntimeMs);
    this.memory.start();
    try {
      await this.readAll();
    } catch (error) {
      this.fatal.fail(error);
    } finally {
      await this.tracker.drain(undefined, () => undefined);
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      this.memory.stop();
      disarmRuntime();
      unbindSignals();
      this.safely(() => this.buffer.flush());
      this.safely(() => this.learned.write());
      this.parts.input.close();
    }
    const finalRss = process.memoryUsage.rss();
    this.stats.notePeak(Math.max(this.memory.peakRss, finalRss, initialRss));
    const { status, exitCode } = runOutcome(this.fatal.error, this.stops.reason, this.stats.failed);
    return {
      status,
      exitCode,
      counters: this.stats.snapshot(),
      stopReason: this.stops.reason,
      haltReason: this.stops.haltReason,
      error: this.fatal.error,
      run: this.run,
      initialRss,
      finalRss,
      elapsedMs: Date.now() - started,
      inflightPeakBytes: this.admission.peakBytes,
      models: [...this.models],
    };
  }

  /** The stages that need the run's id: planner, settler, breaker, packer. */
  private assembleStages(): void {
    const { options: o, store, logger, redact, cost } = this.parts;
    this.planner = new IntakePlanner(store, { run: this.run, retryFailed: o.retryFailed, refreshOlderThanMs: o.refreshOlderThanMs });
    const serverOf = (job: Pick<Job, 'line' | 'body'>) => identity(this.pools.forJob(job).provider);
    this.settler = new Settler({ buffer: this.buffer, stats: this.stats, planner: this.planner, fatal: this.fatal, serverOf, cost, logger, redact });
    this.breaker = new Breaker({
      options: o,
      memory: this.memory,
      gate: this.pools,
      tracker: this.tracker,
      stops: this.stops,
      stats: this.stats,
      logger,
      commit: () => this.safely(() => this.buffer.flush()),
      event: (kind, detail) => this.event(kind, detail),
      writeHeapSnapshot: this.parts.writeHeapSnapshot === undefined ? undefined : (dir) => this.safely(() => this.parts.writeHeapSnapshot?.(dir)),
    });
    if (o.mode !== 'embeddings') return;
    // base64 only when both the run and the provider allow it (Ollama's /api/embed has no encoding_format).
    const primary = this.pools.primary.provider;
    const packEncoding = o.embeddingEncoding === 'base64' ? primary.embeddingEncoding : 'float';
    // A pack goes to the pool of its model (every text of a pack asks for the same model).
    const dispatcher = { send: (request: ProviderRequest) => this.pools.forJob({ line: 0, body: request.body }).dispatcher.send(request) };
    this.packer = new EmbeddingPacker(
      { vectors: store, dispatcher, buffer: this.buffer, settler: this.settler, tracker: this.tracker, stops: this.stops, server: identity(primary) },
      {
        // Texts per request: the governor's batch, fewer once the dimension shows one answer would not fit the budget.
        packSize: (model) => Math.min(this.memory.batchSize(), this.admission.packSize(model, packEncoding, this.memory.batchSize())),
        onDimension: (model, dim) => this.admission.noteDimension(model, dim),
        maxBatchTokens: o.maxBatchTokens,
        normalize: o.normalize,
        encoding: packEncoding,
        maxRetries: o.maxRetries,
        tokens: this.parts.normalise.tokenCounter,
      },
    );
  }

  /** Reads this shard's records batch by batch until the input ends, the limit is reached or the run stops. */
  private async readAll(): Promise<void> {
    const { input, normalise, options } = this.parts;
    let batch: ParsedLine[] = [];
    const expand = recordExpansion({ models: options.models, router: options.routes === undefined ? undefined : this.pools.router, cost: this.parts.cost });
    for await (const parsed of readRecords(input, normalise, { shard: options.shard, limit: options.limit, expand })) {
      if (this.stops.stopping) break;
      batch.push(parsed);
      this.stats.recordsRead++;
      if (batch.length >= this.memory.batchSize()) {
        await this.intake(batch);
        batch = [];
      }
    }
    if (batch.length > 0 && !this.stops.stopping) await this.intake(batch);
    this.packer?.flush();
    await this.breaker.guardDrain();
  }

  /** Plans one intake batch against the checkpoint and sends what must be sent. */
  private async intake(batch: readonly ParsedLine[]): Promise<void> {
    if (this.memory.check() === 'BREAKER') await this.breaker.trip();
    if (this.stops.stopping) return; // not committed: the next run reads these lines again
    const embed: Job[] = [];
    const plans = this.planner.plan(batch);
    // What the cache hits saved: the stored answers' usage, in one lookup for the batch.
    const cachedHashes = plans.flatMap((plan) => (plan.kind === 'cached' ? [plan.job.hash] : []));
    const cachedUsage = cachedHashes.length === 0 ? undefined : this.parts.store.cachedUsage(cachedHashes);
    for (const plan of plans) {
      if (plan.kind !== 'send') {
        this.settler.apply(plan, cachedUsage);
        continue;
      }
      this.rememberModel(plan.job);
      // Embeddings: the batch's texts go to the packer together (one vector lookup instead of one per record).
      if (this.packer !== undefined) embed.push(plan.job);
      else this.tracker.track(this.sendChat(plan.job));
    }
    if (embed.length > 0) this.packer?.submitAll(embed);
    this.progress();
    // Bounded window: a slot per request in flight plus one batch waiting for a slot. Records waiting out a retry
    // delay hold no slot: up to a window's worth more of them may wait (5% shed with Retry-After: 1 filled the
    // window with waits and halved the rate). A stop ends the wait at once: on a hung server no slot may free.
    for (;;) {
      const window = Math.max(1, this.memory.governor.ceilingFor(this.pools.totalCeiling)) + this.memory.batchSize();
      if (this.stops.stopping || this.tracker.active - Math.min(this.stats.waitingRetries, window) < window) break;
      await this.tracker.nextFinished();
    }
  }

  /** One chat record: identical requests in flight share one call; the leader settles before followers complete. */
  private async sendChat(job: Job): Promise<void> {
    const shared = await this.dedup.share(job.hash, async () => {
      const result = await this.pools.forJob(job).dispatcher.send(job);
      // The slot is already free: let the requests that refill it go out before this answer is parsed and committed.
      await yieldToIo();
      this.settler.settle(job, result);
      return result.ok;
    });
    if (shared === 'followed') this.settler.complete(job, null, 0, true);
  }

  private rememberModel(job: Job): void {
    const model = job.body['model'];
    if (typeof model === 'string' && this.models.size < MAX_MODELS_REMEMBERED) this.models.add(model);
  }

  private write(outcomes: readonly Outcome[]): void {
    try {
      this.stats.notePeak(this.memory.peakRss);
      this.parts.store.commit(this.run, outcomes, this.stats.snapshot());
    } catch (error) {
      this.fatal.fail(checkpointFailure(this.parts.store.file, error, 'write', 'MS_CHECKPOINT_WRITE'));
      return;
    }
    this.settler.committed(outcomes);
    this.safely(() => this.learned.maybeWrite());
    this.progress();
  }

  private progress(): void {
    const snapshot: EngineSnapshot = {
      bytesRead: this.parts.input.bytesRead(),
      done: this.stats.done,
      failed: this.stats.failed,
      cached: this.stats.cacheHits,
      skipped: this.stats.skipped,
      rssBytes: this.memory.lastRss,
      inflightBytes: this.admission.reservedBytes,
      learnedRateRps: this.stats.learnedRateRps,
      refusedShare: this.stats.refusedShare,
      ...this.gauges(),
    };
    this.parts.onProgress?.(snapshot);
  }

  private gauges(): Pick<EngineSnapshot, 'batchSize' | 'concurrency' | 'state'> {
    return { batchSize: this.memory.batchSize(), concurrency: this.pools.limit, state: this.memory.state };
  }

  private event(kind: string, detail: Record<string, unknown>): void {
    this.safely(() => this.parts.store.recordEvent(this.run, kind, detail));
  }

  /** Bookkeeping must never take the run down from a timer; a failing checkpoint write ends the run instead. */
  private safely<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      this.fatal.fail(error);
      return undefined;
    }
  }
}

function identity(provider: Provider): { name: string; baseUrl: string } {
  return { name: provider.name, baseUrl: provider.baseUrl };
}
