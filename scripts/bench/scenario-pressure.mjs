// Scenario "pressure": memsafe with a small --max-memory against a server whose answers are large, so the
// breaker trips. Reports its peak RSS against --max-memory, the first exit code (75 = halted is expected),
// and how many reruns of the same command it takes to finish.
import path from 'node:path';
import bytes from 'bytes';
import { describeFailure, runOnce } from './cell.mjs';
import { CONTENDERS, removeWork } from './contenders.mjs';
import { formatCount, formatMb, formatRate, formatRatio, formatSeconds, formatSize, markdownTable, verdict } from './report.mjs';

const HALTED = 75;
const PEAK_TOLERANCE = 0.2;
const MAX_RUN_DETAILS = 12;
/** Reruns that send no request at all mean no progress: stop rather than loop. */
const MAX_IDLE_RUNS = 2;

export const pressureScenario = {
  id: 'pressure',
  title: 'memsafe under memory pressure',
  contenders: ['memsafe'],

  async run(ctx) {
    const memsafe = CONTENDERS.memsafe;
    const { maxMemory, responseBytes, maxReruns } = ctx.options;
    const records = ctx.options.pressureRecords ?? (ctx.options.quick ? 2_000 : 5_000);
    const maxMemoryBytes = bytes.parse(maxMemory);
    const server = await ctx.startServer({ responseBytes });
    const work = path.join(ctx.tmpDir, `${this.id}-memsafe-${records}`);
    const runs = [];
    try {
      const input = await ctx.input(records);
      removeWork(work);
      let idle = 0;
      for (let attempt = 0; attempt <= maxReruns; attempt++) {
        ctx.log(`memsafe --max-memory ${maxMemory} · ${records} records · run ${attempt + 1}`);
        const result = await runOnce(ctx, memsafe, {
          records, input, work, server, concurrency: ctx.options.concurrency, keepWork: true,
          extraArgs: ['--max-memory', maxMemory],
        });
        result.failure = describeFailure(result, [0, HALTED]);
        ctx.log(`  exit ${result.exitCode ?? result.signal} · peak ${formatMb(result.peakRssBytes)} · ${result.requests} requests`);
        runs.push(result);
        if (result.exitCode !== HALTED || result.failure !== undefined) break;
        idle = result.requests === 0 ? idle + 1 : 0;
        if (idle >= MAX_IDLE_RUNS) break;
      }
    } finally {
      await server.stop();
      removeWork(work);
    }
    return { markdown: describe(runs, { records, maxMemory, maxMemoryBytes, responseBytes, maxReruns }) };
  },
};

function describe(runs, setup) {
  const first = runs[0];
  const last = runs.at(-1);
  const failure = runs.find((run) => run.failure !== undefined)?.failure;
  const peak = Math.max(...runs.map((run) => run.peakRssBytes ?? 0)) || undefined;
  const wallMs = runs.reduce((sum, run) => sum + run.wallMs, 0);
  const finished = last?.exitCode === 0;
  const reruns = runs.length - 1;
  const details = runs.slice(0, MAX_RUN_DETAILS).map((run) => `${run.exitCode ?? run.signal} · ${formatMb(run.peakRssBytes)}`);
  if (runs.length > MAX_RUN_DETAILS) details.push(`… ${runs.length - MAX_RUN_DETAILS} more`);
  const ratio = peak === undefined ? undefined : peak / setup.maxMemoryBytes;

  const headers = ['records', 'answer content', '--max-memory', 'first exit', 'reruns to finish', 'final exit', 'peak RSS, max of runs (VmHWM)', 'peak ÷ --max-memory', 'wall s, all runs', 'records/s, all runs', 'requests', 'runs (exit · peak)', 'note'];
  const row = [
    formatSize(setup.records),
    bytes.format(setup.responseBytes),
    setup.maxMemory,
    String(first?.exitCode ?? first?.signal ?? 'n/a'),
    finished ? String(reruns) : `not finished after ${reruns}`,
    String(last?.exitCode ?? last?.signal ?? 'n/a'),
    failure === undefined ? formatMb(peak) : 'n/a',
    failure === undefined ? formatRatio(ratio) : 'n/a',
    formatSeconds(wallMs),
    finished ? formatRate(setup.records / (wallMs / 1000)) : 'n/a',
    formatCount(runs.reduce((sum, run) => sum + run.requests, 0)),
    details.join(', '),
    failure ?? (finished ? '' : `stopped after ${runs.length} runs (limit ${setup.maxReruns} reruns or no progress)`),
  ];
  const targets = markdownTable(['target', 'measured', 'met'], [
    [`peak RSS within ${PEAK_TOLERANCE * 100}% of --max-memory (≤ ${formatMb(setup.maxMemoryBytes * (1 + PEAK_TOLERANCE))})`, failure === undefined ? formatMb(peak) : 'n/a', verdict(failure === undefined && ratio !== undefined ? ratio <= 1 + PEAK_TOLERANCE : undefined)],
    ['first run halts with exit 75 (breaker tripped)', String(first?.exitCode ?? 'n/a'), verdict(failure === undefined ? first?.exitCode === HALTED : undefined)],
    ['reruns of the same command finish the work (exit 0)', finished ? `${reruns} reruns` : 'not finished', verdict(failure === undefined ? finished : undefined)],
  ]);
  return `Answers of ${setup.responseBytes} bytes of content each; each rerun is the same command on the same checkpoint.\n\n${markdownTable(headers, [row])}\n\n${targets}`;
}
