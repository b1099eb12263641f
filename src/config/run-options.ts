// Options of `memsafe run|cache|embeddings`, validated once with zod (the flags are declared in run-flags.ts),
// so precedence is flags > environment (.env) > defaults and every message names the option as typed.
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { Mode } from '../input/record.js';
import type { Shard } from '../input/shard.js';
import { publicRoute, type Route } from '../routing/route.js';
import { loadRoutes } from '../routing/routes-file.js';
import { inflightBytes } from './inflight-bytes.js';
import { apiKeyFromEnv, checkAnthropic, providerBaseUrlFromEnv } from './provider-env.js';
import { detectMemoryLimit, type MemoryLimit } from '../system/memory-limit.js';
import { ANTHROPIC_DEFAULT_MAX_TOKENS } from '../provider/anthropic-defaults.js';
import { fields } from './fields.js';
import { resolveSize, type SizeSpec } from './units.js';
import { validateOptions } from './validate.js';

const GB = 1024 ** 3;
export const DEFAULT_MAX_MEMORY_BYTES = 1.5 * GB;
import { EMBEDDING_ENCODINGS, LOG_LEVELS, PROVIDERS, VIA } from './run-flags.js';

const optional = <T extends z.ZodType>(schema: T) => schema.optional();

const schema = z.object({
  mode: optional(fields.choice(['cache', 'embeddings'] as const)),
  input: optional(fields.text()),
  db: optional(fields.text()),
  provider: fields.choice(PROVIDERS),
  baseUrl: optional(fields.url()),
  model: optional(fields.text()),
  models: optional(fields.models()),
  routes: optional(fields.text()),
  prices: optional(fields.text()),
  maxCost: optional(fields.usd()),
  header: z.array(fields.header()).optional(),
  concurrency: fields.integer(1, 10_000),
  batchSize: fields.integer(1, 10_000),
  minBatchSize: optional(fields.integer(1, 10_000)),
  maxRetries: fields.integer(0, 100),
  timeout: fields.positiveDuration(),
  rpm: optional(fields.integer(1)),
  tpm: optional(fields.integer(1)),
  limit: optional(fields.integer(1)),
  shard: optional(fields.shard()),
  maxRuntime: optional(fields.positiveDuration()),
  dryRun: z.boolean().optional(),
  retryFailed: z.boolean().optional(),
  refreshOlderThan: optional(fields.positiveDuration()),
  maxResponseBytes: fields.bytes(),
  maxLineBytes: fields.bytes(),
  maxTokens: optional(fields.integer(1)),
  maxContextTokens: optional(fields.integer(1)),
  warnMemory: optional(fields.size()),
  maxMemory: optional(fields.size()),
  maxInflightBytes: optional(fields.bytes()),
  restarts: fields.integer(0, 1000),
  breakerWait: fields.duration(),
  heapSnapshotDir: optional(fields.text()),
  textField: fields.text(),
  maxBatchTokens: optional(fields.integer(1)),
  normalize: z.boolean().optional(),
  embeddingEncoding: fields.choice(EMBEDDING_ENCODINGS),
  keepAlive: optional(fields.duration()),
  unload: z.boolean().optional(),
  mockLatency: fields.duration(),
  mockFailRate: fields.ratio(),
  mockResponseBytes: optional(fields.bytes()),
  via: fields.choice(VIA),
  batchMaxRequests: optional(fields.integer(1, 100_000)),
  batchMaxBytes: optional(fields.bytes()),
  wait: z.boolean().optional(),
  pollInterval: fields.positiveDuration(),
  json: z.boolean().optional(),
  progress: z.boolean(),
  logLevel: fields.choice(LOG_LEVELS),
  logFile: optional(fields.text()),
});

export interface RunOptions {
  readonly mode: Mode;
  readonly input: string;
  readonly db: string;
  readonly provider: (typeof PROVIDERS)[number];
  readonly baseUrl: string | undefined;
  readonly apiKey: string | undefined;
  readonly model: string | undefined;
  /** --models: each record is sent to each model as its own record `<id>@<model>`. */
  readonly models: readonly string[] | undefined;
  /** --routes, resolved (keys read from the environment); undefined: the flags form one implicit route. */
  readonly routes: readonly Route[] | undefined;
  readonly routesFile: string | undefined;
  readonly pricesFile: string | undefined;
  readonly maxCostUsd: number | undefined;
  readonly headers: readonly (readonly [string, string])[];
  readonly concurrency: number;
  readonly batchSize: number;
  readonly minBatchSize: number;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  readonly limit: number | undefined;
  readonly shard: Shard | undefined;
  readonly maxRuntimeMs: number | undefined;
  readonly dryRun: boolean;
  readonly retryFailed: boolean;
  readonly refreshOlderThanMs: number | undefined;
  readonly maxResponseBytes: number;
  readonly maxLineBytes: number;
  /** `max_tokens` filled into chat lines that set none: --max-tokens, else 1024 for anthropic, else none. */
  readonly maxTokens: number | undefined;
  readonly maxContextTokens: number | undefined;
  readonly warnMemoryBytes: number;
  readonly maxMemoryBytes: number;
  /** --max-inflight-bytes: the in-flight answers' memory budget (src/admission/inflight-budget.ts). */
  readonly maxInflightBytes: number;
  readonly memoryLimit: MemoryLimit;
  readonly restarts: number;
  readonly breakerWaitMs: number;
  readonly heapSnapshotDir: string | undefined;
  readonly textField: string;
  readonly maxBatchTokens: number | undefined;
  readonly normalize: boolean;
  readonly embeddingEncoding: (typeof EMBEDDING_ENCODINGS)[number];
  readonly keepAlive: string | undefined;
  readonly unload: boolean;
  readonly mock: { readonly latencyMs: number; readonly failRate: number; readonly responseBytes: number | undefined };
  /** live: the engine; batch: the provider's Batch API (src/batch/). */
  readonly via: (typeof VIA)[number];
  readonly batch: { readonly maxRequests: number; readonly maxBytes: number; readonly wait: boolean; readonly pollIntervalMs: number };
  readonly json: boolean;
  readonly progress: boolean;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly logFile: string | undefined;
}

/** The Batch APIs' own caps per batch: the defaults of --batch-max-requests and --batch-max-bytes. */
const BATCH_LIMITS = {
  openai: { requests: 50_000, bytes: 200 * 1024 * 1024 },
  // "256 MB": read as 256e6, below both readings of it.
  anthropic: { requests: 100_000, bytes: 256_000_000 },
} as const;

/** Validates a run command's options; `mode` is fixed by `memsafe cache|embeddings`, or read from --mode. */
export function resolveRunOptions(command: Command, fixedMode: Mode | undefined, environment = process.env): RunOptions {
  const raw = validateOptions(command, schema);
  const mode = fixedMode ?? raw.mode;
  if (mode === undefined) throw new UsageError('Expected `--mode` to be one of cache, embeddings');
  if (raw.input === undefined) {
    throw new UsageError('Missing `--input FILE` (a .jsonl or .jsonl.gz file, or - for stdin)', { code: 'MS_NO_INPUT' });
  }
  const db = raw.db ?? defaultCheckpointPath(raw.input, raw.shard);
  const batchSize = raw.batchSize;
  const minBatchSize = raw.minBatchSize ?? Math.min(4, batchSize);
  if (minBatchSize > batchSize) {
    throw new UsageError(`Expected \`--min-batch-size\` to be at most --batch-size (${batchSize}), got \`${minBatchSize}\``, { code: 'MS_BAD_OPTION' });
  }
  const baseUrl = raw.baseUrl ?? providerBaseUrlFromEnv(raw.provider, environment);
  const apiKey = apiKeyFromEnv(raw.provider, environment);
  const headers = raw.header ?? [];
  if (raw.provider === 'anthropic') checkAnthropic(mode, baseUrl, apiKey, headers, raw.dryRun ?? false);
  if (raw.via === 'batch' && raw.provider !== 'openai' && raw.provider !== 'mock' && raw.provider !== 'anthropic') {
    throw new UsageError(`Expected \`--via batch\` with --provider openai, anthropic or mock, got \`--provider ${raw.provider}\` (its Batch API is not supported yet)`, { code: 'MS_BAD_OPTION' });
  }
  const batchLimits = BATCH_LIMITS[raw.provider === 'anthropic' ? 'anthropic' : 'openai'];
  if (raw.batchMaxRequests !== undefined && raw.batchMaxRequests > batchLimits.requests) {
    throw new UsageError(`Expected \`--batch-max-requests\` to be at most ${batchLimits.requests} (the provider's limit), got \`${raw.batchMaxRequests}\``, { code: 'MS_BAD_OPTION' });
  }
  const memoryLimit = detectMemoryLimit();
  const { warnMemoryBytes, maxMemoryBytes } = memoryThresholds(raw.warnMemory, raw.maxMemory, memoryLimit.bytes);
  return {
    mode,
    input: raw.input,
    db,
    provider: raw.provider,
    baseUrl,
    apiKey,
    model: raw.model,
    models: raw.models,
    routes: raw.routes === undefined ? undefined : loadRoutes(raw.routes, { concurrency: raw.concurrency, rpm: raw.rpm, tpm: raw.tpm, maxTokens: raw.maxTokens, headers }, environment),
    routesFile: raw.routes,
    pricesFile: raw.prices,
    maxCostUsd: raw.maxCost,
    headers,
    concurrency: raw.concurrency,
    batchSize,
    minBatchSize,
    maxRetries: raw.maxRetries,
    timeoutMs: raw.timeout,
    rpm: raw.rpm,
    tpm: raw.tpm,
    limit: raw.limit,
    shard: raw.shard,
    maxRuntimeMs: raw.maxRuntime,
    dryRun: raw.dryRun ?? false,
    retryFailed: raw.retryFailed ?? false,
    refreshOlderThanMs: raw.refreshOlderThan,
    maxResponseBytes: raw.maxResponseBytes,
    maxLineBytes: raw.maxLineBytes,
    maxTokens: raw.maxTokens ?? (raw.provider === 'anthropic' ? ANTHROPIC_DEFAULT_MAX_TOKENS : undefined),
    maxContextTokens: raw.maxContextTokens,
    warnMemoryBytes,
    maxMemoryBytes,
    maxInflightBytes: inflightBytes(raw.maxInflightBytes, maxMemoryBytes),
    memoryLimit,
    restarts: raw.restarts,
    breakerWaitMs: raw.breakerWait,
    heapSnapshotDir: raw.heapSnapshotDir,
    textField: raw.textField,
    maxBatchTokens: raw.maxBatchTokens,
    normalize: raw.normalize ?? false,
    embeddingEncoding: raw.embeddingEncoding,
    keepAlive: raw.keepAlive === undefined ? undefined : `${Math.round(raw.keepAlive / 1000)}s`,
    unload: raw.unload ?? false,
    mock: { latencyMs: raw.mockLatency, failRate: raw.mockFailRate, responseBytes: raw.mockResponseBytes },
    via: raw.via,
    batch: { maxRequests: raw.batchMaxRequests ?? batchLimits.requests, maxBytes: raw.batchMaxBytes ?? batchLimits.bytes, wait: raw.wait ?? false, pollIntervalMs: raw.pollInterval },
    json: raw.json ?? false,
    progress: raw.progress,
    logLevel: raw.logLevel,
    logFile: raw.logFile,
  };
}

/** `data/in.jsonl.gz` -> `data/in.memsafe.db` (with --shard 2/8: `data/in.shard-2-of-8.memsafe.db`); stdin has no default. */
export function defaultCheckpointPath(input: string, shard?: Shard): string {
  if (input === '-') {
    throw new UsageError('Reading stdin needs `--db FILE` to say where the checkpoint goes', { code: 'MS_NO_DB' });
  }
  const stem = input.replace(/\.gz$/i, '').replace(/\.jsonl?$/i, '');
  return shard === undefined ? `${stem}.memsafe.db` : `${stem}.shard-${shard.index}-of-${shard.count}.memsafe.db`;
}

/** Default breaker: 1.5 GB or 75% of the memory limit, whichever is lower; warning at two thirds of it. */
export function memoryThresholds(
  warn: SizeSpec | undefined,
  max: SizeSpec | undefined,
  limitBytes: number,
): { warnMemoryBytes: number; maxMemoryBytes: number } {
  const maxMemoryBytes = max === undefined ? Math.min(DEFAULT_MAX_MEMORY_BYTES, Math.floor(limitBytes * 0.75)) : resolveSize(max, limitBytes);
  const warnMemoryBytes = warn === undefined ? Math.floor((maxMemoryBytes * 2) / 3) : resolveSize(warn, limitBytes);
  if (warnMemoryBytes >= maxMemoryBytes) {
    throw new UsageError(
      `Expected \`--warn-memory\` (${warnMemoryBytes} bytes) to be below \`--max-memory\` (${maxMemoryBytes} bytes)`,
      { code: 'MS_BAD_OPTION' },
    );
  }
  return { warnMemoryBytes, maxMemoryBytes };
}

/** Options as stored in the checkpoint's runs table: everything but secrets and header values. */
export function publicOptions(options: RunOptions): Record<string, unknown> {
  const { apiKey: _apiKey, headers, memoryLimit, routes, ...rest } = options;
  return {
    ...rest,
    headers: headers.map(([name]) => `${name}: [redacted]`),
    memoryLimit: memoryLimit.bytes,
    apiKey: options.apiKey === undefined ? null : '[set]',
    routes: routes === undefined ? null : routes.map(publicRoute),
  };
}
