// Scenario "cache": memsafe cache against the two SDK scripts, same generated chat inputs, same
// zero-latency server (in its own process), for each input size.
import path from 'node:path';
import { runCell } from './cell.mjs';
import { CONTENDERS, memsafeBuildWarning } from './contenders.mjs';
import { runCells, runNote } from './table.mjs';
import {
  formatMb, formatPercent, formatRatio, formatSize, markdownTable, verdict,
} from './report.mjs';

const FULL_SIZES = [50_000, 500_000];
const QUICK_SIZES = [2_000, 10_000];
const MB = 1024 * 1024;
const RSS_GROWTH_TARGET = 0.15;
const RSS_CEILING_BYTES = 150 * MB;
const SPEEDUP_OVER_STREAM = 4;
const SPEEDUP_OVER_LOAD_ALL = 2;

export const cacheScenario = {
  id: 'cache',
  title: 'memsafe cache vs scripts',
  contenders: Object.keys(CONTENDERS),

  async run(ctx) {
    const sizes = ctx.options.sizes ?? (ctx.options.quick ? QUICK_SIZES : FULL_SIZES);
    const contenders = Object.values(CONTENDERS).filter((contender) => ctx.wants(this.id, contender.id));
    const server = await ctx.startServer({ responseBytes: 16 });
    /** @type {Map<string, object>} key `${contender.id}:${size}` */
    const results = new Map();
    try {
      for (const size of sizes) {
        const input = await ctx.input(size);
        for (const contender of contenders) {
          const params = {
            records: size,
            input,
            work: path.join(ctx.tmpDir, `${this.id}-${contender.id}-${size}`),
            server,
            concurrency: ctx.options.concurrency,
          };
          results.set(`${contender.id}:${size}`, await runCell(ctx, contender, params, ctx.options.runs));
        }
      }
    } finally {
      await server.stop();
    }
    const measuresBuild = ctx.options.memsafeBin === undefined && contenders.some((contender) => contender.id === 'memsafe');
    const warning = measuresBuild ? memsafeBuildWarning() : undefined;
    return {
      markdown: [
        resultsTable(sizes, contenders, results, ctx.options),
        targetsTable(sizes, results),
        warning === undefined ? '' : `> Warning: ${warning}.`,
      ].filter((part) => part !== '').join('\n\n'),
    };
  },
};

function resultsTable(sizes, contenders, results, options) {
  const headers = ['contender', 'records', 'records/s', 'peak RSS (VmHWM)', 'peak RSS (self-reported)', 'wall s', 'CPU s', 'server CPU s', 'requests', 'done', 'note'];
  const rows = [];
  for (const size of sizes) {
    for (const contender of contenders) {
      const result = results.get(`${contender.id}:${size}`);
      if (result === undefined) continue;
      rows.push([contender.label, formatSize(size), ...runCells(result), runNote(result)]);
    }
  }
  const caption = `Concurrency ${options.concurrency}, zero-latency local server, ${options.runs === 1 ? 'one run per cell' : `median of ${options.runs} runs per cell`}.`;
  return `${caption}\n\n${markdownTable(headers, rows)}`;
}

function ok(result) {
  return result !== undefined && result.failure === undefined ? result : undefined;
}

function targetsTable(sizes, results) {
  const rows = [];
  const small = Math.min(...sizes);
  const large = Math.max(...sizes);
  const memsafeSmall = ok(results.get(`memsafe:${small}`));
  const memsafeLarge = ok(results.get(`memsafe:${large}`));
  if (sizes.length > 1 && results.has(`memsafe:${small}`)) {
    const growth = memsafeSmall?.peakRssBytes !== undefined && memsafeLarge?.peakRssBytes !== undefined
      ? memsafeLarge.peakRssBytes / memsafeSmall.peakRssBytes - 1
      : undefined;
    rows.push([
      `memsafe peak RSS at ${formatSize(large)} within ${RSS_GROWTH_TARGET * 100}% of ${formatSize(small)}`,
      formatPercent(growth),
      verdict(growth === undefined ? undefined : growth <= RSS_GROWTH_TARGET),
    ]);
  }
  if (results.has(`memsafe:${large}`)) {
    const peak = memsafeLarge?.peakRssBytes;
    rows.push([
      `memsafe peak RSS at ${formatSize(large)} under ${RSS_CEILING_BYTES / MB} MB`,
      formatMb(peak),
      verdict(peak === undefined ? undefined : peak < RSS_CEILING_BYTES),
    ]);
  }
  for (const [baseline, factor, name] of [['stream', SPEEDUP_OVER_STREAM, 'script A'], ['load-all', SPEEDUP_OVER_LOAD_ALL, 'script B']]) {
    for (const size of sizes) {
      if (!results.has(`memsafe:${size}`) || !results.has(`${baseline}:${size}`)) continue;
      const mine = ok(results.get(`memsafe:${size}`))?.recordsPerSecond;
      const theirs = ok(results.get(`${baseline}:${size}`))?.recordsPerSecond;
      const speedup = mine !== undefined && theirs !== undefined ? mine / theirs : undefined;
      rows.push([
        `memsafe records/s ≥ ${factor}× ${name} at ${formatSize(size)}`,
        formatRatio(speedup),
        verdict(speedup === undefined ? undefined : speedup >= factor),
      ]);
    }
  }
  return rows.length === 0 ? '' : markdownTable(['target', 'measured', 'met'], rows);
}
