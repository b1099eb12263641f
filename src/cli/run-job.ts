// Wires one run: options -> input -> checkpoint -> provider -> engine -> summary. Loaded only when a run command runs.
import type { Command } from 'commander';
import { publicOptions, resolveRunOptions, type RunOptions } from '../config/run-options.js';
import { ExitCode, type MemsafeError } from '../errors.js';
import type { Mode } from '../input/record.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { InputSource } from '../input/open-input.js';
import type { NormalizeOptions } from '../input/normalize.js';
import type { Provider } from '../provider/provider.js';
import type { RunLogger } from '../ui/logger.js';
import type { createProgress } from '../ui/progress.js';
import type { buildSummary, formatSummary, summaryJson } from '../ui/summary.js';
import { watchStopSignals } from './signals.js';
import { isWorker, tellSupervisor, workerDeadline, workerRestartReason } from './worker-channel.js';
import { tuneV8 } from './v8-tuning.js';

export async function runJob(command: Command, fixedMode: Mode | undefined): Promise<number> {
  const resolved = resolveRunOptions(command, fixedMode);
  if (resolved.restarts > 0 && !resolved.dryRun && !isWorker()) {
    const { supervise } = await import('./supervisor.js');
    return supervise(process.argv.slice(2), { restarts: resolved.restarts, maxRuntimeMs: resolved.maxRuntimeMs, json: resolved.json, logLevel: resolved.logLevel });
  }
  const deadline = workerDeadline();
  const options: RunOptions = deadline === undefined ? resolved : { ...resolved, maxRuntimeMs: Math.max(1, deadline - Date.now()) };
  const { gc, setYoungGenerationGrowth } = tuneV8(); // before undici is imported below
  const [{ createLogger }, { createProgress }, { buildSummary, formatSummary, summaryJson }, { secretRedactor }] = await Promise.all([
    import('../ui/logger.js'),
    import('../ui/progress.js'),
    import('../ui/summary.js'),
    import('../redact.js'),
  ]);
  const secrets = [options.apiKey, ...options.headers.map(([, value]) => value)].filter((value): value is string => value !== undefined);
  const redact = secretRedactor(secrets);
  const log = createLogger({ level: options.logLevel, file: options.logFile, secrets, json: options.json });
  try {
    const [{ openInput }, { loadTokenCounter }] = await Promise.all([import('../input/open-input.js'), import('../input/tokens.js')]);
    const { defaultModelFor } = await import('../provider/create-provider.js');
    // guards: embedding packs count tokens with the tokenizer whenever it is loaded for a token limit.
    const exactTokens = options.dryRun || options.tpm !== undefined || options.maxContextTokens !== undefined || options.maxBatchTokens !== undefined;
    const normalise = {
      mode: options.mode,
      model: options.model ?? defaultModelFor(options.provider),
      maxContextTokens: options.maxContextTokens,
      textField: options.textField,
      tokenCounter: await loadTokenCounter(exactTokens),
      maxTokens: options.maxTokens,
      anthropicLines: options.provider === 'anthropic' ? ('send' as const) : ('refuse' as const),
    };
    const input = openInput(options.input, { maxLineBytes: options.maxLineBytes });
    if (options.dryRun) {
      const { dryRun } = await import('../engine/dry-run.js');
      const report = await dryRun(input, normalise, { shard: options.shard, limit: options.limit });
      process.stdout.write(`${JSON.stringify({ dry_run: true, ...snake(report) })}\n`);
      return report.invalid > 0 ? ExitCode.someFailed : ExitCode.ok;
    }
    return await execute(options, input, normalise, { log, redact, gc, setYoungGenerationGrowth, createProgress, buildSummary, formatSummary, summaryJson });
  } finally {
    log.close();
  }
}

// Type-only imports are erased: these modules still load lazily, inside runJob.
interface Tools {
  log: RunLogger;
  redact: (text: string) => string;
  gc: (() => void) | undefined;
  setYoungGenerationGrowth: (grow: boolean) => void;
  createProgress: typeof createProgress;
  buildSummary: typeof buildSummary;
  formatSummary: typeof formatSummary;
  summaryJson: typeof summaryJson;
}

async function execute(
  options: RunOptions,
  input: InputSource,
  normalise: NormalizeOptions,
  tools: Tools,
): Promise<number> {
  // --via batch: the Batch API pipeline (src/batch/), not the live engine.
  if (options.via === 'batch') {
    const { runBatchJob } = await import('../batch/batch-run.js');
    return runBatchJob(options, input, normalise, tools);
  }
  const [checkpoint, { createProvider }, { Engine }, v8] = await Promise.all([
    import('../checkpoint/store.js'),
    import('../provider/create-provider.js'),
    import('../engine/engine.js'),
    import('node:v8'),
  ]);
  const logger = tools.log.logger;
  let store: CheckpointStore | undefined;
  let provider: Provider | undefined;
  const signals = watchStopSignals((name, hard) =>
    logger.warn({ signal: name }, hard ? `${name} again: aborting requests in flight` : `${name}: finishing requests in flight, then stopping (${name} again to abort)`),
  );
  // A worker whose supervisor died stops as if it got SIGTERM: killing the command leaves nothing running.
  const onDisconnect = () => signals.trigger('SIGTERM');
  if (isWorker()) process.once('disconnect', onDisconnect);
  let lastMemoryReport = 0;
  try {
    store = checkpoint.CheckpointStore.open(options.db);
    store.lock();
    provider = await createProvider({
      provider: options.provider,
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      headers: options.headers,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      // undici waits one event-loop turn before reusing a socket that just answered; spare sockets let the
      // replacement request go out at once instead of after every answer of the burst has been handled.
      connections: 2 * options.concurrency,
      keepAlive: options.keepAlive,
      maxTokens: options.maxTokens,
      mock: { latencyMs: options.mock.latencyMs, failRate: options.mock.failRate, ...(options.mock.responseBytes === undefined ? {} : { responseBytes: options.mock.responseBytes }) },
    });
    logger.info({ input: options.input, checkpoint: options.db, provider: provider.name, baseUrl: provider.baseUrl, mode: options.mode }, 'run started');
    const progress = tools.createProgress({
      stream: process.stderr,
      tty: process.stderr.isTTY === true,
      enabled: options.progress,
      totalBytes: input.totalBytes,
      logger,
      logOutput: tools.log.output,
    });
    const engine = new Engine(
      {
        options,
        store,
        input,
        provider,
        normalise,
        logger,
        redact: tools.redact,
        gc: tools.gc,
        setYoungGenerationGrowth: tools.setYoungGenerationGrowth,
        writeHeapSnapshot: (dir) => v8.writeHeapSnapshot(`${dir.replace(/\/+$/, '')}/memsafe-${process.pid}-${Date.now()}.heapsnapshot`),
        recordedOptions: publicOptions(options),
        previousEnd: workerRestartReason(),
        onProgress: (snapshot) => {
          progress.update({ ...snapshot, done: snapshot.done - snapshot.cached });
          if (Date.now() - lastMemoryReport >= 1000) {
            lastMemoryReport = Date.now();
            tellSupervisor({ type: 'memory', rss: snapshot.rssBytes });
          }
        },
      },
      { stop: signals.stop, abort: signals.abort },
    );
    const result = await engine.execute();
    progress.stop();
    if (options.unload || result.stopReason === 'breaker') await unloadModels(provider, result.models, logger);
    const error: MemsafeError | undefined = result.error;
    const summary = tools.buildSummary(result, options, tools.redact);
    try {
      store.finishRun(result.run, {
        status: result.status,
        exitCode: result.exitCode,
        counters: result.counters,
        finalRss: result.finalRss,
        haltReason: summary.haltReason,
      });
    } catch (finishError) {
      // Every result is already committed; only the run's bookkeeping row is incomplete (status shows it as crashed).
      logger.error({ checkpoint: options.db }, `could not record the end of the run: ${tools.redact(finishError instanceof Error ? finishError.message : String(finishError))}`);
    }
    if (error !== undefined) {
      logger.error({ code: error.code }, tools.redact(error.message));
      tools.log.output.flushSync();
      process.stderr.write(`memsafe: ${tools.redact(error.message)}\n${error.hint === undefined ? '' : `  ${error.hint}\n`}`);
    }
    tools.log.output.flushSync();
    const json = tools.summaryJson(summary);
    tellSupervisor({
      type: 'result',
      exitCode: result.exitCode,
      stopReason: result.stopReason ?? null,
      rss: result.counters.peakRss,
      summary: options.json ? (JSON.parse(json) as Record<string, unknown>) : null,
    });
    // Under a supervisor the --json summary is printed once, by the supervisor.
    if (options.json && !isWorker()) process.stdout.write(`${json}\n`);
    else if (!options.json) process.stderr.write(tools.formatSummary(summary));
    return result.exitCode;
  } finally {
    process.off('disconnect', onDisconnect);
    signals.dispose();
    input.close();
    await provider?.close().catch(() => undefined);
    store?.close();
  }
}

/** Local models hold (GPU) memory until unloaded: free it at a breaker halt and with --unload. */
async function unloadModels(provider: Provider, models: readonly string[], logger: RunLogger['logger']): Promise<void> {
  const { canUnload } = await import('../provider/create-provider.js');
  if (!canUnload(provider)) return;
  for (const model of models) {
    try {
      await provider.unloadModel(model);
      logger.info({ model, baseUrl: provider.baseUrl }, `asked Ollama to unload ${model}`);
    } catch (error) {
      logger.warn({ model, baseUrl: provider.baseUrl }, `could not unload ${model}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function snake(report: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(report).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}
