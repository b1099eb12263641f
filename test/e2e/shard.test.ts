// --shard K/N splits one input over N runs (machines) by id; export --db ... joins them into one output.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { query, writePrompts } from '../helpers/checkpoint.js';
import { useTestWork } from '../helpers/test-work.js';

const work = useTestWork('shard');

describe('--shard', () => {
  it('three shards process disjoint parts that together are the whole input, and export joins them', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    writePrompts(input, 300);
    const results = await Promise.all(
      [0, 1, 2].map((index) => runCli(['cache', '--input', input, '--shard', `${index}/3`, '--provider', 'mock', '--no-progress', '--log-level', 'warn', '--json'])),
    );
    const checkpoints = [0, 1, 2].map((index) => path.join(work.dir, `in.shard-${index}-of-3.memsafe.db`));
    const ids = checkpoints.map((db) => query<{ id: string }>(db, 'SELECT id FROM records').map((row) => row.id));
    for (const [index, result] of results.entries()) {
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as { records: { read: number; done: number } };
      expect(summary.records.read).toBe(ids[index]?.length);
      expect(summary.records.read).toBeGreaterThan(50); // roughly a third each
    }
    const all = ids.flat();
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);

    const exported = await runCli(['export', ...checkpoints.flatMap((db) => ['--db', db]), '--format', 'jsonl']);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string });
    expect(new Set(lines.map((line) => line.id))).toEqual(new Set(all));
  });

  it('refuses a shard outside 0..N-1', async () => {
    const input = path.join(work.dir, 'in.jsonl');
    writePrompts(input, 1);
    const result = await runCli(['cache', '--input', input, '--shard', '3/3', '--provider', 'mock']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Expected `--shard` to be K\/N with 0 <= K < N, like 0\/4, got `3\/3`/);
  });
});
