// guards: --max-cost with --via batch never spends past the budget. Each batch line is reserved at batch prices as
// it is written; what does not fit stays pending; a rerun with a larger budget submits the rest and nothing twice;
// the live batches' reservations come back from the checkpoint after a kill -9. The built CLI against the team's
// Files + Batches server; what was spent is checked against what the server itself processed.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MockBatchEvent, MockBatchOptions } from '../../src/provider/mock-batches.js';
import { type BatchServer, startBatchServer } from '../helpers/batch-server.js';
import { type CliResult, collect, runCli, spawnCli } from '../helpers/cli.js';
import { query, writePrompts } from '../helpers/checkpoint.js';
import { useTestWork } from '../helpers/test-work.js';

const work = useTestWork('batch-budget');
const fast: MockBatchOptions = { validatingMs: 20, inProgressMs: 40, finalizingMs: 20 };
const env = { OPENAI_API_KEY: 'sk-test-batch-budget' };
const RECORDS = 240;

interface Summary {
  exit_code: number;
  halt_reason: string | null;
  hint: string | null;
  records: { done: number };
  cost: { usd: number };
  batches: { created: number; live: number };
}

function writePrices(file: string): void {
  const entry = { input_cost_per_token: 2e-6, output_cost_per_token: 8e-6, input_cost_per_token_batches: 1e-6, output_cost_per_token_batches: 4e-6, mode: 'chat' };
  fs.writeFileSync(file, JSON.stringify({ 'test-model': entry }));
}

function args(input: string, db: string, server: BatchServer, prices: string, extra: string[]): string[] {
  // --max-tokens 20 bounds every completion (the mock answers about 8 tokens): the estimate is about twice the cost.
  return ['cache', '--input', input, '--db', db, '--provider', 'openai', '--base-url', server.baseUrl, '--model', 'test-model', '--via', 'batch',
    '--batch-max-requests', '30', '--max-tokens', '20', '--prices', prices, '--poll-interval', '50ms', '--no-progress', '--log-level', 'warn', '--json', ...extra];
}

function summaryOf(result: CliResult): Summary {
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Summary;
}

/** The job without a budget on a server of its own: what each request (by hash) costs at batch prices. */
async function referenceCosts(input: string, prices: string): Promise<Map<string, number>> {
  const server = work.track(await startBatchServer(fast));
  const db = path.join(work.dir, 'reference.db');
  const result = await runCli(args(input, db, server, prices, ['--wait']), { env });
  expect(result.code, result.stderr).toBe(0);
  const rows = query<{ hash: string; usd: number }>(db, "SELECT hash, cost_usd AS usd FROM records WHERE status = 'done'");
  expect(rows).toHaveLength(RECORDS);
  return new Map(rows.map((row) => [row.hash, row.usd]));
}

/** What the server processed, priced: each answered custom_id (a request hash) at its reference cost. */
function serverSpend(server: BatchServer, costs: ReadonlyMap<string, number>): number {
  let usd = 0;
  for (const [customId, count] of server.stats.processed) usd += count * (costs.get(customId) ?? Number.NaN);
  return usd;
}

function expectProcessedOnce(server: BatchServer): void {
  expect(server.stats.processed.size).toBe(RECORDS);
  expect([...server.stats.processed.values()].every((count) => count === 1)).toBe(true);
}

describe('--via batch --max-cost', () => {
  it('at half the job\'s cost spends within the budget and exits 75; a rerun with a larger budget completes with nothing processed twice', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const prices = path.join(work.dir, 'prices.json');
    writePrompts(input, RECORDS);
    writePrices(prices);
    const costs = await referenceCosts(input, prices);
    const fullCost = [...costs.values()].reduce((a, b) => a + b, 0);
    const budget = Number((fullCost / 2).toFixed(8));

    const server = work.track(await startBatchServer(fast));
    const db = path.join(work.dir, 'in.memsafe.db');
    const halted = await runCli(args(input, db, server, prices, ['--wait', '--max-cost', String(budget)]), { env });
    expect(halted.code, halted.stderr).toBe(75);
    const summary = summaryOf(halted);
    expect(summary.halt_reason).toMatch(/^spend budget --max-cost \$\S+ reached: spent \$\S+ at batch prices/);
    expect(summary.hint).toMatch(/records were not submitted within --max-cost; rerun with a larger --max-cost/);
    expect(summary.batches.live).toBe(0);
    expect(summary.records.done).toBeGreaterThan(0);
    expect(summary.records.done).toBeLessThan(RECORDS);
    // Within the budget by the run's own account and by what the server processed.
    expect(summary.cost.usd).toBeLessThanOrEqual(budget);
    expect(serverSpend(server, costs)).toBeLessThanOrEqual(budget);
    expect(serverSpend(server, costs)).toBeCloseTo(summary.cost.usd, 12);
    // The passes after the first used what the collected batches did not spend of their reservations.
    expect(summary.cost.usd).toBeGreaterThan(budget / 2);
    expect(server.stats.processed.size).toBe(summary.records.done);

    const rerun = await runCli(args(input, db, server, prices, ['--wait', '--max-cost', (fullCost * 3).toFixed(8)]), { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(summaryOf(rerun).halt_reason).toBeNull();
    expect(summaryOf(rerun).records.done).toBe(RECORDS - summary.records.done);
    expectProcessedOnce(server);
    expect(serverSpend(server, costs)).toBeCloseTo(fullCost, 12);
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n).toBe(RECORDS);
  });

  it('reads the live batches\' reservations back after a kill -9: a rerun with the same budget submits nothing more until they settle', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const prices = path.join(work.dir, 'prices.json');
    writePrompts(input, RECORDS);
    writePrices(prices);
    const costs = await referenceCosts(input, prices);
    const budget = Number(([...costs.values()].reduce((a, b) => a + b, 0) / 2).toFixed(8));

    const gate = { open: false };
    // The run being killed: set once it is spawned, read by the server's kill hook.
    const running: { child?: ChildProcess; exited?: Promise<CliResult> } = {};
    const kills: MockBatchEvent[] = [];
    // The first create is held until the client is dead, then made: its answer is lost.
    const server = work.track(await startBatchServer({
      ...fast, gate,
      onEvent: async (event) => {
        if (event !== 'create' || kills.length > 0 || running.child === undefined) return;
        kills.push(event);
        running.child.kill('SIGKILL');
        await running.exited;
      },
    }));
    const db = path.join(work.dir, 'in.memsafe.db');
    const run = ['--max-cost', String(budget)];
    running.child = spawnCli(args(input, db, server, prices, run), { env });
    running.exited = collect(running.child);
    const killed = await running.exited;
    delete running.child;
    expect(killed.signal).toBe('SIGKILL');
    expect(server.stats.creates).toBe(1);

    // The rerun adopts the lost create, submits the chunks the killed run wrote, and nothing beyond the budget.
    const second = await runCli(args(input, db, server, prices, run), { env });
    expect(second.code, second.stderr).toBe(75);
    expect(summaryOf(second).halt_reason).toBe('batches pending');
    const created = server.stats.creates;
    const inFlight = query<{ n: number; usd: number }>(db, 'SELECT count(*) AS n, total(reserved_usd) AS usd FROM batch_members')[0];
    expect(inFlight?.n).toBeGreaterThan(0);
    expect(inFlight?.n).toBeLessThan(RECORDS);
    expect(inFlight?.usd).toBeLessThanOrEqual(budget);
    expect(inFlight?.usd).toBeGreaterThan(budget * 0.9);
    // Again: every live batch is still running, so its reservation still counts; nothing new is created.
    const third = await runCli(args(input, db, server, prices, run), { env });
    expect(third.code, third.stderr).toBe(75);
    expect(server.stats.creates).toBe(created);

    // Let the batches finish: a --wait run collects them and spends what is left of the budget, never more.
    gate.open = true;
    const last = await runCli(args(input, db, server, prices, [...run, '--wait']), { env });
    expect(last.code, last.stderr).toBe(75);
    expect(summaryOf(last).halt_reason).toMatch(/^spend budget --max-cost/);
    expect(serverSpend(server, costs)).toBeLessThanOrEqual(budget);
    expect([...server.stats.processed.values()].every((count) => count === 1)).toBe(true);
  });

  it('holds a batch file an earlier run wrote when a smaller budget no longer fits it, and submits it on a larger one', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const prices = path.join(work.dir, 'prices.json');
    writePrompts(input, RECORDS);
    writePrices(prices);
    // The run being killed: set once it is spawned, read by the server's kill hook.
    const running: { child?: ChildProcess; exited?: Promise<CliResult> } = {};
    let killed = false;
    // The first upload is cut off by a kill -9: the chunks are written, none is submitted.
    const server = work.track(await startBatchServer({
      ...fast,
      onEvent: async (event) => {
        if (event !== 'upload' || killed || running.child === undefined) return;
        killed = true;
        running.child.kill('SIGKILL');
        await running.exited;
      },
    }));
    const db = path.join(work.dir, 'in.memsafe.db');
    running.child = spawnCli(args(input, db, server, prices, ['--max-cost', '100']), { env });
    running.exited = collect(running.child);
    expect((await running.exited).signal).toBe('SIGKILL');
    delete running.child;
    const written = query<{ usd: number }>(db, 'SELECT total(reserved_usd) AS usd FROM batch_members WHERE chunk_id = (SELECT min(id) FROM batch_chunks)')[0]?.usd ?? 0;
    expect(written).toBeGreaterThan(0);

    const small = await runCli(args(input, db, server, prices, ['--wait', '--max-cost', (written / 2).toFixed(8)]), { env });
    expect(small.code, small.stderr).toBe(75);
    expect(summaryOf(small).halt_reason).toMatch(/^spend budget --max-cost/);
    expect(server.stats.creates).toBe(0);
    expect(server.stats.processed.size).toBe(0);

    const large = await runCli(args(input, db, server, prices, ['--wait', '--max-cost', '100']), { env });
    expect(large.code, large.stderr).toBe(0);
    expectProcessedOnce(server);
  });

  it('stops with exit 2 before anything is uploaded when a model has no price', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const prices = path.join(work.dir, 'prices.json');
    writePrompts(input, 20, (i) => ({ id: `r${i}`, prompt: `record r${i}`, ...(i === 7 ? { model: 'unpriced-model' } : {}) }));
    writePrices(prices);
    const server = work.track(await startBatchServer(fast));
    const result = await runCli(args(input, path.join(work.dir, 'in.memsafe.db'), server, prices, ['--wait', '--max-cost', '1']), { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line 8: model "unpriced-model" has no price, and --max-cost needs one');
    expect(server.stats.uploads).toBe(0);
    expect(server.stats.creates).toBe(0);
  });
});
