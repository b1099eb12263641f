// `--via batch`: a run of the batch pipeline (not the live engine). Opens the checkpoint and the Files + Batches
// client, runs the cycle (batch-cycle.ts), records the run and prints the usual summary. Exit 75 while any batch
// is pending (cron runs the same command again), 0 or 3 once every record has settled.
import fs from 'node:fs';
import path from 'node:path';
import { BatchTable } from '../checkpoint/batch-batches.js';
import { BatchChunks } from '../checkpoint/batch-chunks.js';
import { BatchSends } from '../checkpoint/batch-sends.js';
import { CheckpointStore, type RunCounters } from '../checkpoint/store.js';
import { publicOptions, type RunOptions } from '../config/run-options.js';
import { batchCostSummary } from '../cost/batch-saving.js';
import { CostTracker } from '../cost/cost-tracker.js';
import { PriceBook } from '../cost/price-table.js';
import { ExitCode, MemsafeError, ProviderError, errorMessage } from '../errors.js';
import { openInput, type InputSource } from '../input/open-input.js';
import { MODE_ENDPOINT, type NormalizeOptions } from '../input/normalize.js';
import { watchStopSignals } from '../cli/signals.js';
import type { RunLogger } from '../ui/logger.js';
import type { formatSummary, summaryJson } from '../ui/summary.js';
import { anthropicRequestLine } from './anthropic-lines.js';
import { createBatchProgress } from './batch-progress.js';
import { newTally } from './batch-settle.js';
import { openBatchClient } from './batch-target.js';
import { createBodyBytes } from '../provider/anthropic-batch-client.js';
import { budgetHint, openBatchSpend } from './batch-spend.js';
import { ChunkWriter } from './chunk-writer.js';
import { runCycles } from './batch-cycle.js';

/** What runBatchJob needs of run-job.ts's tools (a structural subset). */
export interface BatchTools {
  readonly log: RunLogger;
  readonly redact: (text: string) => string;
  readonly formatSummary: typeof formatSummary;
  readonly summaryJson: typeof summaryJson;
  /** Full GC (run-job's tuneV8): between batch files, so the heap does not drift up with the job's size. */
  readonly gc?: (() => void) | undefined;
  readonly setYoungGenerationGrowth?: (grow: boolean) => void;
}

export async function runBatchJob(options: RunOptions, input: InputSource, normalise: NormalizeOptions, tools: BatchTools): Promise<number> {
  const logger = tools.log.logger;
  const started = Date.now();
  const signals = watchStopSignals((name) => logger.warn({ signal: name }, `${name}: stopping after the current step`));
  const store = CheckpointStore.open(options.db);
  let target: Awaited<ReturnType<typeof openBatchClient>> | undefined;
  const counters: RunCounters = { recordsRead: 0, done: 0, failed: 0, skipped: 0, requests: 0, cacheHits: 0, retries: 0, throttled: 0, peakRss: process.memoryUsage.rss(), breakerTrips: 0, breakerResets: 0, rateLimited: 0, backpressure: 0, learnedRateRps: null, heldMs: 0 };
  const initialRss = counters.peakRss;
  let run: number | undefined;
  let cost: Priced | undefined;
  const peak = setInterval(() => (counters.peakRss = Math.max(counters.peakRss, process.memoryUsage.rss())), 250);
  peak.unref();
  // As the live engine does: a young generation held small keeps the RSS of a streaming job flat.
  tools.setYoungGenerationGrowth?.(false);
  try {
    // Every answer is priced at the Batch API's prices (`*_batches`); a bad --prices file is exit 2 before any work.
    const prices = PriceBook.load(options.pricesFile);
    cost = { prices, tracker: new CostTracker({ prices, pricing: 'batch' }) };
    store.lock();
    run = store.startRun({ mode: options.mode, input: options.input, options: publicOptions(options), initialRss: counters.peakRss });
    const chunks = new BatchChunks(store.database);
    const batches = new BatchTable(store.database);
    for (const file of chunks.abandonWriting()) fs.rmSync(file, { force: true });
    removeStrayChunkFiles(options.db, chunks);
    target = await openBatchClient(options);
    const wait = options.batch.wait || target.forcesWait;
    const log = (message: string, detail: Record<string, unknown>): void => logger.info(detail, message);
    const tally = newTally();
    const anthropic = options.provider === 'anthropic';
    // --max-cost: read back what the live batches reserve before anything new is written.
    const spend = options.maxCostUsd === undefined ? undefined : openBatchSpend(options.maxCostUsd, chunks, cost.tracker, anthropic ? options.maxTokens : undefined);
    const settle = { store, chunks, run, counters, tally, normalize: options.normalize, maxRetries: options.maxRetries, cost: cost.tracker, budget: spend?.budget };
    // Anthropic's cap is on the create body: the file's lines plus the `{"requests":[...]}` around them.
    const maxBytes = anthropic ? options.batch.maxBytes - (createBodyBytes(1) - 1) : options.batch.maxBytes;
    const writer = new ChunkWriter(chunks, (work) => store.database.transaction(work)(), options.db, { maxRequests: options.batch.maxRequests, maxBytes }, options.provider, MODE_ENDPOINT[options.mode]);
    const progress = createBatchProgress({ enabled: options.progress && wait, tty: process.stderr.isTTY === true, stream: process.stderr, log: (line) => logger.info(line) });
    logger.info({ input: options.input, checkpoint: options.db, provider: options.provider, baseUrl: target.client.baseUrl, mode: options.mode, via: 'batch' }, 'run started');
    const result = await runCycles({
      client: target.client,
      chunks,
      batches,
      submit: {
        store, chunks, writer, run, counters, normalise,
        retryFailed: options.retryFailed, refreshOlderThanMs: options.refreshOlderThanMs, limit: options.limit, shard: options.shard,
        normalize: options.normalize, embeddingEncoding: options.embeddingEncoding, gc: tools.gc, cost: cost.tracker,
        requestLine: anthropic ? anthropicRequestLine(options.maxTokens) : undefined,
        budget: spend?.submit,
      },
      sends: anthropic ? new BatchSends(store.database) : undefined,
      settle,
      provider: options.provider,
      checkpointId: chunks.checkpointId(),
      maxRetries: options.maxRetries,
      maxLineBytes: options.maxResponseBytes + 64 * 1024,
      wait,
      pollIntervalMs: target.forcesWait ? Math.min(options.batch.pollIntervalMs, 100) : options.batch.pollIntervalMs,
      firstInput: input,
      reopenInput: () => openInput(options.input, { maxLineBytes: options.maxLineBytes }),
      signal: signals.stop,
      deadline: options.maxRuntimeMs === undefined ? undefined : started + options.maxRuntimeMs,
      progress,
      log,
      gc: tools.gc,
      budget: spend,
    });
    progress.stop();
    counters.requests = result.batchesCreated;
    const failedInCheckpoint = store.database.prepare("SELECT count(*) FROM records WHERE status = 'failed'").pluck().get() as number;
    const live = chunks.countLive();
    const stopped = result.stoppedBy === 'SIGINT' ? ExitCode.sigint : result.stoppedBy === 'SIGTERM' ? ExitCode.sigterm : undefined;
    const exitCode = stopped ?? (!result.settled ? ExitCode.halted : failedInCheckpoint > 0 ? ExitCode.someFailed : ExitCode.ok);
    const status = stopped !== undefined ? 'interrupted' : !result.settled ? 'halted' : failedInCheckpoint > 0 ? 'done-with-failures' : 'done';
    const heldMembers = [...(spend?.held ?? [])].reduce((sum, id) => sum + chunks.countRemaining(id), 0);
    const pending = `${live.chunks} batch${live.chunks === 1 ? ' is' : 'es are'} pending (${live.members} records): run the same command again later to collect them (or add --wait)`;
    const budgetHalt = result.budgetHalted && spend !== undefined ? { hint: budgetHint(spend, heldMembers), haltReason: spend.budget.haltReason() } : undefined;
    if (budgetHalt !== undefined) logger.warn({ spentUsd: spend?.budget.spentUsd, maxCostUsd: options.maxCostUsd }, budgetHalt.haltReason);
    const hint = result.settled ? null : (budgetHalt?.hint ?? pending);
    const haltReason = result.settled ? null : (budgetHalt?.haltReason ?? 'batches pending');
    return finish(store, run, tools, options, cost, { status, exitCode, counters, started, initialRss, hint, haltReason, batches: { created: result.batchesCreated, live: live.chunks, inFlight: live.members } });
  } catch (error) {
    const stoppedBy = signals.stop.aborted ? String(signals.stop.reason) : undefined;
    const failure: Failure = stoppedBy === undefined
      ? classify(error, tools.redact)
      : { exitCode: stoppedBy === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm, message: `stopped by ${stoppedBy}`, hint: 'Run the same command again to go on from the last recorded step.' };
    if (run !== undefined) {
      return finish(store, run, tools, options, cost, { status: 'error', exitCode: failure.exitCode, counters, started, initialRss, hint: failure.hint ?? null, haltReason: failure.message, batches: null, error: failure });
    }
    throw error;
  } finally {
    clearInterval(peak);
    signals.dispose();
    input.close();
    await target?.close().catch(() => undefined);
    store.close();
  }
}

/** A crash between a batch's create and the removal of its file leaves the file: no chunk needs it any more. */
function removeStrayChunkFiles(db: string, chunks: BatchChunks): void {
  const dir = path.dirname(path.resolve(db));
  const prefix = `${path.basename(db)}.batch-`;
  const needed = new Set(chunks.unsubmitted().map((chunk) => chunk.filePath && path.resolve(chunk.filePath)));
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (name.startsWith(prefix) && name.endsWith('.jsonl') && !needed.has(file)) fs.rmSync(file, { force: true });
  }
}

interface Failure {
  readonly exitCode: number;
  readonly message: string;
  readonly hint: string | undefined;
}

/** An API that stays unreachable or busy past the retries halts (exit 75, try later); auth and the like are fatal. */
function classify(error: unknown, redact: (text: string) => string): Failure {
  if (error instanceof ProviderError && error.scope === 'retryable') {
    return { exitCode: ExitCode.halted, message: redact(error.message), hint: 'The Batch API could not be reached; run the same command again later.' };
  }
  if (error instanceof MemsafeError) return { exitCode: error.exitCode === ExitCode.usage ? ExitCode.usage : ExitCode.fatal, message: redact(error.message), hint: error.hint };
  return { exitCode: ExitCode.fatal, message: redact(errorMessage(error)), hint: undefined };
}

interface RunEnd {
  readonly status: string;
  readonly exitCode: number;
  readonly counters: RunCounters;
  readonly started: number;
  readonly initialRss: number;
  readonly hint: string | null;
  readonly haltReason: string | null;
  readonly batches: { created: number; live: number; inFlight: number } | null;
  readonly error?: Failure;
}

/** The run's prices and what it spent at them. */
interface Priced {
  readonly prices: PriceBook;
  readonly tracker: CostTracker;
}

function finish(store: CheckpointStore, run: number, tools: BatchTools, options: RunOptions, cost: Priced | undefined, end: RunEnd): number {
  const rss = process.memoryUsage.rss();
  try {
    store.finishRun(run, { status: end.status, exitCode: end.exitCode, counters: end.counters, finalRss: rss, haltReason: end.haltReason });
  } catch (error) {
    tools.log.logger.error({ checkpoint: options.db }, `could not record the end of the run: ${tools.redact(errorMessage(error))}`);
  }
  if (end.error !== undefined) {
    tools.log.logger.error({}, end.error.message);
    tools.log.output.flushSync();
    process.stderr.write(`memsafe: ${end.error.message}\n${end.error.hint === undefined ? '' : `  ${end.error.hint}\n`}`);
  }
  const c = end.counters;
  const summary = {
    status: end.status,
    exitCode: end.exitCode,
    checkpoint: options.db,
    input: options.input,
    elapsedMs: Date.now() - end.started,
    records: { read: c.recordsRead, done: c.done, failed: c.failed, skipped: c.skipped, cacheHits: c.cacheHits },
    requests: c.requests,
    retries: c.retries,
    throttled: c.throttled,
    memory: { initialRss: end.initialRss, peakRss: Math.max(c.peakRss, rss), finalRss: rss, maxMemory: options.maxMemoryBytes, warnMemory: options.warnMemoryBytes, inflightPeak: 0 },
    breakerTrips: 0,
    breakerResets: 0,
    rateLimited: 0,
    backpressure: 0,
    learnedRateRps: null,
    heldMs: 0,
    haltReason: end.haltReason,
    hint: end.hint,
    ...(cost === undefined ? {} : { cost: batchCostSummary(cost.tracker.summary(), cost.prices) }),
  };
  tools.log.output.flushSync();
  if (options.json) {
    const document = JSON.parse(tools.summaryJson(summary)) as Record<string, unknown>;
    process.stdout.write(`${JSON.stringify({ ...document, via: 'batch', batches: end.batches })}\n`);
  } else process.stderr.write(tools.formatSummary(summary));
  return end.exitCode;
}
