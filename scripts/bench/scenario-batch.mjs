// Scenario "batch" (issue 14): `--via batch --wait` against an in-process Files + Batches server (dist's mock).
// Records peak RSS (VmHWM of the memsafe process only) at 20k, 200k and 1M records, one 200 MB upload, and the
// time per batch file of each step: split (the input pass), upload, collect (download + commit).
// Run alone: `node scripts/bench/scenario-batch.mjs [--records 2000,20000] [--upload-mb 20] [--no-million]`.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { writeChatInput } from './input.mjs';
import { MEMSAFE_BIN, ROOT } from './contenders.mjs';
import { measureNode } from './measure.mjs';
import { formatMb, formatSeconds, formatSize, markdownTable, median, verdict } from './report.mjs';

const FULL_SIZES = [20_000, 200_000, 1_000_000];
const QUICK_SIZES = [2_000, 20_000];
const RSS_TARGET_BYTES = 150 * 1024 * 1024;
const KEY = 'sk-bench-local-not-a-key';

/** The dist mock Batch API on 127.0.0.1:0 in this process (memsafe's RSS is measured apart from it). */
async function startBatchApi() {
  const { MockBatches } = await import(pathToFileURL(path.join(ROOT, 'dist/provider/mock-batches.js')).href);
  const batches = new MockBatches({ validatingMs: 50, inProgressMs: 200, finalizingMs: 50 });
  const server = http.createServer((request, response) => void batches.handle(request, response).catch(() => response.destroy()));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}/v1`,
    stop: () => new Promise((resolve) => {
      server.close(() => resolve(undefined));
      server.closeAllConnections();
    }).then(() => batches.close()),
  };
}

/** `count` chat lines padded so that each is about `lineBytes` (for the 200 MB upload). */
async function writePaddedInput(file, count, lineBytes) {
  const out = fs.createWriteStream(file);
  for (let i = 0; i < count; i++) {
    const pad = 'x'.repeat(Math.max(0, lineBytes - 120));
    const line = `${JSON.stringify({ id: `big-${i}`, messages: [{ role: 'user', content: `Record ${i} ${pad}` }] })}\n`;
    if (!out.write(line)) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve) => out.end(resolve));
}

/** Log lines of one step, from the run's JSON log file. */
function stepTimes(logFile) {
  const steps = { split: [], upload: [], collect: [] };
  for (const text of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (text === '') continue;
    const line = JSON.parse(text);
    if (line.msg === 'input read') steps.split.push(line.ms);
    if (line.msg === 'batch file uploaded') steps.upload.push(line.ms);
    if (line.msg === 'batch collected') steps.collect.push(line.ms);
  }
  return steps;
}

async function runBatchJob(ctx, api, { input, work, maxRequests, records }) {
  const db = `${work}.memsafe.db`;
  const logFile = `${work}.log`;
  const args = [MEMSAFE_BIN, 'cache', '--input', input, '--db', db, '--provider', 'openai', '--base-url', api.baseUrl, '--model', 'bench',
    '--via', 'batch', '--wait', '--poll-interval', '200ms', '--batch-max-requests', String(maxRequests), '--no-progress', '--json', '--log-file', logFile];
  const result = await measureNode({ args, env: { ...ctx.childEnv, OPENAI_API_KEY: KEY }, timeoutMs: 120_000 + records * 5 });
  const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
  return { ...result, summary, steps: fs.existsSync(logFile) ? stepTimes(logFile) : { split: [], upload: [], collect: [] } };
}

export const batchScenario = {
  id: 'batch',
  title: 'memsafe --via batch: peak memory and time per batch file',
  contenders: ['memsafe'],

  async run(ctx) {
    const sizes = ctx.options.batchSizes ?? (ctx.options.quick ? QUICK_SIZES : FULL_SIZES);
    const uploadMb = ctx.options.batchUploadMb ?? (ctx.options.quick ? 20 : 200);
    const api = await startBatchApi();
    const rows = [];
    const peaks = new Map();
    try {
      for (const records of sizes) {
        const input = await ctx.input(records, 'chat');
        ctx.log(`memsafe --via batch · ${records} records`);
        const run = await runBatchJob(ctx, api, { input, work: path.join(ctx.tmpDir, `batch-${records}`), maxRequests: 50_000, records });
        peaks.set(records, run.peakRssBytes);
        rows.push(row(`${formatSize(records)} records`, records, run));
      }
      // One file at the byte cap: 50k lines of ~4 KB.
      const lines = Math.max(1, Math.floor((uploadMb * 1024 * 1024) / 4096));
      const big = path.join(ctx.tmpDir, `batch-upload-${uploadMb}mb.jsonl`);
      await writePaddedInput(big, lines, 4096);
      ctx.log(`memsafe --via batch · one ${uploadMb} MB upload (${lines} lines)`);
      const upload = await runBatchJob(ctx, api, { input: big, work: path.join(ctx.tmpDir, 'batch-upload'), maxRequests: 50_000, records: lines });
      rows.push(row(`${uploadMb} MB upload`, lines, upload));
    } finally {
      await api.stop();
    }
    const headers = ['job', 'records', 'exit', 'batches', 'peak RSS (VmHWM)', `< ${formatMb(RSS_TARGET_BYTES)}`, 'wall s', 'split s', 'upload s / file', 'collect s / file'];
    const [small, large] = [sizes[0], sizes[1]].map((size) => peaks.get(size));
    const flat = small !== undefined && large !== undefined ? `\n\nPeak RSS at ${formatSize(sizes[1])} is ${((large / small - 1) * 100).toFixed(1)}% above ${formatSize(sizes[0])} (target: within 10%: ${verdict(large <= small * 1.1)}).` : '';
    const caption = 'Local mock Batch API (batches finish within about 0.3 s), --wait --poll-interval 200ms, 50,000 requests per file. Split = the pass over the input that writes the batch files; collect = download of the output file and its commit into the checkpoint.';
    return { markdown: `${caption}\n\n${markdownTable(headers, rows)}${flat}` };
  },
};

function row(label, records, run) {
  const perFile = (values) => (values.length === 0 ? '—' : formatSeconds(median(values)));
  return [
    label, formatSize(records), String(run.exitCode ?? run.signal), String(run.summary.batches?.created ?? '—'),
    formatMb(run.peakRssBytes), verdict(run.peakRssBytes !== undefined && run.peakRssBytes < RSS_TARGET_BYTES),
    formatSeconds(run.wallMs), formatSeconds(run.steps.split.reduce((a, b) => a + b, 0)), perFile(run.steps.upload), perFile(run.steps.collect),
  ];
}

// Standalone: a small check of the scenario without the whole bench.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { records: { type: 'string' }, 'upload-mb': { type: 'string' } } });
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-bench-batch-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MEMSAFE_') && !key.startsWith('OPENAI_')));
  const ctx = {
    options: { quick: true, batchSizes: values.records?.split(',').map(Number), batchUploadMb: values['upload-mb'] === undefined ? undefined : Number(values['upload-mb']) },
    tmpDir,
    childEnv: env,
    log: (text) => process.stderr.write(`[bench] ${text}\n`),
    input: async (count) => {
      const file = path.join(tmpDir, `chat-${count}.jsonl`);
      if (!fs.existsSync(file)) await writeChatInput(file, count);
      return file;
    },
  };
  try {
    process.stdout.write(`${(await batchScenario.run(ctx)).markdown}\n`);
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}
