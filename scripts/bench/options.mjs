// Command line of `npm run bench`: which scenarios and contenders, how big, how many runs.
import path from 'node:path';
import { parseArgs } from 'node:util';
import bytes from 'bytes';

export const HELP = `Usage: npm run bench -- [options]

Measures memsafe and baseline scripts against a local zero-latency server (127.0.0.1 only),
prints markdown tables, and updates docs/BENCHMARKS.md (between <!-- bench:<scenario>:start/end --> markers).

Options:
  --only <ids>             scenarios to run, comma-separated (default: all): {scenarios}
                           a scenario.contender pair runs one contender, e.g. cache.memsafe
  --quick                  small sizes, a smoke check
  --sizes <n,n>            record counts of the cache scenario (default 50000,500000; quick 2000,10000)
  --runs <n>               runs per cell, the median is reported (default 1)
  --concurrency <n>        requests in flight for every contender (default 32)
  --pressure-records <n>   records of the pressure scenario (default 5000; quick 2000)
  --max-memory <size>      memsafe --max-memory in the pressure scenario (default 120MB)
  --response-bytes <n>     answer content size in the pressure scenario (default 65536)
  --max-reruns <n>         reruns after a halt before giving up (default 50)
  --cell-timeout <s>       kill a run after this many seconds (default 120 + 2 ms per record)
  --memsafe-bin <path>     memsafe launcher to measure (default bin/memsafe.js), e.g. an older build
  --no-docs                do not touch docs/BENCHMARKS.md
  --write-docs             update docs/BENCHMARKS.md even for --quick, --sizes, --pressure-records
                           or a scenario.contender selection (by default only full runs are written)
  -h, --help               this text
`;

function positiveInteger(name, raw) {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < 1) throw new Error(`--${name} must be an integer >= 1, got \`${raw}\``);
  return value;
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
      'max-memory': { type: 'string', default: '120MB' },
      'response-bytes': { type: 'string', default: '65536' },
      'max-reruns': { type: 'string', default: '50' },
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

  return {
    help: values.help,
    only,
    quick: values.quick,
    sizes: values.sizes === undefined ? undefined : values.sizes.split(',').map((size) => positiveInteger('sizes', size)),
    runs: positiveInteger('runs', values.runs),
    concurrency: positiveInteger('concurrency', values.concurrency),
    pressureRecords: positiveInteger('pressure-records', values['pressure-records']),
    maxMemory: values['max-memory'],
    responseBytes: positiveInteger('response-bytes', values['response-bytes']),
    maxReruns: reruns,
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
