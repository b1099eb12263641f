// Options of `memsafe run|cache|embeddings`: declared once for commander (flags, MEMSAFE_* variables,
// defaults) and validated once with zod, so precedence is flags > environment (.env) > defaults.
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { Shard } from '../engine/shard.js';
import type { Mode } from '../input/record.js';
import { detectMemoryLimit, type MemoryLimit } from '../system/memory-limit.js';
import { fields } from './fields.js';
import { resolveSize, type SizeSpec } from './units.js';
import { validateOptions } from './validate.js';

const GB = 1024 ** 3;
export const DEFAULT_MAX_MEMORY_BYTES = 1.5 * GB;
export const PROVIDERS = ['openai', 'mock', 'ollama'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Adds the run options to a command; `withMode` for `memsafe run --mode ...`. */
export function addRunOptions(command: Command, withMode: boolean): Command {
  const env = (name: string) => `MEMSAFE_${name}`;
  if (withMode) {
    command.addOption(new Option('--mode <mode>', 'what to run: cache | embeddings (monitor: see memsafe monitor)').env(env('MODE')).makeOptionMandatory());
  }
  return command
    .addOption(new Option('-i, --input <file>', 'JSONL input (.jsonl, .jsonl.gz, or - for stdin)').env(env('INPUT')))
    .addOption(new Option('--db <file>', 'SQLite checkpoint (default: input path with .memsafe.db)').env(env('DB')))
    .addOption(new Option('--provider <name>', 'API provider: openai | ollama | mock (built-in, offline)').env(env('PROVIDER')).default('openai'))
    .addOption(new Option('--base-url <url>', 'API base URL with version path (default: $OPENAI_BASE_URL, $OLLAMA_HOST, or the provider default)').env(env('BASE_URL')))
    .addOption(new Option('--model <name>', 'model for lines whose body has none').env(env('MODEL')))
    .addOption(new Option('--header <header>', 'extra request header "Name: value" (repeatable)').env(env('HEADER')).argParser(collect))
    .addOption(new Option('--concurrency <n>', 'requests in flight at most').env(env('CONCURRENCY')).default('16'))
    .addOption(new Option('--batch-size <n>', 'records per batch: the unit of commit and of memory accounting').env(env('BATCH_SIZE')).default('32'))
    .addOption(new Option('--min-batch-size <n>', 'batch size under memory pressure (default: min(4, --batch-size))').env(env('MIN_BATCH_SIZE')))
    .addOption(new Option('--max-retries <n>', 'retries of a request on 429, 5xx, resets and timeouts').env(env('MAX_RETRIES')).default('5'))
    .addOption(new Option('--timeout <duration>', 'per-request timeout').env(env('TIMEOUT')).default('60s'))
    .addOption(new Option('--rpm <n>', 'requests per minute at most').env(env('RPM')))
    .addOption(new Option('--tpm <n>', 'prompt tokens per minute at most (counted with gpt-tokenizer)').env(env('TPM')))
    .addOption(new Option('--limit <n>', 'process only the first N input records (CI smoke runs)').env(env('LIMIT')))
    .addOption(new Option('--shard <K/N>', 'process only the records whose id hashes to shard K of N (K from 0), into its own checkpoint').env(env('SHARD')))
    .addOption(new Option('--max-runtime <duration>', 'stop cleanly after this long (exit 75; rerun to resume)').env(env('MAX_RUNTIME')))
    .addOption(new Option('--dry-run', 'read, validate and count records and estimate tokens; send nothing').env(env('DRY_RUN')))
    .addOption(new Option('--retry-failed', 'try again records that failed for good on an earlier run').env(env('RETRY_FAILED')))
    .addOption(new Option('--refresh-older-than <duration>', 're-request records whose stored response is older (e.g. 7d)').env(env('REFRESH_OLDER_THAN')))
    .addOption(new Option('--max-response-bytes <size>', 'larger response bodies are aborted and recorded as errors').env(env('MAX_RESPONSE_BYTES')).default('8MB'))
    .addOption(new Option('--max-line-bytes <size>', 'longer input lines become "line too long" error records').env(env('MAX_LINE_BYTES')).default('8MB'))
    .addOption(new Option('--max-context-tokens <n>', 'trim long messages to N tokens, keeping system and newest turns').env(env('MAX_CONTEXT_TOKENS')))
    .addOption(new Option('--warn-memory <size>', 'RSS where batches shrink (default: 2/3 of --max-memory)').env(env('WARN_MEMORY')))
    .addOption(new Option('--max-memory <size>', 'RSS breaker: halt cleanly with exit 75 (default: 1.5GB or 75% of the memory limit)').env(env('MAX_MEMORY')))
    .addOption(new Option('--restarts <n>', 'run in a worker process; start a fresh one (resuming) up to N times after a breaker halt or an OOM kill').env(env('RESTARTS')).default('0'))
    .addOption(new Option('--breaker-wait <duration>', 'after the breaker trips, how long to wait for memory to fall before halting').env(env('BREAKER_WAIT')).default('10s'))
    .addOption(new Option('--heap-snapshot-dir <dir>', 'write a V8 heap snapshot here when the breaker trips').env(env('HEAP_SNAPSHOT_DIR')))
    .addOption(new Option('--text-field <name>', 'embeddings: the field that holds the text').env(env('TEXT_FIELD')).default('text'))
    .addOption(new Option('--max-batch-tokens <n>', 'embeddings: tokens per request at most').env(env('MAX_BATCH_TOKENS')))
    .addOption(new Option('--normalize', 'embeddings: store unit-length vectors').env(env('NORMALIZE')))
    .addOption(new Option('--keep-alive <duration>', 'ollama: keep_alive passed with each request (e.g. 5m)').env(env('KEEP_ALIVE')))
    .addOption(new Option('--unload', 'ollama: unload the model at the end of the run').env(env('UNLOAD')))
    .addOption(new Option('--mock-latency <duration>', 'mock provider: answer delay').env(env('MOCK_LATENCY')).default('0'))
    .addOption(new Option('--mock-fail-rate <ratio>', 'mock provider: fraction of requests answered with 500').env(env('MOCK_FAIL_RATE')).default('0'))
    .addOption(new Option('--mock-response-bytes <size>', 'mock provider: pad each chat answer to about this size').env(env('MOCK_RESPONSE_BYTES')))
    .addOption(new Option('--json', 'print a machine-readable summary on stdout').env(env('JSON')))
    .addOption(new Option('--no-progress', 'no progress bar or progress log lines'))
    .addOption(new Option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent').env(env('LOG_LEVEL')).default('info'))
    .addOption(new Option('--log-file <file>', 'write JSON logs here instead of stderr').env(env('LOG_FILE')));
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const optional = <T extends z.ZodType>(schema: T) => schema.optional();

const schema = z.object({
  mode: optional(fields.choice(['cache', 'embeddings'] as const)),
  input: optional(fields.text()),
  db: optional(fields.text()),
  provider: fields.choice(PROVIDERS),
  baseUrl: optional(fields.url()),
  model: optional(fields.text()),
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
  maxContextTokens: optional(fields.integer(1)),
  warnMemory: optional(fields.size()),
  maxMemory: optional(fields.size()),
  restarts: fields.integer(0, 1000),
  breakerWait: fields.duration(),
  heapSnapshotDir: optional(fields.text()),
  textField: fields.text(),
  maxBatchTokens: optional(fields.integer(1)),
  normalize: z.boolean().optional(),
  keepAlive: optional(fields.duration()),
  unload: z.boolean().optional(),
  mockLatency: fields.duration(),
  mockFailRate: fields.ratio(),
  mockResponseBytes: optional(fields.bytes()),
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
  readonly maxContextTokens: number | undefined;
  readonly warnMemoryBytes: number;
  readonly maxMemoryBytes: number;
  readonly memoryLimit: MemoryLimit;
  readonly restarts: number;
  readonly breakerWaitMs: number;
  readonly heapSnapshotDir: string | undefined;
  readonly textField: string;
  readonly maxBatchTokens: number | undefined;
  readonly normalize: boolean;
  readonly keepAlive: string | undefined;
  readonly unload: boolean;
  readonly mock: { readonly latencyMs: number; readonly failRate: number; readonly responseBytes: number | undefined };
  readonly json: boolean;
  readonly progress: boolean;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly logFile: string | undefined;
}

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
  const memoryLimit = detectMemoryLimit();
  const { warnMemoryBytes, maxMemoryBytes } = memoryThresholds(raw.warnMemory, raw.maxMemory, memoryLimit.bytes);
  return {
    mode,
    input: raw.input,
    db,
    provider: raw.provider,
    baseUrl: raw.baseUrl ?? providerBaseUrlFromEnv(raw.provider, environment),
    apiKey: raw.provider === 'openai' ? nonEmpty(environment['OPENAI_API_KEY']) : undefined,
    model: raw.model,
    headers: raw.header ?? [],
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
    maxContextTokens: raw.maxContextTokens,
    warnMemoryBytes,
    maxMemoryBytes,
    memoryLimit,
    restarts: raw.restarts,
    breakerWaitMs: raw.breakerWait,
    heapSnapshotDir: raw.heapSnapshotDir,
    textField: raw.textField,
    maxBatchTokens: raw.maxBatchTokens,
    normalize: raw.normalize ?? false,
    keepAlive: raw.keepAlive === undefined ? undefined : `${Math.round(raw.keepAlive / 1000)}s`,
    unload: raw.unload ?? false,
    mock: { latencyMs: raw.mockLatency, failRate: raw.mockFailRate, responseBytes: raw.mockResponseBytes },
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

function providerBaseUrlFromEnv(provider: RunOptions['provider'], environment: NodeJS.ProcessEnv): string | undefined {
  const value = provider === 'openai' ? environment['OPENAI_BASE_URL'] : provider === 'ollama' ? environment['OLLAMA_HOST'] : undefined;
  const url = nonEmpty(value);
  if (url === undefined) return undefined;
  // OLLAMA_HOST is often written without a scheme (127.0.0.1:11434).
  return (/^https?:\/\//.test(url) ? url : `http://${url}`).replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Options as stored in the checkpoint's runs table: everything but secrets and header values. */
export function publicOptions(options: RunOptions): Record<string, unknown> {
  const { apiKey: _apiKey, headers, memoryLimit, ...rest } = options;
  return { ...rest, headers: headers.map(([name]) => `${name}: [redacted]`), memoryLimit: memoryLimit.bytes, apiKey: options.apiKey === undefined ? null : '[set]' };
}
