// Scenario "ceiling" (issue 5): what a load generator gets from the zero-latency server at the bench
// concurrency (the most any client could get on this machine), then memsafe cache at the same concurrency
// against the same server; memsafe's records/s as a fraction of the load generator's requests/s.
import path from 'node:path';
import { runCell } from './cell.mjs';
import { CONTENDERS } from './contenders.mjs';
import { chatLine } from './input.mjs';
import { runLoadGenerator } from './load-tools.mjs';
import { formatCount, formatPercent, formatRate, formatSeconds, formatSize, markdownTable } from './report.mjs';
import { RUN_HEADERS, ok, runCells, runNote } from './table.mjs';

const FULL_RECORDS = 100_000;
const QUICK_RECORDS = 10_000;
const FULL_LOAD_MS = 10_000;
const QUICK_LOAD_MS = 3_000;

export const ceilingScenario = {
  id: 'ceiling',
  title: 'memsafe against a load generator on the same zero-latency server',
  contenders: ['memsafe'],

  async run(ctx) {
    const { concurrency } = ctx.options;
    const records = ctx.options.ceilingRecords ?? (ctx.options.quick ? QUICK_RECORDS : FULL_RECORDS);
    const durationMs = ctx.options.loadDurationMs ?? (ctx.options.quick ? QUICK_LOAD_MS : FULL_LOAD_MS);
    const tools = ctx.options.loadGenerator === 'auto' ? ['autocannon', 'builtin'] : [ctx.options.loadGenerator];
    const server = await ctx.startServer({ responseBytes: 16 });
    const loads = [];
    let memsafe;
    try {
      // The request a memsafe run sends for the first record, as the load generator's body.
      const record = JSON.parse(chatLine(1));
      const body = JSON.stringify({ model: 'bench', messages: record.messages });
      for (const tool of tools) {
        ctx.log(`load generator ${tool} · ${concurrency} connections · ${durationMs / 1000} s`);
        const serverCpuBefore = server.cpuMs();
        const statsBefore = await server.stats();
        const load = await runLoadGenerator({ tool, url: `${server.baseUrl}/chat/completions`, body, connections: concurrency, durationMs, onSpawn: ctx.track });
        load.serverCpuMs = server.cpuMs() - serverCpuBefore;
        load.serverRequests = (await server.stats()).requests - statsBefore.requests;
        ctx.log(`  ${load.failure ?? `${formatRate(load.requestsPerSecond)} req/s`}`);
        loads.push(load);
      }
      const input = await ctx.input(records, 'chat');
      const params = { records, input, server, concurrency, work: path.join(ctx.tmpDir, `${this.id}-memsafe-${records}`) };
      memsafe = await runCell(ctx, CONTENDERS.memsafe, params, ctx.options.runs);
    } finally {
      await server.stop();
    }
    const loadRows = loads.map((load) => [
      load.tool === 'autocannon' ? 'autocannon 8' : 'built-in (scripts/bench/load-generator.mjs)',
      load.failure === undefined ? formatRate(load.requestsPerSecond) : 'n/a',
      formatCount(load.requests), formatCount(load.serverRequests), formatCount(load.errors), formatSeconds(load.durationMs), formatSeconds(load.serverCpuMs),
      ok(memsafe) === undefined || load.failure !== undefined ? 'n/a' : formatPercent(memsafe.recordsPerSecond / load.requestsPerSecond).replace(/^\+/, ''),
      load.failure ?? '',
    ]);
    const caption = `Concurrency ${concurrency} everywhere (connections of the load generator, --concurrency of memsafe), zero-latency local server, same request body. The load generator runs for ${durationMs / 1000} s; memsafe on ${formatSize(records)} records.`;
    return {
      markdown: [
        caption,
        markdownTable(['load generator', 'requests/s', 'requests', 'requests (server count)', 'errors', 'wall s', 'server CPU s', 'memsafe records/s as a fraction', 'note'], loadRows),
        markdownTable(['contender', 'records', ...RUN_HEADERS, 'note'], [[CONTENDERS.memsafe.label, formatSize(records), ...runCells(memsafe), runNote(memsafe)]]),
      ].join('\n\n'),
    };
  },
};
