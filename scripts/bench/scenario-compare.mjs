// Scenario "compare" (issue 5): memsafe against scripts A and B on the same inputs and the same zero-latency
// server at 10k, 100k and 1M records, for chat (cache mode) and for embeddings (A sends one text per request,
// B and memsafe pack --embed-batch-size texts per request).
import path from 'node:path';
import { runCell } from './cell.mjs';
import { CONTENDERS, EMBEDDING_CONTENDERS, memsafeBuildWarning } from './contenders.mjs';
import { formatMb, formatPercent, formatRatio, formatSize, markdownTable, verdict } from './report.mjs';
import { RUN_HEADERS, ok, runCells, runNote, targetsTable } from './table.mjs';

const FULL_SIZES = [10_000, 100_000, 1_000_000];
const QUICK_SIZES = [2_000, 10_000];
const RSS_GROWTH_TARGET = 0.1;

const MODES = [
  { id: 'chat', kind: 'chat', title: 'chat', contenders: CONTENDERS },
  { id: 'embed', kind: 'text', title: 'embeddings', contenders: EMBEDDING_CONTENDERS },
];
/** `--only compare.<mode>-<contender>`, e.g. compare.chat-memsafe, compare.embed-load-all. */
const CONTENDER_IDS = MODES.flatMap((mode) => Object.keys(mode.contenders).map((id) => `${mode.id}-${id}`));

export const compareScenario = {
  id: 'compare',
  title: 'memsafe vs scripts A and B, chat and embeddings, 10k to 1M records',
  contenders: CONTENDER_IDS,

  async run(ctx) {
    const sizes = ctx.options.compareSizes ?? (ctx.options.quick ? QUICK_SIZES : FULL_SIZES);
    const server = await ctx.startServer({ responseBytes: 16, dimensions: ctx.options.dimensions });
    const results = new Map();
    try {
      for (const size of sizes) {
        for (const mode of MODES) {
          const wanted = Object.values(mode.contenders).filter((contender) => ctx.wants(this.id, `${mode.id}-${contender.id}`));
          if (wanted.length === 0) continue;
          const input = await ctx.input(size, mode.kind);
          for (const contender of wanted) {
            const params = {
              records: size, input, server, concurrency: ctx.options.concurrency,
              batchSize: mode.id === 'embed' ? ctx.options.embedBatchSize : undefined,
              work: path.join(ctx.tmpDir, `${this.id}-${mode.id}-${contender.id}-${size}`),
            };
            results.set(`${mode.id}-${contender.id}:${size}`, await runCell(ctx, contender, params, ctx.options.runs));
          }
        }
      }
    } finally {
      await server.stop();
    }
    const warning = ctx.options.memsafeBin === undefined ? memsafeBuildWarning() : undefined;
    const parts = [];
    for (const mode of MODES) {
      const rows = [];
      for (const size of sizes) {
        for (const contender of Object.values(mode.contenders)) {
          const result = results.get(`${mode.id}-${contender.id}:${size}`);
          if (result !== undefined) rows.push([contender.label, formatSize(size), ...runCells(result), runNote(result)]);
        }
      }
      if (rows.length > 0) parts.push(`**${mode.title}**\n\n${markdownTable(['contender', 'records', ...RUN_HEADERS, 'note'], rows)}`);
    }
    const caption = `Concurrency ${ctx.options.concurrency}, zero-latency local server, ${ctx.options.runs === 1 ? 'one run per cell' : `median of ${ctx.options.runs} runs per cell`}; embeddings: ${ctx.options.dimensions}-dimension vectors, memsafe and script B pack ${ctx.options.embedBatchSize} texts per request, script A sends one text per request.`;
    return {
      markdown: [caption, ...parts, targets(sizes, results), warning === undefined ? '' : `> Warning: ${warning}.`]
        .filter((part) => part !== '').join('\n\n'),
    };
  },
};

function targets(sizes, results) {
  const rows = [];
  const small = Math.min(...sizes);
  const large = Math.max(...sizes);
  for (const mode of MODES) {
    const first = ok(results.get(`${mode.id}-memsafe:${small}`));
    const last = ok(results.get(`${mode.id}-memsafe:${large}`));
    if (sizes.length > 1 && results.has(`${mode.id}-memsafe:${small}`) && results.has(`${mode.id}-memsafe:${large}`)) {
      const growth = first !== undefined && last !== undefined ? last.peakRssBytes / first.peakRssBytes - 1 : undefined;
      rows.push([
        `${mode.title}: memsafe peak RSS at ${formatSize(large)} within ${RSS_GROWTH_TARGET * 100}% of ${formatSize(small)}`,
        growth === undefined ? 'n/a' : `${formatPercent(growth)} (${formatMb(first.peakRssBytes)} → ${formatMb(last.peakRssBytes)})`,
        verdict(growth === undefined ? undefined : growth <= RSS_GROWTH_TARGET),
      ]);
    }
    for (const size of sizes) {
      const mine = ok(results.get(`${mode.id}-memsafe:${size}`))?.recordsPerSecond;
      for (const [baseline, name] of [['stream', 'script A'], ['load-all', 'script B']]) {
        if (!results.has(`${mode.id}-memsafe:${size}`) || !results.has(`${mode.id}-${baseline}:${size}`)) continue;
        const theirs = ok(results.get(`${mode.id}-${baseline}:${size}`))?.recordsPerSecond;
        const ratio = mine !== undefined && theirs !== undefined ? mine / theirs : undefined;
        rows.push([`${mode.title}: memsafe faster than ${name} at ${formatSize(size)}`, formatRatio(ratio), verdict(ratio === undefined ? undefined : ratio > 1)]);
      }
    }
  }
  return targetsTable(rows);
}
