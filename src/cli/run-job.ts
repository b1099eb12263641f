// Wires one run: options -> input -> checkpoint -> provider -> engine -> summary. Loaded only when a run command runs.
import type { Command } from 'commander';
import { publicOptions, resolveRunOptions, type RunOptions } from '../config/run-options.js';
import { ExitCode, type MemsafeError } from '../errors.js';
import type { Mode } from '../input/record.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { InputSource } from '../input/open-input.js';
import type { NormalizeOptions } from '../input/normalize.js';
import type { RouteTarget } from '../engine/route-pools.js';
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
  const { routeSecrets } = await import('../routing/route.js');
  const secrets = [options.apiKey, ...options.headers.map(([, value]) => value), ...routeSecrets(options.routes ?? [])].filter(
    (value): value is string => value !== undefined,
  );
  const redact = secretRedactor(secrets);
  const log = createLogger({ level: options.logLevel, file: options.logFile, secrets, json: options.json });
  try {
    const [{ openInput }, { loadTokenCounter }] = await Promise.all([import('../input/open-input.js'), import('../input/tokens.js')]);
    const { defaultModelFor } = await import('../provider/create-provider.js');
    // guards: embedding packs count tokens with the tokenizer whenever it is loaded for a token limit.
    const exactTokens =
      options.dryRun || options.tpm !== undefined || options.maxContextTokens !== undefined || options.maxBatchTokens !== undefined || options.maxCostUsd !== undefined;
    const anthropicRoute = options.provider === 'anthropic' || (options.routes ?? []).some((route) => route.provider === 'anthropic');
    const normalise = {
      mode: options.mode,
      model: options.model ?? options.models?.[0] ?? defaultModelFor(options.provider),
      maxContextTokens: options.maxContextTokens,
      textField: options.textField,
      tokenCounter: await loadTokenCounter(exactTokens),
      // With --routes each route fills its own max_tokens (routing/route-job.ts).
      maxTokens: options.routes === undefined ? options.maxTokens : undefined,
      anthropicLines: anthropicRoute ? ('send' as const) : ('refuse' as const),
    };
    if (!options.dryRun) await preflight(options, normalise);
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
  const [checkpoint, { openTargets, closeTargets }, { Engine }, { CostTracker }, { PriceBook }, v8] = await Promise.all([
    import('../checkpoint/store.js'),
    import('./run-targets.js'),
    import('../engine/engine.js'),
    import('../cost/cost-tracker.js'),
    import('../cost/price-table.js'),
    import('node:v8'),
  ]);
  const logger = tools.log.logger;
  let store: CheckpointStore | undefined;
  let targets: RouteTarget[] = [];
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
    const cost = new CostTracker({ prices: PriceBook.load(options.pricesFile), maxCostUsd: options.maxCostUsd });
    targets = await openTargets(options);
    const [first] = targets;
    const routes = targets.length > 1 ? { routes: targets.map(({ provider }) => `${provider.name} ${provider.baseUrl}`) } : {};
    logger.info({ input: options.input, checkpoint: options.db, provider: first?.provider.name, baseUrl: first?.provider.baseUrl, mode: options.mode, ...routes }, 'run started');
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
        targets,
        cost,
        normalise,
        logger,
        redact: tools.redact,
        gc: tools.gc,
        setYoungGenerationGrowth: tools.setYoungGenerationGrowth,
        writeHeapSnapshot: (dir) => v8.writeHeapSnapshot(`${dir.replace(/\/+$/, '')}/memsafe-${process.pid}-${Date.now()}.heapsnapshot`),
        recordedOptions: publicOptions(options),
        previousEnd: workerRestartReason(),
        onProgress: (snapshot) => {
          progress.update({ ...snapshot, done: snapshot.done - snapshot.cached, spent: cost.progressText() });
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
    if (options.unload || result.stopReason === 'breaker') for (const { provider } of targets) await unloadModels(provider, result.models, logger);
    const error: MemsafeError | undefined = result.error;
    const summary = { ...tools.buildSummary(result, options, tools.redact), cost: cost.summary() };
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
    await closeTargets(targets);
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

/**
 * With --routes or --max-cost, a line whose model has no route (or no price) must stop the run before anything is
 * sent: one read of the whole input first (a file can be read twice; stdin is checked as it streams instead).
 */
async function preflight(options: RunOptions, normalise: NormalizeOptions): Promise<void> {
  if ((options.routes === undefined && options.maxCostUsd === undefined) || options.input === '-') return;
  const [{ openInput }, { readRecords }, { recordExpansion }, { Router }, { runRoutes }, { CostTracker }, { PriceBook }] = await Promise.all([
    import('../input/open-input.js'),
    import('../engine/record-reader.js'),
    import('../engine/record-expansion.js'),
    import('../routing/router.js'),
    import('./run-targets.js'),
    import('../cost/cost-tracker.js'),
    import('../cost/price-table.js'),
  ]);
  const cost = new CostTracker({ prices: PriceBook.load(options.pricesFile), maxCostUsd: options.maxCostUsd });
  const router = options.routes === undefined ? undefined : new Router(runRoutes(options));
  const input = openInput(options.input, { maxLineBytes: options.maxLineBytes });
  try {
    const expand = recordExpansion({ models: options.models, router, cost });
    for await (const _record of readRecords(input, normalise, { shard: options.shard, limit: options.limit, expand })) {
      // expand() throws RouteNotFoundError / UnpricedModelError (exit 2) at the first line it cannot serve
    }
  } finally {
    input.close();
  }
}

function snake(report: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(report).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}
