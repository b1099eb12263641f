// Scenario "embeddings" (issue 3): memsafe embeddings, packed (--batch-size 64 texts per request) against
// one text per request (--batch-size 1), on the same generated texts and the same server answering
// --dimensions-sized vectors. Shows what packing buys in texts/s and what it costs in memory.
import path from 'node:path';
import { runCell } from './cell.mjs';
import { EMBEDDING_CONTENDERS } from './contenders.mjs';
import { formatMb, formatPercent, formatRatio, formatSize, markdownTable } from './report.mjs';
import { RUN_HEADERS, ok, runCells, runNote } from './table.mjs';

const FULL_SIZES = [20_000, 200_000];
const QUICK_SIZES = [2_000, 10_000];

export const embeddingsScenario = {
  id: 'embeddings',
  title: 'memsafe embeddings: packed vs one text per request',
  contenders: ['packed', 'single'],

  async run(ctx) {
    const sizes = ctx.options.embeddingsSizes ?? (ctx.options.quick ? QUICK_SIZES : FULL_SIZES);
    const variants = [
      { id: 'packed', label: `memsafe embeddings --batch-size ${ctx.options.embedBatchSize}`, batchSize: ctx.options.embedBatchSize },
      { id: 'single', label: 'memsafe embeddings --batch-size 1', batchSize: 1 },
    ].filter((variant) => ctx.wants(this.id, variant.id));
    const server = await ctx.startServer({ responseBytes: 16, dimensions: ctx.options.dimensions });
    const results = new Map();
    try {
      for (const size of sizes) {
        const input = await ctx.input(size, 'text');
        for (const variant of variants) {
          const params = {
            records: size, input, server, concurrency: ctx.options.concurrency, batchSize: variant.batchSize,
            work: path.join(ctx.tmpDir, `${this.id}-${variant.id}-${size}`),
          };
          results.set(`${variant.id}:${size}`, await runCell(ctx, { ...EMBEDDING_CONTENDERS.memsafe, id: variant.id }, params, ctx.options.runs));
        }
      }
    } finally {
      await server.stop();
    }
    const rows = [];
    for (const size of sizes) {
      for (const variant of variants) {
        const result = results.get(`${variant.id}:${size}`);
        rows.push([variant.label, formatSize(size), ...runCells(result), runNote(result)]);
      }
    }
    const caption = `${ctx.options.dimensions}-dimension vectors, concurrency ${ctx.options.concurrency}, zero-latency local server; records/s = texts stored per second (one text per record); requests = requests the server answered.`;
    return { markdown: `${caption}\n\n${markdownTable(['run', 'texts', ...RUN_HEADERS, 'note'], rows)}\n\n${packingTable(sizes, results)}` };
  },
};

function packingTable(sizes, results) {
  const rows = [];
  for (const size of sizes) {
    const packed = ok(results.get(`packed:${size}`));
    const single = ok(results.get(`single:${size}`));
    if (packed === undefined || single === undefined) continue;
    rows.push([
      formatSize(size),
      formatRatio(packed.recordsPerSecond / single.recordsPerSecond),
      formatRatio(single.requests / packed.requests),
      `${formatMb(packed.peakRssBytes)} vs ${formatMb(single.peakRssBytes)}`,
    ]);
  }
  const small = Math.min(...sizes);
  const large = Math.max(...sizes);
  const smallPacked = ok(results.get(`packed:${small}`));
  const largePacked = ok(results.get(`packed:${large}`));
  const growth = sizes.length > 1 && smallPacked !== undefined && largePacked !== undefined
    ? `Packed peak RSS from ${formatSize(small)} to ${formatSize(large)} texts: ${formatPercent(largePacked.peakRssBytes / smallPacked.peakRssBytes - 1)}.`
    : '';
  if (rows.length === 0) return growth;
  return `${markdownTable(['texts', 'packing speedup (texts/s)', 'fewer requests', 'peak RSS packed vs single'], rows)}\n\n${growth}`.trim();
}
