// Issue 13 end to end with the built CLI: one run over gpt-*, claude-* and deepseek-* lines routed by --routes to
// three local servers (the claude one speaks the Messages API), each refusing models that are not its own; the
// summary's cost against the servers' own usage x the prices of a --prices file; --models fan-out, resume and
// export; the spend breaker at half the job's cost (exit 75, then a rerun finishes, nothing sent twice).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mockAnswer } from '../../src/provider/mock-answers.js';
import { query } from '../helpers/checkpoint.js';
import { collect, runCli, spawnCli } from '../helpers/cli.js';
import { type AnthropicServer, startAnthropicServer, TEST_ANTHROPIC_KEY } from '../helpers/anthropic-server.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

const work = useTestWork('routes-cost');

const GPT = 'gpt-4o-mini';
const CLAUDE = 'claude-haiku-4-5';
const DEEPSEEK = 'deepseek-chat';
const GPT_KEY = 'gpt-key-for-tests';
const DEEPSEEK_KEY = 'deepseek-key-for-tests';
/** Made-up prices (US dollars per token), far from any real table so a built-in price cannot pass for them. */
const PRICES: Record<string, { input_cost_per_token: number; output_cost_per_token: number; mode: string }> = {
  [GPT]: { input_cost_per_token: 0.001, output_cost_per_token: 0.002, mode: 'chat' },
  [CLAUDE]: { input_cost_per_token: 0.003, output_cost_per_token: 0.005, mode: 'chat' },
  [DEEPSEEK]: { input_cost_per_token: 0.0007, output_cost_per_token: 0.0011, mode: 'chat' },
};
const CONCURRENCY = { gpt: 2, claude: 3, deepseek: 1 };
const env = { GPT_KEY, DEEPSEEK_KEY, CLAUDE_KEY: TEST_ANTHROPIC_KEY };

interface Servers {
  readonly gpt: FaultServer;
  readonly claude: AnthropicServer;
  readonly deepseek: FaultServer;
}

/** One 200 answer as its server counted it: the model, the prompt it answered and the usage it reported. */
interface Answered {
  readonly model: string;
  readonly prompt: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

interface ServerHooks {
  /** Called with each request's running count at this server, when it arrives. */
  readonly onGpt?: (n: number) => void;
  /** How long the gpt server holds its n-th answer (default 25 ms). */
  readonly gptDelay?: (n: number) => number;
}

/** A promise and its resolve (Promise.withResolvers is Node 22). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

function modelIn(json: unknown): unknown {
  return (json as { model?: unknown } | undefined)?.model;
}

/** An OpenAI-style server that answers only `prefix*` models (400 otherwise), each answer held a little so requests overlap. */
function openAiServer(prefix: string, onRequest?: (n: number) => void, delayOf: (n: number) => number = () => 25): Promise<FaultServer> {
  return startFaultServer({
    behaviour: (request) => {
      onRequest?.(request.n);
      const model = modelIn(request.json);
      if (typeof model !== 'string' || !model.startsWith(prefix)) return { status: 400, body: { error: { message: `model ${String(model)} is not served here`, type: 'invalid_request_error' } } };
      return { slowMs: delayOf(request.n) };
    },
  });
}

async function startServers(hooks: ServerHooks = {}): Promise<Servers> {
  const gpt = work.track(await openAiServer('gpt-', hooks.onGpt, hooks.gptDelay));
  const deepseek = work.track(await openAiServer('deepseek-'));
  const claude = work.track(
    await startAnthropicServer({
      answerDelayMs: 25,
      behaviour: (request) => {
        const model = modelIn(request.json);
        return typeof model === 'string' && model.startsWith('claude-') ? 'ok' : { status: 400, type: 'invalid_request_error', message: `model ${String(model)} is not served here` };
      },
    }),
  );
  return { gpt, claude, deepseek };
}

/**
 * What `mixedLines` costs at PRICES, by the servers' rules: the mock answers ceil(chars / 4) prompt tokens and
 * ceil(reply / 4) completion tokens for `mock reply <8 hex>: <prompt>`; the Messages server ceil(chars / 4) + 1 and 7.
 */
function jobCost(lines: readonly { model: string; prompt: string }[]): number {
  return lines.reduce((sum, line) => {
    const price = PRICES[line.model];
    if (price === undefined) throw new Error(`no made-up price for ${line.model}`);
    const claude = line.model === CLAUDE;
    const promptTokens = Math.ceil(line.prompt.length / 4) + (claude ? 1 : 0);
    const completionTokens = claude ? 7 : Math.ceil(`mock reply 01234567: ${line.prompt.slice(0, 60)}`.length / 4);
    return sum + promptTokens * price.input_cost_per_token + completionTokens * price.output_cost_per_token;
  }, 0);
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((block: { text?: unknown }) => (typeof block.text === 'string' ? block.text : '')).join('');
}

function lastText(json: unknown): string {
  return textOf((json as { messages: { content: unknown }[] }).messages.at(-1)?.content);
}

/** What an OpenAI-style server answered with 200, usage read from its own answer (a pure function of the request). */
function openAiAnswered(server: FaultServer, prefix: string): Answered[] {
  return server.requests.flatMap((request) => {
    const answer = mockAnswer(request.method, request.path, request.body);
    const model = modelIn(request.json) as string;
    if (answer.status !== 200 || !model.startsWith(prefix)) return [];
    const usage = (JSON.parse(answer.body) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    return [{ model, prompt: lastText(request.json), promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }];
  });
}

function claudeAnswered(server: AnthropicServer): Answered[] {
  return server.requests.flatMap((request) => {
    const usage = server.answered.find((answered) => answered.n === request.n);
    if (usage === undefined) return [];
    return [{ model: modelIn(request.json) as string, prompt: lastText(request.json), promptTokens: usage.input_tokens, completionTokens: usage.output_tokens }];
  });
}

function allAnswered(servers: Servers): Answered[] {
  return [...openAiAnswered(servers.gpt, 'gpt-'), ...claudeAnswered(servers.claude), ...openAiAnswered(servers.deepseek, 'deepseek-')];
}

function totalRequests(servers: Servers): number {
  return servers.gpt.requests.length + servers.claude.requests.length + servers.deepseek.requests.length;
}

/** `model|prompt` -> how many times it was sent, over every server. */
function sendCounts(servers: Servers): Map<string, number> {
  const counts = new Map<string, number>();
  const requests = [...servers.gpt.requests, ...servers.claude.requests, ...servers.deepseek.requests];
  for (const request of requests) {
    const key = `${String(modelIn(request.json))}|${lastText(request.json)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The cost the servers' own usage counts come to at PRICES, per model. */
function expectedCost(answered: readonly Answered[]): { usd: number; byModel: Record<string, { requests: number; prompt_tokens: number; completion_tokens: number; usd: number }> } {
  const byModel: Record<string, { requests: number; prompt_tokens: number; completion_tokens: number; usd: number }> = {};
  for (const answer of answered) {
    const price = PRICES[answer.model];
    if (price === undefined) throw new Error(`no made-up price for ${answer.model}`);
    const tally = (byModel[answer.model] ??= { requests: 0, prompt_tokens: 0, completion_tokens: 0, usd: 0 });
    tally.requests++;
    tally.prompt_tokens += answer.promptTokens;
    tally.completion_tokens += answer.completionTokens;
    tally.usd += answer.promptTokens * price.input_cost_per_token + answer.completionTokens * price.output_cost_per_token;
  }
  return { usd: Object.values(byModel).reduce((sum, tally) => sum + tally.usd, 0), byModel };
}

interface RouteExtras {
  readonly gpt?: Record<string, unknown>;
  readonly claude?: Record<string, unknown>;
  readonly deepseek?: Record<string, unknown>;
}

function routesFile(servers: Servers, extras: RouteExtras = {}, name = 'routes.json'): string {
  const file = path.join(work.dir, name);
  const routes = [
    { match: 'gpt-*', provider: 'openai', base_url: `${servers.gpt.url}/v1`, api_key_env: 'GPT_KEY', concurrency: CONCURRENCY.gpt, ...extras.gpt },
    { match: 'claude-*', provider: 'anthropic', base_url: servers.claude.url, api_key_env: 'CLAUDE_KEY', concurrency: CONCURRENCY.claude, ...extras.claude },
    { match: 'deepseek-*', provider: 'openai', base_url: `${servers.deepseek.url}/v1`, api_key_env: 'DEEPSEEK_KEY', concurrency: CONCURRENCY.deepseek, ...extras.deepseek },
  ];
  fs.writeFileSync(file, JSON.stringify({ routes }));
  return file;
}

function pricesFile(): string {
  const file = path.join(work.dir, 'prices.json');
  fs.writeFileSync(file, JSON.stringify({ sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0 }, ...PRICES }));
  return file;
}

function writeLines(name: string, lines: readonly object[]): string {
  const file = path.join(work.dir, name);
  fs.writeFileSync(file, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
  return file;
}

/** `count` lines per model, interleaved: g1 c1 d1 g2 c2 d2 ... */
function mixedLines(count: number): { id: string; model: string; prompt: string }[] {
  const lines: { id: string; model: string; prompt: string }[] = [];
  for (let index = 1; index <= count; index++) {
    lines.push({ id: `g${index}`, model: GPT, prompt: `gpt question number ${index}` });
    lines.push({ id: `c${index}`, model: CLAUDE, prompt: `claude question number ${index}, a little longer` });
    lines.push({ id: `d${index}`, model: DEEPSEEK, prompt: `deepseek question ${index}` });
  }
  return lines;
}

const RUN_FLAGS = ['--no-progress', '--log-level', 'warn', '--json'];

function cache(args: readonly string[]) {
  return runCli(['cache', ...RUN_FLAGS, ...args], { env });
}

function spawnCache(args: readonly string[]): ChildProcess {
  return spawnCli(['cache', ...RUN_FLAGS, ...args], { env });
}

interface Summary {
  exit_code: number;
  records: { read: number; done: number; failed: number };
  halt_reason: string | null;
  cost: { usd: number; by_model: Record<string, { requests: number; prompt_tokens: number; completion_tokens: number; usd: number }>; unpriced_models: string[] };
}

function summaryOf(stdout: string): Summary {
  return JSON.parse(stdout) as Summary;
}

describe('--routes over three servers', () => {
  it('answers every record by its own server, within each route\'s concurrency, keys only from api_key_env; the cost is the servers\' usage x the prices', async () => {
    const servers = await startServers();
    const lines = mixedLines(6);
    const input = writeLines('mixed.jsonl', lines);
    const db = path.join(work.dir, 'mixed.db');
    const run = await cache(['--input', input, '--db', db, '--routes', routesFile(servers), '--prices', pricesFile()]);
    expect(run.code, run.stderr).toBe(0);
    const summary = summaryOf(run.stdout);
    expect(summary.records).toMatchObject({ read: 18, done: 18, failed: 0 });

    // Every record by its own server, exactly once, and no server was asked for a model it does not serve.
    const promptsOf = (prefix: string) => lines.filter((line) => line.id.startsWith(prefix)).map((line) => line.prompt).sort();
    expect(servers.gpt.requests.map((request) => lastText(request.json)).sort()).toEqual(promptsOf('g'));
    expect(servers.claude.requests.map((request) => lastText(request.json)).sort()).toEqual(promptsOf('c'));
    expect(servers.deepseek.requests.map((request) => lastText(request.json)).sort()).toEqual(promptsOf('d'));
    expect(servers.gpt.requests.every((request) => modelIn(request.json) === GPT)).toBe(true);
    expect(servers.claude.requests.every((request) => request.path === '/v1/messages' && modelIn(request.json) === CLAUDE)).toBe(true);
    expect(servers.deepseek.requests.every((request) => modelIn(request.json) === DEEPSEEK)).toBe(true);
    const answers = query<{ id: string; body: string }>(db, "SELECT r.id, s.body FROM records r JOIN responses s ON s.hash = r.hash WHERE r.status = 'done'");
    expect(answers).toHaveLength(18);
    for (const { id, body } of answers) {
      const content = (JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '';
      const line = lines.find((candidate) => candidate.id === id);
      expect(content, id).toContain(line?.prompt.slice(0, 30));
      expect(content, id).toMatch(id.startsWith('c') ? /^claude says: / : /^mock reply /);
    }

    // guards: each route is its own pool: its server never sees more at once than the route's concurrency.
    expect(servers.gpt.maxInFlight()).toBeLessThanOrEqual(CONCURRENCY.gpt);
    expect(servers.claude.maxInFlight()).toBeLessThanOrEqual(CONCURRENCY.claude);
    expect(servers.deepseek.maxInFlight()).toBe(1);
    // Keys only from the variables the routes name (cleanEnv leaves no OPENAI_API_KEY / ANTHROPIC_API_KEY).
    expect(new Set(servers.gpt.requests.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${GPT_KEY}`]));
    expect(new Set(servers.deepseek.requests.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${DEEPSEEK_KEY}`]));
    expect(new Set(servers.claude.requests.map((request) => request.headers['x-api-key']))).toEqual(new Set([TEST_ANTHROPIC_KEY]));

    // The summary's cost is what the servers reported, at the --prices file's prices.
    const expected = expectedCost(allAnswered(servers));
    expect(Object.keys(summary.cost.by_model).sort()).toEqual([CLAUDE, DEEPSEEK, GPT]);
    for (const [model, tally] of Object.entries(expected.byModel)) {
      const got = summary.cost.by_model[model];
      expect(got, model).toMatchObject({ requests: tally.requests, prompt_tokens: tally.prompt_tokens, completion_tokens: tally.completion_tokens });
      expect(got?.usd, model).toBeCloseTo(tally.usd, 9);
    }
    expect(summary.cost.usd).toBeCloseTo(expected.usd, 9);
    expect(summary.cost.unpriced_models).toEqual([]);
    const stored = query<{ total: number }>(db, "SELECT sum(cost_usd) AS total FROM records WHERE status = 'done'")[0]?.total;
    expect(stored).toBeCloseTo(expected.usd, 9);
  });

  it('refuses a key written in the routes file, and a model no route matches, with exit 2 before anything is sent', async () => {
    const servers = await startServers();
    const input = writeLines('mixed.jsonl', [...mixedLines(3), { id: 'x1', model: 'mistral-large', prompt: 'nobody serves me' }, ...mixedLines(1)]);
    const db = path.join(work.dir, 'refused.db');

    const keyed = routesFile(servers, { deepseek: { headers: { Authorization: `Bearer sk-${'a'.repeat(24)}` } } }, 'keyed.json');
    const withKey = await cache(['--input', input, '--db', db, '--routes', keyed]);
    expect(withKey.code, withKey.stderr).toBe(2);
    expect(withKey.stderr).toMatch(/routes\[2\]\.headers\.Authorization: a key written in the routes file is refused/);
    expect(withKey.stderr + withKey.stdout).not.toContain('a'.repeat(24));

    const unrouted = await cache(['--input', input, '--db', db, '--routes', routesFile(servers)]);
    expect(unrouted.code, unrouted.stderr).toBe(2);
    expect(unrouted.stderr).toMatch(/line 10: no route matches model "mistral-large"/);
    expect(totalRequests(servers)).toBe(0);
  });

  it('a route held by its rpm does not hold the others; after a stop, a rerun sends only what is left', async () => {
    const [gptDone, claudeDone] = [deferred(), deferred()];
    const servers = await startServers({ onGpt: (n) => n === 6 && gptDone.resolve() });
    const lines = mixedLines(6);
    const input = writeLines('mixed.jsonl', lines);
    const db = path.join(work.dir, 'rpm.db');
    const prices = pricesFile();
    const started = Date.now();
    // rpm 3: the bucket starts with 3 requests and refills one every 20 s.
    // --timeout 2s: the grace of a stop; an attempt waiting for an rpm token holds the stop up to it (see report).
    const child = spawnCache(['--input', input, '--db', db, '--routes', routesFile(servers, { deepseek: { rpm: 3 } }), '--prices', prices, '--timeout', '2s']);
    const watch = setInterval(() => servers.claude.answered.length >= 6 && claudeDone.resolve(), 10);
    const result = collect(child);
    await Promise.all([gptDone.promise, claudeDone.promise]);
    clearInterval(watch);
    child.kill('SIGTERM');
    const stopped = await result;
    const elapsedMs = Date.now() - started;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(servers.gpt.requests).toHaveLength(6);
    expect(servers.claude.requests).toHaveLength(6);
    // guards: the deepseek route's rpm counts its own requests only, and the run goes on with the other routes.
    expect(servers.deepseek.requests.length).toBeLessThanOrEqual(3 + Math.floor(elapsedMs / 20_000));
    expect(servers.deepseek.requests.length).toBeGreaterThan(0);

    const rerun = await cache(['--input', input, '--db', db, '--routes', routesFile(servers), '--prices', prices]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(servers.deepseek.requests).toHaveLength(6);
    expect([...sendCounts(servers).values()].every((count) => count === 1)).toBe(true);
    expect(sendCounts(servers).size).toBe(18);
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n).toBe(18);
  });
});

describe('--models fan-out', () => {
  it('sends every record to each model as <id>@<model>, resumes after a stop with nothing sent twice, and exports the pairs', async () => {
    const stopAt = deferred();
    // After its 3rd request the gpt server answers slowly: the SIGTERM lands while the run is surely mid-way.
    const servers = await startServers({ onGpt: (n) => n === 3 && stopAt.resolve(), gptDelay: (n) => (n >= 3 ? 800 : 25) });
    const prompts = Array.from({ length: 8 }, (_, index) => ({ id: `p${index + 1}`, prompt: `fan out prompt ${index + 1}` }));
    const input = writeLines('prompts.jsonl', prompts);
    const db = path.join(work.dir, 'fan.db');
    const args = ['--input', input, '--db', db, '--routes', routesFile(servers), '--prices', pricesFile(), '--models', `${GPT},${CLAUDE}`];
    const child = spawnCache(args);
    const result = collect(child);
    await stopAt.promise;
    child.kill('SIGTERM');
    const stopped = await result;
    expect(stopped.code, stopped.stderr).toBe(143);
    const firstRun = totalRequests(servers);
    expect(firstRun).toBeLessThan(16);

    const rerun = await cache(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(summaryOf(rerun.stdout).records).toMatchObject({ done: 16 - firstRun, failed: 0 });
    const counts = sendCounts(servers);
    expect(counts.size).toBe(16);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(servers.deepseek.requests).toHaveLength(0);

    const exported = await runCli(['export', '--db', db]);
    expect(exported.code, exported.stderr).toBe(0);
    const rows = exported.stdout.trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string; response: { status_code: number; body: { model: string; choices: { message: { content: string } }[] } } });
    const wanted = prompts.flatMap((prompt) => [`${prompt.id}@${GPT}`, `${prompt.id}@${CLAUDE}`]).sort();
    expect(rows.map((row) => row.custom_id).sort()).toEqual(wanted);
    for (const row of rows) {
      const [id, model] = row.custom_id.split('@') as [string, string];
      const prompt = prompts.find((candidate) => candidate.id === id)?.prompt ?? '';
      expect(row.response.status_code).toBe(200);
      expect(row.response.body.model).toBe(model);
      expect(row.response.body.choices[0]?.message.content).toEqual(model === CLAUDE ? `claude says: ${prompt}` : expect.stringMatching(new RegExp(`^mock reply [0-9a-f]{8}: ${prompt}$`)));
    }
  });
});

describe('--max-cost over routes', () => {
  it('at half the job\'s cost spends within the budget, halts with 75, and a rerun with a larger budget finishes with nothing sent twice', async () => {
    const lines = mixedLines(6);
    const input = writeLines('mixed.jsonl', lines);
    const prices = pricesFile();
    const fullCost = jobCost(lines);
    const servers = await startServers();
    const db = path.join(work.dir, 'budget.db');
    // Every line's completion is bounded by the routes' max_tokens (the servers answer 7 to 11 tokens).
    const routes = routesFile(servers, { gpt: { max_tokens: 20 }, claude: { max_tokens: 20 }, deepseek: { max_tokens: 20 } });
    const budget = Number((fullCost / 2).toFixed(6));
    const halted = await cache(['--input', input, '--db', db, '--routes', routes, '--prices', prices, '--max-cost', String(budget)]);
    expect(halted.code, halted.stderr).toBe(75);
    const summary = summaryOf(halted.stdout);
    expect(summary.halt_reason).toMatch(/budget/i);
    expect(summary.records.done).toBeGreaterThan(0);
    expect(summary.records.done).toBeLessThan(18);
    const spent = query<{ total: number }>(db, "SELECT sum(cost_usd) AS total FROM records WHERE status = 'done'")[0]?.total ?? 0;
    expect(spent).toBeLessThanOrEqual(budget);
    expect(expectedCost(allAnswered(servers)).usd).toBeLessThanOrEqual(budget);
    expect(summary.cost.usd).toBeCloseTo(spent, 9);

    const rerun = await cache(['--input', input, '--db', db, '--routes', routes, '--prices', prices, '--max-cost', (fullCost * 2).toFixed(6)]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(summaryOf(rerun.stdout).records.done).toBe(18 - summary.records.done);
    const counts = sendCounts(servers);
    expect(counts.size).toBe(18);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    // The job cost what the servers counted over both runs, and that is what the budget was halved from.
    expect(expectedCost(allAnswered(servers)).usd).toBeCloseTo(fullCost, 9);
    const total = query<{ total: number }>(db, "SELECT sum(cost_usd) AS total FROM records WHERE status = 'done'")[0]?.total;
    expect(total).toBeCloseTo(fullCost, 9);

    // status: the cost of each run and of the checkpoint in total, in --json and in the table.
    const status = await runCli(['status', '--db', db, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const json = JSON.parse(status.stdout) as { cost: Summary['cost']; runs: { exit_code: number; cost: Summary['cost'] | null }[] };
    expect(json.cost.usd).toBeCloseTo(fullCost, 9);
    expect(json.cost.by_model[CLAUDE]?.requests).toBe(6);
    expect(json.runs.map((run) => run.exit_code)).toEqual([0, 75]);
    expect(json.runs[1]?.cost?.usd).toBeCloseTo(spent, 9);
    expect(json.runs[0]?.cost?.usd).toBeCloseTo(fullCost - spent, 9);
    const table = await runCli(['status', '--db', db]);
    expect(table.stdout).toMatch(/^cost {8}\$\S+ \(claude-haiku-4-5 \$\S+, deepseek-chat \$\S+, gpt-4o-mini \$\S+\) over all runs$/m);
    expect(table.stdout).toMatch(/ COST {2}HALT/);
    // report: a cost column per run and a cost section per model.
    const html = path.join(work.dir, 'report.html');
    const report = await runCli(['report', '--db', db, '--out', html]);
    expect(report.code, report.stderr).toBe(0);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('<h2>Cost</h2>');
    for (const model of [GPT, CLAUDE, DEEPSEEK]) expect(page).toContain(`<td>${model}</td><td class="num">6</td>`);
  });

  it('stops with exit 2 naming the line before anything is sent when a model has no price', async () => {
    const servers = await startServers();
    const input = writeLines('unpriced.jsonl', [...mixedLines(2), { id: 'u1', model: 'gpt-unpriced-test-model', prompt: 'what do I cost?' }]);
    const run = await cache(['--input', input, '--db', path.join(work.dir, 'unpriced.db'), '--routes', routesFile(servers), '--prices', pricesFile(), '--max-cost', '5']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/line 7: model "gpt-unpriced-test-model" has no price/);
    expect(totalRequests(servers)).toBe(0);
  });
});
