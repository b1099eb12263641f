import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dryRun } from '../../../src/engine/dry-run.js';
import { readRecords } from '../../../src/engine/record-reader.js';
import { inShard } from '../../../src/input/shard.js';
import { openInput } from '../../../src/input/open-input.js';
import { estimateTokenCounter } from '../../../src/input/tokens.js';
import type { ParsedLine } from '../../../src/input/record.js';

const normalise = { mode: 'cache' as const, model: 'm', maxContextTokens: undefined, textField: 'text', tokenCounter: estimateTokenCounter };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function input(lines: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reader-'));
  dirs.push(dir);
  const file = path.join(dir, 'in.jsonl');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return openInput(file, { maxLineBytes: 1 << 20 });
}

const prompts = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${i}`, prompt: `p${i}` }));
const ids = async (records: AsyncIterable<ParsedLine>) => {
  const seen: string[] = [];
  for await (const record of records) seen.push(record.kind === 'job' ? record.job.id : record.bad.id);
  return seen;
};

describe('readRecords', () => {
  it('keeps only the records of this shard, in input order', async () => {
    const shard = { index: 1, count: 3 };
    const all = Array.from({ length: 30 }, (_, i) => `r${i}`);
    expect(await ids(readRecords(input(prompts(30)), normalise, { shard, limit: undefined }))).toEqual(all.filter((id) => inShard(id, shard)));
  });

  it('stops at --limit, counting only this shard records; bad lines count as records', async () => {
    const lines = ['{oops', ...prompts(10)];
    expect(await ids(readRecords(input(lines), normalise, { shard: undefined, limit: 3 }))).toEqual(['line-1', 'r0', 'r1']);
  });
});

describe('dryRun', () => {
  // guards: --dry-run ignored --shard (issue 10, defect 3)
  it('counts the records a run of the same shard would read', async () => {
    const shard = { index: 0, count: 4 };
    const expected = Array.from({ length: 40 }, (_, i) => `r${i}`).filter((id) => inShard(id, shard)).length;
    const report = await dryRun(input(prompts(40)), normalise, { shard, limit: undefined });
    expect(report.records).toBe(expected);
    expect(report.records).toBeLessThan(40);
  });
});
