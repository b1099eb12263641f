// `--via batch` prices its answers at the Batch API's prices (`*_batches`) and says what that saved against live
// calls: the built CLI with the offline mock Batch API and a LiteLLM-format price file.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { query, writePrompts } from '../helpers/checkpoint.js';
import { useTestWork } from '../helpers/test-work.js';

const work = useTestWork('batch-cost');
const LIVE = { input: 2e-6, output: 8e-6 };
const BATCH = { input: 1e-6, output: 4e-6 };

function writePrices(file: string): void {
  const entry = {
    input_cost_per_token: LIVE.input, output_cost_per_token: LIVE.output,
    input_cost_per_token_batches: BATCH.input, output_cost_per_token_batches: BATCH.output, mode: 'chat',
  };
  fs.writeFileSync(file, JSON.stringify({ sample_spec: {}, 'mock-small': entry }));
}

interface CostJson {
  usd: number;
  saved_vs_live_usd: number;
  saved_usd: number;
  cache_hits: number;
  pricing: string;
  prices_source: string;
  prices_note: string | null;
  by_model: Record<string, { requests: number; prompt_tokens: number; completion_tokens: number; usd: number }>;
}

describe('--via batch cost', () => {
  // guards: batch answers are priced at batch prices, and the saving against live prices is reported
  it('the summary cost is the usage at batch prices, saved_vs_live_usd the usage at live minus batch', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    const prices = path.join(work.dir, 'prices.json');
    writePrices(prices);
    // 60 records, 10 of them copies of an earlier prompt: one batch line each, the copies are cache hits.
    writePrompts(input, 60, (i) => ({ id: `r${i}`, prompt: `record r${i % 50}` }));
    const args = ['cache', '--input', input, '--db', db, '--provider', 'mock', '--via', 'batch', '--wait', '--poll-interval', '50ms',
      '--batch-max-requests', '20', '--prices', prices, '--no-progress', '--log-level', 'warn'];
    const result = await runCli([...args, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { via: string; cost: CostJson };
    expect(summary.via).toBe('batch');
    // What the mock server reported, as stored with each answer: one response per distinct request.
    const usage = query<{ n: number; prompt: number; completion: number }>(
      db, 'SELECT count(*) AS n, sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion FROM responses',
    )[0];
    expect(usage?.n).toBe(50);
    const prompt = usage?.prompt ?? 0;
    const completion = usage?.completion ?? 0;
    expect(prompt).toBeGreaterThan(0);
    expect(completion).toBeGreaterThan(0);
    const cost = summary.cost;
    expect(cost.pricing).toBe('batch');
    expect(cost.prices_source).toBe('file');
    expect(cost.prices_note).toBeNull();
    expect(cost.by_model['mock-small']).toMatchObject({ requests: 50, prompt_tokens: prompt, completion_tokens: completion });
    expect(cost.usd).toBeCloseTo(prompt * BATCH.input + completion * BATCH.output, 12);
    expect(cost.saved_vs_live_usd).toBeCloseTo(prompt * (LIVE.input - BATCH.input) + completion * (LIVE.output - BATCH.output), 12);
    expect(cost.cache_hits).toBe(10);
    expect(cost.saved_usd).toBeGreaterThan(0);
    // The records' cost columns add up to the same batch cost.
    const columns = query<{ usd: number }>(db, 'SELECT sum(cost_usd) AS usd FROM records WHERE cached = 0')[0];
    expect(columns?.usd).toBeCloseTo(cost.usd, 12);

    // A rerun finds every record done: nothing is sent or charged again.
    const again = await runCli([...args, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { cost: CostJson }).cost).toMatchObject({ usd: 0, saved_vs_live_usd: 0, by_model: {} });
  });

  it('prints the cost at batch prices, the saving and the built-in prices date in the human summary', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, 12);
    const result = await runCli(['cache', '--input', input, '--db', db, '--provider', 'mock', '--model', 'gpt-4o-mini', '--via', 'batch', '--wait',
      '--poll-interval', '50ms', '--no-progress', '--log-level', 'warn']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/cost +\$\S+ \(gpt-4o-mini \$\S+\) at batch prices/);
    expect(result.stderr).toMatch(/saved \$\S+ against live prices/);
    expect(result.stderr).toContain('built-in prices as of');
  });
});
