// Scenario "ratelimit" (issue 12): memsafe, script A (the SDK's per-request retries) and a cookbook-style global
// pause, side by side against nginx limit_req at 300 and 1000 r/s (with and without Retry-After: 1), an
// OpenAI-style server that sends x-ratelimit-* on every answer, and a server that sheds a random 5% with
// 429 + Retry-After: 1 (compared with the same server without faults). Goodput is records done per wall second,
// as a share of the limit; refused is the share of requests answered 429. The upstream answers in 20 ms.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { lastJson, MEMSAFE_BIN, ROOT } from './contenders.mjs';
import { startNginxLimiter, nginxBinary } from './nginx-limiter.mjs';
import { startRateLimitServer } from './ratelimit-server.mjs';
import { formatRate, markdownTable } from './report.mjs';

const FULL_RECORDS = 6000;
const QUICK_RECORDS = 1000;
const CONCURRENCY = 64;
const UPSTREAM_LATENCY_MS = 20;
/** The cookbook pauses 15 s after a 429; a quick run pauses 2 s so it ends. */
const COOKBOOK_PAUSE_MS = 15_000;
const QUICK_PAUSE_MS = 2_000;
const BASELINE = path.join(ROOT, 'scripts/bench/baseline-ratelimit.mjs');

const CONTENDER_IDS = ['memsafe', 'sdk', 'pause'];
const LABELS = { memsafe: 'memsafe cache', sdk: 'script A: SDK per-request retries', pause: 'cookbook-style global pause' };

function argsOf(id, { input, work, url, pauseMs }) {
  if (id === 'memsafe') {
    return [MEMSAFE_BIN, 'cache', '--input', input, '--db', path.join(work, 'run.db'), '--base-url', `${url}/v1`, '--model', 'bench',
      '--concurrency', String(CONCURRENCY), '--max-retries', '30', '--no-progress', '--log-level', 'error', '--json'];
  }
  return [BASELINE, '--mode', id, '--input', input, '--output', path.join(work, 'out.jsonl'), '--base-url', `${url}/v1`,
    '--concurrency', String(CONCURRENCY), '--pause-ms', String(pauseMs)];
}

async function runContender(ctx, id, params, records) {
  fs.mkdirSync(params.work, { recursive: true });
  const started = performance.now();
  const child = spawn(process.execPath, argsOf(id, params), { env: ctx.childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  ctx.track(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), ctx.cellTimeoutMs(records));
  const code = await new Promise((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  const wallMs = performance.now() - started;
  fs.rmSync(params.work, { recursive: true, force: true });
  const summary = lastJson(stdout);
  if (summary === undefined) return { failure: `exit ${code}: ${stderr.trim().split('\n').pop() ?? ''}`.slice(0, 120), wallMs };
  const done = id === 'memsafe' ? summary.records.done : summary.done;
  const requests = summary.requests;
  const refused = id === 'memsafe' ? summary.rate_limited : summary.refused;
  return { done, requests, refused, wallMs, code };
}

/** Limited cases run 20 s at the limit (the 6,000 at 300 r/s and 20,000 at 1,000 r/s). */
const SECONDS_AT_LIMIT = 20;
/** The shedding pair runs at the 6,000 records and at a size where the retry tail is a small part. */
const LONG_SHED_RECORDS = 30_000;

function cases(quick, records) {
  const sized = (rate) => records ?? (quick ? QUICK_RECORDS : rate * SECONDS_AT_LIMIT);
  const nginx = [300, 1000].flatMap((rate) => [undefined, 1].map((retryAfter) => ({
    id: `nginx ${rate} r/s${retryAfter === undefined ? '' : ', Retry-After: 1'}`, kind: 'nginx', rate, retryAfter, records: sized(rate),
  })));
  const shedSizes = records !== undefined ? [records] : quick ? [QUICK_RECORDS] : [FULL_RECORDS, LONG_SHED_RECORDS];
  const all = [
    ...nginx,
    { id: 'x-ratelimit-* server 300 r/s', kind: 'headers', rate: 300, records: sized(300) },
    ...shedSizes.flatMap((size) => [
      { id: `random 5% 429 + Retry-After: 1, ${size} records`, kind: 'shed', share: 0.05, records: size },
      { id: `same server, no faults, ${size} records`, kind: 'shed', share: 0, records: size },
    ]),
  ];
  return quick ? all.filter((c) => c.kind !== 'nginx' || c.rate === 300) : all;
}

async function startCase(c) {
  if (c.kind === 'nginx') {
    const upstream = await startRateLimitServer({ kind: 'shed', share: 0, latencyMs: UPSTREAM_LATENCY_MS });
    const limiter = await startNginxLimiter(upstream.url, { ratePerSecond: c.rate, ...(c.retryAfter === undefined ? {} : { retryAfterSeconds: c.retryAfter }) });
    return { url: limiter.url, stop: async () => { await limiter.stop(); await upstream.close(); } };
  }
  const server = await startRateLimitServer({ kind: c.kind, ratePerSecond: c.rate, share: c.share, latencyMs: UPSTREAM_LATENCY_MS });
  return { url: server.url, stop: () => server.close() };
}

export const ratelimitScenario = {
  id: 'ratelimit',
  title: 'rate limits: nginx limit_req, x-ratelimit-* headers, random 429 shedding',
  contenders: CONTENDER_IDS,

  async run(ctx) {
    const quick = ctx.options.quick;
    const pauseMs = quick ? QUICK_PAUSE_MS : COOKBOOK_PAUSE_MS;
    const rows = [];
    const unfaulted = new Map();
    const shed = new Map();
    for (const c of cases(quick, ctx.options.ratelimitRecords)) {
      const records = c.records;
      const input = await ctx.input(records, 'chat');
      if (c.kind === 'nginx' && nginxBinary() === null) {
        rows.push([c.id, 'all', 'n/a', 'n/a', 'n/a', 'n/a', 'nginx is not installed (scripts/ci/ensure-nginx.sh)']);
        continue;
      }
      for (const id of CONTENDER_IDS) {
        if (!ctx.wants(this.id, id)) continue;
        const server = await startCase(c);
        let result;
        try {
          ctx.log(`${c.id} · ${LABELS[id]} · ${records} records`);
          result = await runContender(ctx, id, { input, url: server.url, pauseMs, work: path.join(ctx.tmpDir, `ratelimit-${id}`) }, records);
        } finally {
          await server.stop();
        }
        if (result.failure !== undefined) {
          rows.push([c.id, LABELS[id], 'n/a', 'n/a', 'n/a', 'n/a', result.failure]);
          continue;
        }
        const perSecond = (result.done * 1000) / result.wallMs;
        if (c.kind === 'shed') (c.share === 0 ? unfaulted : shed).set(`${records}\t${id}`, perSecond);
        const ofLimit = c.rate === undefined ? '' : `${((100 * perSecond) / c.rate).toFixed(1)}%`;
        const refused = result.requests > 0 ? `${((100 * result.refused) / result.requests).toFixed(1)}%` : 'n/a';
        rows.push([c.id, LABELS[id], `${result.done}/${records}`, formatRate(perSecond), ofLimit, refused, (result.wallMs / 1000).toFixed(1) + ' s']);
      }
    }
    for (const [key, perSecond] of shed) {
      const base = unfaulted.get(key);
      const [size, id] = key.split('\t');
      if (base !== undefined) rows.push([`random 5% vs no faults, ${size} records`, LABELS[id], '', '', `${((100 * perSecond) / base).toFixed(1)}% of no-fault records/s`, '', '']);
    }
    const caption = `Chat records per run: ${SECONDS_AT_LIMIT} s worth at the limit, or as the case says; concurrency ${CONCURRENCY} everywhere, upstream latency ${UPSTREAM_LATENCY_MS} ms; ` +
      `nginx limit_req burst 30 nodelay; the global-pause script waits ${pauseMs / 1000} s after a 429. Goodput includes process start.`;
    return { markdown: [caption, markdownTable(['case', 'contender', 'done', 'records/s', 'goodput of limit', 'refused', 'wall'], rows)].join('\n\n') };
  },
};
