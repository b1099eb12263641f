// Scenario "resume" (issue 5): how fast a rerun gets through a checkpoint in which every record is already
// committed (it must send nothing and skip every record). memsafe first fills a checkpoint of N records
// against the zero-latency server (reported as "fill"), then the same command runs again on it.
import fs from 'node:fs';
import path from 'node:path';
import { runCell, runOnce } from './cell.mjs';
import { CONTENDERS, removeWork } from './contenders.mjs';
import { formatCount, formatMb, formatRate, formatSeconds, formatSize, markdownTable } from './report.mjs';
import { ok } from './table.mjs';

const FULL_RECORDS = 1_000_000;
const QUICK_RECORDS = 10_000;
const RERUNS = 3;

export const resumeScenario = {
  id: 'resume',
  title: 'memsafe resume: rerun over a fully committed checkpoint',
  contenders: ['memsafe'],

  async run(ctx) {
    const records = ctx.options.resumeRecords ?? (ctx.options.quick ? QUICK_RECORDS : FULL_RECORDS);
    const reruns = Math.max(RERUNS, ctx.options.runs);
    const server = await ctx.startServer({ responseBytes: 16 });
    const work = path.join(ctx.tmpDir, `${this.id}-memsafe-${records}`);
    let fill;
    let rerun;
    let dbBytes;
    try {
      const input = await ctx.input(records, 'chat');
      const params = { records, input, server, concurrency: ctx.options.concurrency, work, keepWork: true };
      removeWork(work);
      ctx.log(`memsafe fill · ${records} records`);
      fill = await runOnce(ctx, CONTENDERS.memsafe, params);
      ctx.log(`  exit ${fill.exitCode ?? fill.signal} · ${formatSeconds(fill.wallMs)} s`);
      dbBytes = checkpointBytes(work);
      if (ok(fill) !== undefined) rerun = await runCell(ctx, { ...CONTENDERS.memsafe, id: 'memsafe rerun' }, params, reruns);
    } finally {
      await server.stop();
      removeWork(work);
    }
    const headers = ['run', 'records', 'records/s', 'peak RSS (VmHWM)', 'peak RSS (self-reported)', 'wall s', 'CPU s', 'requests sent', 'done', 'skipped', 'note'];
    const row = (label, result, rate) => [
      label, formatSize(records),
      result.failure === undefined ? formatRate(rate) : 'n/a',
      result.failure === undefined ? formatMb(result.peakRssBytes) : 'n/a',
      result.selfPeakRssBytes === undefined ? '—' : formatMb(result.selfPeakRssBytes),
      formatSeconds(result.wallMs), formatSeconds(result.cpuMs), formatCount(result.requests),
      formatCount(result.done), formatCount(result.skipped),
      result.failure ?? (result.runs > 1 ? `median of ${result.runs}` : ''),
    ];
    const rows = [row('fill (fresh checkpoint)', fill, fill.recordsPerSecond)];
    if (rerun !== undefined) rows.push(row('rerun (all committed): skipped/s', rerun, rerun.skippedPerSecond));
    const caption = `Concurrency ${ctx.options.concurrency}, zero-latency local server. The rerun is the same command on the filled checkpoint (${formatMb(dbBytes)} on disk with its WAL); its records/s = records skipped ÷ wall time, start-up included; ${reruns} reruns, medians.`;
    const check = rerun !== undefined && ok(rerun) !== undefined && (rerun.requests !== 0 || rerun.skipped !== records)
      ? `\n\n> Check failed: the rerun sent ${rerun.requests} requests and skipped ${rerun.skipped} of ${records} records.`
      : '';
    return { markdown: `${caption}\n\n${markdownTable(headers, rows)}${check}` };
  },
};

function checkpointBytes(work) {
  const dir = path.dirname(work);
  const base = path.basename(work);
  let total = 0;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(`${base}.memsafe.db`)) total += fs.statSync(path.join(dir, name)).size;
  }
  return total;
}
