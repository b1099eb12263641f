// One cell of a results table: a contender run on one input (or several runs, reported by their median),
// measured from outside, with the server's share of requests and CPU over the same interval.
import { clearInterval, setInterval } from 'node:timers';
import { measureNode } from './measure.mjs';
import { median, stderrSummary } from './report.mjs';
import { removeWork } from './contenders.mjs';

/**
 * @param {object} ctx the bench context (bench.mjs)
 * @param {object} contender one of CONTENDERS
 * @param {{records: number, input: string, work: string, server: object, concurrency: number, batchSize?: number, extraArgs?: string[], keepWork?: boolean, sampleInflightMs?: number}} params
 * With sampleInflightMs, the server's count of requests in flight is read at that interval during the run.
 */
export async function runOnce(ctx, contender, params) {
  if (!params.keepWork) removeWork(params.work);
  const statsBefore = await params.server.resetPeak();
  const serverCpuBefore = params.server.cpuMs();
  const inflightSamples = [];
  const sampler = params.sampleInflightMs === undefined ? undefined : setInterval(() => {
    params.server.stats().then((stats) => inflightSamples.push(stats.inflight), () => {});
  }, params.sampleInflightMs);
  const measured = await measureNode({
    args: contender.args({
      input: params.input,
      work: params.work,
      baseUrl: params.server.baseUrl,
      concurrency: params.concurrency,
      batchSize: params.batchSize,
      extraArgs: params.extraArgs,
      memsafeBin: ctx.options.memsafeBin,
    }),
    cwd: ctx.tmpDir,
    env: ctx.childEnv,
    timeoutMs: ctx.cellTimeoutMs(params.records),
    onSpawn: ctx.track,
  });
  if (sampler !== undefined) clearInterval(sampler);
  const statsAfter = await params.server.stats();
  const serverCpuAfter = params.server.cpuMs();
  const summary = contender.summary(measured.stdout);
  if (!params.keepWork) removeWork(params.work);
  return {
    ...measured,
    ...summary,
    requests: statsAfter.requests - statsBefore.requests,
    texts: statsAfter.texts - statsBefore.texts,
    maxInflight: statsAfter.maxInflight,
    inflightSamples,
    serverCpuMs: serverCpuAfter !== undefined && serverCpuBefore !== undefined ? serverCpuAfter - serverCpuBefore : undefined,
    recordsPerSecond: summary.done === undefined ? undefined : summary.done / (measured.wallMs / 1000),
    skippedPerSecond: summary.skipped === undefined ? undefined : summary.skipped / (measured.wallMs / 1000),
    failure: describeFailure(measured),
  };
}

/** Runs a cell `runs` times; a failed run makes the cell fail, otherwise each number is the median. */
export async function runCell(ctx, contender, params, runs) {
  const results = [];
  for (let run = 1; run <= runs; run++) {
    ctx.log(`${contender.id} · ${params.records} records · run ${run}/${runs}`);
    const result = await runOnce(ctx, contender, params);
    ctx.log(`  exit ${result.exitCode ?? result.signal} · ${(result.wallMs / 1000).toFixed(1)} s · peak ${((result.peakRssBytes ?? 0) / 1048576).toFixed(1)} MB`);
    results.push(result);
    if (result.failure !== undefined) return result;
  }
  if (results.length === 1) return results[0];
  const pick = (key) => median(results.map((result) => result[key]));
  return {
    ...results[0],
    wallMs: pick('wallMs'),
    peakRssBytes: pick('peakRssBytes'),
    selfPeakRssBytes: pick('selfPeakRssBytes'),
    cpuMs: pick('cpuMs'),
    serverCpuMs: pick('serverCpuMs'),
    recordsPerSecond: pick('recordsPerSecond'),
    skippedPerSecond: pick('skippedPerSecond'),
    runs: results.length,
  };
}

/** Undefined for a clean exit 0; otherwise the exit code and the last line of stderr. */
export function describeFailure(measured, expectedExitCodes = [0]) {
  if (measured.spawnError !== undefined) return `could not start: ${measured.spawnError}`;
  if (!measured.timedOut && expectedExitCodes.includes(measured.exitCode)) return undefined;
  const how = measured.timedOut ? 'timed out, killed' : measured.exitCode === null ? `signal ${measured.signal}` : `exit ${measured.exitCode}`;
  const why = stderrSummary(measured.stderrTail);
  return why === '' ? how : `${how}: ${why}`;
}
