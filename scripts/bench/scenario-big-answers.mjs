// Scenario "big-answers" (issue 11): half the chat answers 3 MB at --concurrency 32, --max-memory at memsafe's own
// baseline (its peak on the same command with tiny answers) + 60 MB, with and without content-length. Reports the
// peak RSS (VmHWM) against --max-memory, the reruns of the same command it takes to finish, and records/s.
import path from 'node:path';
import { describeFailure, runOnce } from './cell.mjs';
import { CONTENDERS, removeWork } from './contenders.mjs';
import { formatCount, formatMb, formatRate, formatRatio, formatSize, markdownTable, verdict } from './report.mjs';

const MB = 1024 * 1024;
const HALTED = 75;
const BIG_BYTES = 3 * MB;
const HEADROOM = 60 * MB;
const CONCURRENCY = 32;
const PEAK_TARGET = 1.05;
const MAX_RERUNS = 10;

export const bigAnswersScenario = {
  id: 'big-answers',
  title: 'memsafe with big answers (memory admission)',
  contenders: ['memsafe'],

  async run(ctx) {
    const records = ctx.options.bigAnswersRecords ?? (ctx.options.quick ? 300 : 2_000);
    const input = await ctx.input(records);
    const rows = [];
    for (const chunked of [false, true]) rows.push(await measureCase(ctx, input, records, chunked));
    const headers = ['answers', 'records', 'baseline peak', '--max-memory', 'peak RSS, max of runs (VmHWM)', 'peak ÷ --max-memory', 'reruns to finish', 'records/s, all runs', 'requests', 'runs (exit · peak)', 'note'];
    const table = rows.map((row) => [
      row.chunked ? 'chunked (no content-length)' : 'content-length',
      formatSize(records),
      formatMb(row.baseline),
      formatMb(row.maxMemory),
      formatMb(row.peak),
      formatRatio(row.peak / row.maxMemory),
      row.finished ? String(row.runs.length - 1) : `not finished after ${row.runs.length - 1}`,
      row.finished ? formatRate(records / (row.wallMs / 1000)) : 'n/a',
      formatCount(row.requests),
      row.runs.map((run) => `${run.exitCode ?? run.signal} · ${formatMb(run.peakRssBytes)}`).join(', '),
      row.failure ?? '',
    ]);
    const targets = markdownTable(['target', 'measured', 'met'], rows.map((row) => [
      `${row.chunked ? 'chunked' : 'content-length'}: peak ≤ ${PEAK_TARGET}× --max-memory and the work finishes`,
      `${formatRatio(row.peak / row.maxMemory)}, ${row.finished ? 'finished' : 'not finished'}`,
      verdict(row.failure === undefined ? row.peak <= row.maxMemory * PEAK_TARGET && row.finished : undefined),
    ]));
    const setup = `Every second answer has ${BIG_BYTES / MB} MB of content, the others 16 bytes; --concurrency ${CONCURRENCY}; --max-memory = memsafe's peak on the same command with tiny answers + ${HEADROOM / MB} MB; each rerun is the same command on the same checkpoint (exit 75 = halted at the breaker).`;
    return { markdown: `${setup}\n\n${markdownTable(headers, table)}\n\n${targets}` };
  },
};

async function measureCase(ctx, input, records, chunked) {
  const memsafe = CONTENDERS.memsafe;
  const tag = chunked ? 'chunked' : 'length';
  const tiny = await ctx.startServer({ chunked });
  const baselineWork = path.join(ctx.tmpDir, `big-answers-baseline-${tag}`);
  let baselineRun;
  try {
    ctx.log(`memsafe baseline (tiny answers, ${tag}) · ${records} records`);
    baselineRun = await runOnce(ctx, memsafe, { records, input, work: baselineWork, server: tiny, concurrency: CONCURRENCY });
  } finally {
    await tiny.stop();
  }
  const baseline = baselineRun.peakRssBytes ?? 0;
  const maxMemory = Math.ceil(baseline / MB) * MB + HEADROOM;
  const server = await ctx.startServer({ bigEvery: 2, bigResponseBytes: BIG_BYTES, chunked });
  const work = path.join(ctx.tmpDir, `big-answers-${tag}`);
  const runs = [];
  let failure = baselineRun.failure;
  try {
    removeWork(work);
    for (let attempt = 0; attempt <= MAX_RERUNS && failure === undefined; attempt++) {
      ctx.log(`memsafe big answers (${tag}) --max-memory ${formatMb(maxMemory)} · run ${attempt + 1}`);
      const result = await runOnce(ctx, memsafe, { records, input, work, server, concurrency: CONCURRENCY, keepWork: true, extraArgs: ['--max-memory', String(maxMemory)] });
      failure = describeFailure(result, [0, HALTED]);
      ctx.log(`  exit ${result.exitCode ?? result.signal} · peak ${formatMb(result.peakRssBytes)} · ${result.requests} requests`);
      runs.push(result);
      if (result.exitCode !== HALTED) break;
    }
  } finally {
    await server.stop();
    removeWork(work);
  }
  return {
    chunked,
    baseline,
    maxMemory,
    runs,
    failure,
    peak: Math.max(0, ...runs.map((run) => run.peakRssBytes ?? 0)),
    wallMs: runs.reduce((sum, run) => sum + run.wallMs, 0),
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    finished: runs.at(-1)?.exitCode === 0,
  };
}
