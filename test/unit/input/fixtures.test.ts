// guards: the README quick start (fixtures/prompts.jsonl) must exit 0, and bad-lines.jsonl must show every bad kind.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeLine, type NormalizeOptions } from '../../../src/input/normalize.js';
import { openInput } from '../../../src/input/open-input.js';
import type { ParsedLine } from '../../../src/input/record.js';
import { estimateTokenCounter } from '../../../src/input/tokens.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../../fixtures');

async function parse(name: string, mode: NormalizeOptions['mode']): Promise<ParsedLine[]> {
  const source = openInput(path.join(FIXTURES, name), { maxLineBytes: 8 * 1024 * 1024 });
  const options: NormalizeOptions = { mode, model: 'fixture-model', maxContextTokens: undefined, textField: 'text', tokenCounter: estimateTokenCounter };
  const parsed: ParsedLine[] = [];
  for await (const raw of source.lines()) parsed.push(normalizeLine(raw, options));
  return parsed;
}

function jobsOf(parsed: ParsedLine[]) {
  return parsed.flatMap((line) => (line.kind === 'job' ? [line.job] : []));
}

describe('fixtures', () => {
  it('prompts.jsonl: 200 valid chat requests with distinct ids, some identical requests, every line shape', async () => {
    const parsed = await parse('prompts.jsonl', 'cache');
    const jobs = jobsOf(parsed);
    expect(jobs).toHaveLength(200);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(200);
    const distinctRequests = new Set(jobs.map((job) => job.hash)).size;
    expect(distinctRequests).toBeLessThanOrEqual(190);
    expect(distinctRequests).toBeGreaterThan(150);
  });

  it('embeddings.jsonl: 100 embeddings requests with some repeated texts', async () => {
    const jobs = jobsOf(await parse('embeddings.jsonl', 'embeddings'));
    expect(jobs).toHaveLength(100);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(100);
    expect(new Set(jobs.map((job) => job.hash)).size).toBeLessThan(95);
  });

  it('bad-lines.jsonl: each line ends as the job or error record it shows', async () => {
    const parsed = await parse('bad-lines.jsonl', 'cache');
    const seen = parsed.map((line) =>
      line.kind === 'job' ? `${line.job.line} job ${line.job.id}` : `${line.bad.line} ${line.bad.code} ${line.bad.id}`,
    );
    expect(seen).toEqual([
      '1 job good-1',
      '2 invalid_json line-2',
      '3 not_an_object line-3',
      '4 job good-2',
      '5 invalid_record bad-prompt',
      '6 invalid_record bad-system',
      '8 invalid_record bad-messages',
      '9 invalid_record bad-role',
      '10 invalid_record bad-content',
      '11 invalid_record null-content',
      '12 invalid_record line-12',
      '13 job good-1', // a duplicate id: the engine turns it into duplicate_id against the checkpoint
      '14 job line-14',
      '15 invalid_record bad-method',
      '16 invalid_record bad-url',
      '17 invalid_record bad-body',
      '18 invalid_record wrong-mode',
      '19 invalid_record wrong-url',
      '20 invalid_record both',
      '22 job good-3',
      '23 not_an_object line-23',
      '24 job 7',
    ]);
  });
});
