// Scenario "latency" (issue 5): every contender against a server that answers each request after
// --latency-ms (50 ms), at --latency-concurrency (64). By Little's law no client can complete more than
// concurrency ÷ latency requests per second (64 ÷ 0.05 s = 1280/s); the table gives each contender's
// throughput as a fraction of that bound, the mean number in flight that implies (rate × latency), and how
// often the server, polled every 100 ms, saw the full concurrency in flight.
import path from 'node:path';
import { runCell } from './cell.mjs';
import { CONTENDERS } from './contenders.mjs';
import { formatCount, formatPercent, formatRate, formatSize, markdownTable, verdict } from './report.mjs';
import { RUN_HEADERS, ok, runCells, runNote, targetsTable } from './table.mjs';

const FULL_RECORDS = 50_000;
const QUICK_RECORDS = 3_000;
const BOUND_FRACTION_TARGET = 0.9;
const INFLIGHT_POLL_MS = 100;

export const latencyScenario = {
  id: 'latency',
  title: "Throughput against a 50 ms server: fraction of the Little's-law bound",
  contenders: Object.keys(CONTENDERS),

  async run(ctx) {
    const { latencyMs, latencyConcurrency: concurrency } = ctx.options;
    const records = ctx.options.latencyRecords ?? (ctx.options.quick ? QUICK_RECORDS : FULL_RECORDS);
    const bound = concurrency / (latencyMs / 1000);
    const contenders = Object.values(CONTENDERS).filter((contender) => ctx.wants(this.id, contender.id));
    const server = await ctx.startServer({ responseBytes: 16, latencyMs });
    const results = new Map();
    try {
      const input = await ctx.input(records, 'chat');
      for (const contender of contenders) {
        const params = {
          records, input, server, concurrency, sampleInflightMs: INFLIGHT_POLL_MS,
          work: path.join(ctx.tmpDir, `${this.id}-${contender.id}-${records}`),
        };
        results.set(contender.id, await runCell(ctx, contender, params, ctx.options.runs));
      }
    } finally {
      await server.stop();
    }
    const rows = contenders.map((contender) => {
      const result = results.get(contender.id);
      const good = ok(result);
      const selfRate = good?.selfElapsedMs === undefined ? undefined : good.done / (good.selfElapsedMs / 1000);
      return [
        contender.label, formatSize(records), ...runCells(result),
        good === undefined ? 'n/a' : fraction(good.recordsPerSecond / bound),
        selfRate === undefined ? '—' : `${formatRate(selfRate)} (${fraction(selfRate / bound)})`,
        good === undefined ? 'n/a' : (good.recordsPerSecond * (latencyMs / 1000)).toFixed(1),
        fullShare(result.inflightSamples, concurrency),
        formatCount(result.maxInflight),
        runNote(result),
      ];
    });
    const headers = ['contender', 'records', ...RUN_HEADERS, 'of bound (wall)', 'records/s by its own clock (of bound)', 'mean in flight (records/s × latency)', `polls with ${concurrency} in flight`, 'most in flight', 'note'];
    const memsafe = ok(results.get('memsafe'));
    const achieved = memsafe === undefined ? undefined : memsafe.recordsPerSecond / bound;
    const targetRows = results.has('memsafe')
      ? [[`memsafe ≥ ${BOUND_FRACTION_TARGET * 100}% of ${formatRate(bound)} req/s`, achieved === undefined ? 'n/a' : `${formatRate(memsafe.recordsPerSecond)}/s = ${fraction(achieved)}`, verdict(achieved === undefined ? undefined : achieved >= BOUND_FRACTION_TARGET)]]
      : [];
    const caption = `Server latency ${latencyMs} ms per request, concurrency ${concurrency}: bound ${concurrency} ÷ ${latencyMs / 1000} s = ${formatRate(bound)} requests/s (one request per record). "of bound (wall)" uses records/s over the whole process life (start-up included); "its own clock" uses memsafe's elapsed_ms; "most in flight" is the server's count; the server's in-flight count is also polled every ${INFLIGHT_POLL_MS} ms.`;
    return { markdown: [caption, markdownTable(headers, rows), targetsTable(targetRows)].filter((part) => part !== '').join('\n\n') };
  },
};

function fraction(ratio) {
  return ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : formatPercent(ratio).replace(/^\+/, '');
}

/** Share of the polls that found every slot busy, e.g. "71% (15% under half)". */
function fullShare(samples, concurrency) {
  if (samples === undefined || samples.length === 0) return 'n/a';
  const full = samples.filter((count) => count >= concurrency).length / samples.length;
  const underHalf = samples.filter((count) => count < concurrency / 2).length / samples.length;
  return `${(full * 100).toFixed(0)}% (${(underHalf * 100).toFixed(0)}% under half)`;
}
