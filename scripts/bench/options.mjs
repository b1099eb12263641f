// Command line of `npm run bench`: which scenarios and contenders, how big, how many runs.
import path from 'node:path';
import { parseArgs } from 'node:util';
import bytes from 'bytes';

export const HELP = `Usage: npm run bench -- [options]

Measures memsafe and baseline scripts against a local OpenAI-compatible server (127.0.0.1 only),
prints markdown tables, and updates docs/BENCHMARKS.md (between <!-- bench:<scenario>:start/end --> markers).

Options:
  --only <ids>                 scenarios to run, comma-separated (default: all): {scenarios}
                               a scenario.contender pair runs one contender, e.g. cache.memsafe,
                               compare.embed-stream, embeddings.single
  --quick                      small sizes, a smoke check of every scenario in a couple of minutes
  --runs <n>                   runs per cell, the median is reported (default 1)
  --concurrency <n>            requests in flight for every contender (default 32)
  --cell-timeout <s>           kill a run after this many seconds (default 120 + 2 ms per record)
  --memsafe-bin <path>         memsafe launcher to measure (default bin/memsafe.js), e.g. an older build

  cache (issue 2)
  --sizes <n,n>                record counts (default 50000,500000; quick 2000,10000)
  pressure (issue 2)
  --pressure-records <n>       records (default 5000; quick 2000)
  --max-memory <size>          memsafe --max-memory (default 105MB)
  --response-bytes <n>         answer content size (default 65536)
  --max-reruns <n>             reruns after a halt before giving up (default 50)
  big-answers (issue 11)
  --big-answers-records <n>    records, every second answer 3 MB (default 2000; quick 300)
  embeddings (issue 3)
  --embeddings-sizes <n,n>     text counts (default 20000,200000; quick 2000,10000)
  --dimensions <n>             vector size the server answers, every embedding scenario (default 256)
  --embed-batch-size <n>       texts per request of the packed runs (default 64)
  compare (issue 5)
  --compare-sizes <n,n>        record counts, chat and embeddings (default 10000,100000,1000000;
                               quick 2000,10000)
  latency (issue 5)
  --latency-ms <n>             server latency per request (default 50)
  --latency-concurrency <n>    concurrency of every contender (default 64)
  --latency-records <n>        records (default 50000; quick 3000)
  ceiling (issue 5)
  --ceiling-records <n>        memsafe records (default 100000; quick 10000)
  --load-duration <s>          load generator run time (default 10; quick 3)
  --load-generator <name>      auto (autocannon, a devDependency, and the built-in one beside it),
                               autocannon, or builtin (default auto)
  resume (issue 5)
  --resume-records <n>         records in the committed checkpoint (default 1000000; quick 10000)
  startup (issue 5)
  --ratelimit-records <n>      records per rate-limit run (default 20 s at the limit: 6000 at 300
                               r/s, 20000 at 1000; shedding at 6000 and 30000; quick 1000)
  --startup-runs <n>           runs per command, the median is reported (default 10; quick 5)

  --no-docs                    do not touch docs/BENCHMARKS.md
  --write-docs                 update docs/BENCHMARKS.md even for --quick, a size option or a
                               scenario.contender selection (by default only full runs are written)
  -h, --help                   this text
`;

/** Options that shrink a scenario: a run with any of them is not written to the docs by default. */
const SIZE_OPTIONS = [
  'sizes', 'pressure-records', 'big-answers-records', 'embeddings-sizes', 'compare-sizes', 'latency-records', 'ceiling-records',
  'load-duration', 'resume-records', 'startup-runs', 'ratelimit-records',
];
const LOAD_GENERATORS = ['auto', 'autocannon', 'builtin'];

function positiveInteger(name, raw) {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < 1) throw new Error(`--${name} must be an integer >= 1, got \`${raw}\``);
  return value;
}

function integerList(name, raw) {
  return raw === undefined ? undefined : raw.split(',').map((size) => positiveInteger(name, size));
}

/** Parses argv; throws an Error whose message names the bad option. */
/** @param {{id: string, contenders: string[]}[]} scenarios */
export function parseBenchOptions(argv, scenarios) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      runs: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '32' },
      'pressure-records': { type: 'string' },
      'big-answers-records': { type: 'string' },
      'max-memory': { type: 'string', default: '105MB' },
      'response-bytes': { type: 'string', default: '65536' },
      'max-reruns': { type: 'string', default: '50' },
      'embeddings-sizes': { type: 'string' },
      dimensions: { type: 'string', default: '256' },
      'embed-batch-size': { type: 'string', default: '64' },
      'compare-sizes': { type: 'string' },
      'latency-ms': { type: 'string', default: '50' },
      'latency-concurrency': { type: 'string', default: '64' },
      'latency-records': { type: 'string' },
      'ceiling-records': { type: 'string' },
      'load-duration': { type: 'string' },
      'load-generator': { type: 'string', default: 'auto' },
      'resume-records': { type: 'string' },
      'startup-runs': { type: 'string' },
      'ratelimit-records': { type: 'string' },
      'cell-timeout': { type: 'string' },
      'memsafe-bin': { type: 'string' },
      'no-docs': { type: 'boolean', default: false },
      'write-docs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });

  const only = values.only === undefined ? undefined : values.only.split(',').map((id) => id.trim()).filter((id) => id !== '');
  for (const id of only ?? []) {
    const [scenarioId, contenderId] = id.split('.');
    const scenario = scenarios.find((candidate) => candidate.id === scenarioId);
    if (scenario === undefined) throw new Error(`--only: unknown scenario \`${id}\` (known: ${scenarios.map((known) => known.id).join(', ')})`);
    if (contenderId !== undefined && !scenario.contenders.includes(contenderId)) {
      throw new Error(`--only: unknown contender \`${id}\` (known: ${scenario.contenders.map((known) => `${scenarioId}.${known}`).join(', ')})`);
    }
  }
  const maxMemoryBytes = bytes.parse(values['max-memory']);
  if (!Number.isFinite(maxMemoryBytes) || maxMemoryBytes <= 0) throw new Error(`--max-memory must be a size like 120MB, got \`${values['max-memory']}\``);
  const reruns = values['max-reruns'] === '0' ? 0 : positiveInteger('max-reruns', values['max-reruns']);
  const timeoutSeconds = positiveInteger('cell-timeout', values['cell-timeout']);
  if (!LOAD_GENERATORS.includes(values['load-generator'])) {
    throw new Error(`--load-generator must be one of ${LOAD_GENERATORS.join(', ')}, got \`${values['load-generator']}\``);
  }
  const loadDurationSeconds = positiveInteger('load-duration', values['load-duration']);

  return {
    help: values.help,
    only,
    quick: values.quick,
    /** A quick run or a size option: smaller than the documented full run. */
    reduced: values.quick || SIZE_OPTIONS.some((name) => values[name] !== undefined),
    sizes: integerList('sizes', values.sizes),
    runs: positiveInteger('runs', values.runs),
    concurrency: positiveInteger('concurrency', values.concurrency),
    pressureRecords: positiveInteger('pressure-records', values['pressure-records']),
    bigAnswersRecords: positiveInteger('big-answers-records', values['big-answers-records']),
    maxMemory: values['max-memory'],
    responseBytes: positiveInteger('response-bytes', values['response-bytes']),
    maxReruns: reruns,
    embeddingsSizes: integerList('embeddings-sizes', values['embeddings-sizes']),
    dimensions: positiveInteger('dimensions', values.dimensions),
    embedBatchSize: positiveInteger('embed-batch-size', values['embed-batch-size']),
    compareSizes: integerList('compare-sizes', values['compare-sizes']),
    latencyMs: positiveInteger('latency-ms', values['latency-ms']),
    latencyConcurrency: positiveInteger('latency-concurrency', values['latency-concurrency']),
    latencyRecords: positiveInteger('latency-records', values['latency-records']),
    ceilingRecords: positiveInteger('ceiling-records', values['ceiling-records']),
    loadDurationMs: loadDurationSeconds === undefined ? undefined : loadDurationSeconds * 1000,
    loadGenerator: values['load-generator'],
    resumeRecords: positiveInteger('resume-records', values['resume-records']),
    startupRuns: positiveInteger('startup-runs', values['startup-runs']),
    ratelimitRecords: positiveInteger('ratelimit-records', values['ratelimit-records']),
    cellTimeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
    memsafeBin: values['memsafe-bin'] === undefined ? undefined : path.resolve(values['memsafe-bin']),
    /** auto: only full-size runs of every contender of a scenario reach the docs. */
    docs: values['no-docs'] ? 'never' : values['write-docs'] ? 'force' : 'auto',
  };
}

/** Whether `--only` selects a scenario (or one contender of it). */
export function selects(only, scenarioId, contenderId) {
  if (only === undefined) return true;
  return only.some((id) => id === scenarioId || (contenderId !== undefined && id === `${scenarioId}.${contenderId}`))
    || (contenderId === undefined && only.some((id) => id.startsWith(`${scenarioId}.`)));
}
