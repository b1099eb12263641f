// The flags of `memsafe run|cache|embeddings` with their MEMSAFE_* variables and defaults. Commander only:
// `memsafe --help` loads this, so validation (zod) lives in run-options.ts and loads when a run starts.
import { type Command, Option } from 'commander';

export const PROVIDERS = ['openai', 'mock', 'ollama', 'anthropic'] as const;
export const EMBEDDING_ENCODINGS = ['base64', 'float'] as const;
export const VIA = ['live', 'batch'] as const;
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
    .addOption(new Option('--provider <name>', 'API provider: openai | anthropic | ollama | mock (built-in, offline)').env(env('PROVIDER')).default('openai'))
    .addOption(new Option('--base-url <url>', 'API base URL: OpenAI-style with the version path, Ollama and Anthropic without (default: $OPENAI_BASE_URL, $ANTHROPIC_BASE_URL, $OLLAMA_HOST, or the provider default)').env(env('BASE_URL')))
    .addOption(new Option('--model <name>', 'model for lines whose body has none').env(env('MODEL')))
    .addOption(new Option('--models <list>', 'send every record to each of these models (comma-separated); each pair is its own record <id>@<model>').env(env('MODELS')))
    .addOption(new Option('--routes <file>', 'JSON routes: which provider, URL, key variable and limits serve each model glob').env(env('ROUTES')))
    .addOption(new Option('--prices <file>', "price table in LiteLLM's model_prices_and_context_window.json format (default: built-in prices)").env(env('PRICES')))
    .addOption(new Option('--max-cost <usd>', 'spend breaker: never spend more than this many US dollars (exit 75 when reached; rerun to resume)').env(env('MAX_COST')))
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
    .addOption(new Option('--max-tokens <n>', 'max_tokens of chat lines that set none (anthropic: default 1024, required by the API; others: only when given)').env(env('MAX_TOKENS')))
    .addOption(new Option('--max-context-tokens <n>', 'trim long messages to N tokens, keeping system and newest turns').env(env('MAX_CONTEXT_TOKENS')))
    .addOption(new Option('--warn-memory <size>', 'RSS where batches shrink (default: 2/3 of --max-memory)').env(env('WARN_MEMORY')))
    .addOption(new Option('--max-memory <size>', 'RSS breaker: halt cleanly with exit 75 (default: 1.5GB or 75% of the memory limit)').env(env('MAX_MEMORY')))
    .addOption(new Option('--max-inflight-bytes <size>', 'memory budget of the answers in flight (default: half of --max-memory above a 100MB baseline, at least 16MB)').env(env('MAX_INFLIGHT_BYTES')))
    .addOption(new Option('--restarts <n>', 'run in a worker process; start a fresh one (resuming) up to N times after a breaker halt or an OOM kill').env(env('RESTARTS')).default('0'))
    .addOption(new Option('--breaker-wait <duration>', 'after the breaker trips, how long to wait for memory to fall before halting').env(env('BREAKER_WAIT')).default('10s'))
    .addOption(new Option('--heap-snapshot-dir <dir>', 'write a V8 heap snapshot here when the breaker trips').env(env('HEAP_SNAPSHOT_DIR')))
    .addOption(new Option('--text-field <name>', 'embeddings: the field that holds the text').env(env('TEXT_FIELD')).default('text'))
    .addOption(new Option('--max-batch-tokens <n>', 'embeddings: tokens per request at most').env(env('MAX_BATCH_TOKENS')))
    .addOption(new Option('--normalize', 'embeddings: store unit-length vectors').env(env('NORMALIZE')))
    .addOption(new Option('--embedding-encoding <encoding>', 'embeddings: ask for base64 | float vectors (float: for servers that refuse encoding_format)').env(env('EMBEDDING_ENCODING')).default('base64'))
    .addOption(new Option('--keep-alive <duration>', 'ollama: keep_alive passed with each request (e.g. 5m)').env(env('KEEP_ALIVE')))
    .addOption(new Option('--unload', 'ollama: unload the model at the end of the run').env(env('UNLOAD')))
    .addOption(new Option('--mock-latency <duration>', 'mock provider: answer delay').env(env('MOCK_LATENCY')).default('0'))
    .addOption(new Option('--mock-fail-rate <ratio>', 'mock provider: fraction of requests answered with 500').env(env('MOCK_FAIL_RATE')).default('0'))
    .addOption(new Option('--mock-response-bytes <size>', 'mock provider: pad each chat answer to about this size').env(env('MOCK_RESPONSE_BYTES')))
    .addOption(new Option('--via <how>', 'live (requests now) | batch (the provider\'s Batch API: half price, answers within 24h; rerun to collect)').env(env('VIA')).default('live'))
    .addOption(new Option('--batch-max-requests <n>', 'batch: requests per batch file at most (default: the provider\'s limit, 50000 openai, 100000 anthropic)').env(env('BATCH_MAX_REQUESTS')))
    .addOption(new Option('--batch-max-bytes <size>', 'batch: bytes per batch file at most (default: the provider\'s limit, 200MB openai, 256 MB anthropic)').env(env('BATCH_MAX_BYTES')))
    .addOption(new Option('--wait', 'batch: poll in this run until every batch has settled (else exit 75 while any is pending)').env(env('WAIT')))
    .addOption(new Option('--poll-interval <duration>', 'batch: time between polls with --wait').env(env('POLL_INTERVAL')).default('60s'))
    .addOption(new Option('--json', 'print a machine-readable summary on stdout').env(env('JSON')))
    .addOption(new Option('--no-progress', 'no progress bar or progress log lines'))
    .addOption(new Option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent').env(env('LOG_LEVEL')).default('info'))
    .addOption(new Option('--log-file <file>', 'write JSON logs here instead of stderr').env(env('LOG_FILE')));
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
