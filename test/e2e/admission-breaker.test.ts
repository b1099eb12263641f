// Issue 11, "big answers overshoot the breaker": half the answers 3 MB at --concurrency 32 with --max-memory at
// memsafe's own baseline + 60 MB peaked at 1.32x the breaker. Peak RSS is read as the bench reads it (VmHWM).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inexactRecords, runMeasured, startBigAnswerServer } from '../helpers/big-answers.js';
import { writePrompts } from '../helpers/checkpoint.js';
import { useTestWork } from '../helpers/test-work.js';

const MB = 1024 * 1024;
const RECORDS = 60;
const HALTED = 75;
const MAX_RUNS = 8;
const work = useTestWork('admission-breaker');
const ids = Array.from({ length: RECORDS }, (_, i) => `r${i}`);
const bigOrSmall = (id: string) => (Number(id.slice(1)) % 2 === 1 ? 3 * MB : 1000);

const args = (input: string, db: string, url: string, extra: string[]) => [
  'cache', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'm', '--concurrency', '32',
  '--no-progress', '--log-level', 'warn', '--json', ...extra,
];

describe('the breaker holds with big answers', () => {
  for (const chunked of [false, true]) {
    it(`half the answers 3 MB${chunked ? ', chunked' : ''}, --max-memory at baseline + 60 MB: peak at most 1.05x, all exact`, async () => {
      // guards: issue 11, peak RSS 1.32x --max-memory with big answers (the breaker only saw memory once allocated)
      const input = path.join(work.dir, 'in.jsonl');
      writePrompts(input, RECORDS);
      const tiny = work.track(await startBigAnswerServer({ bytesOf: () => 1000, chunked }));
      const baseline = await runMeasured(args(input, path.join(work.dir, 'baseline.db'), tiny.server.url, []), { OPENAI_API_KEY: 'sk-test' });
      expect(baseline.code, baseline.stderr).toBe(0);
      const maxMemory = Math.ceil(baseline.peakBytes / MB) * MB + 60 * MB;

      const { server, sent } = work.track(await startBigAnswerServer({ bytesOf: bigOrSmall, chunked }));
      const db = path.join(work.dir, 'big.db');
      const runs: { code: number | null; peakMb: number }[] = [];
      for (let run = 0; run < MAX_RUNS; run++) {
        const result = await runMeasured(args(input, db, server.url, ['--max-memory', String(maxMemory)]), { OPENAI_API_KEY: 'sk-test' });
        runs.push({ code: result.code, peakMb: Math.round(result.peakBytes / MB) });
        expect([0, HALTED], result.stderr).toContain(result.code);
        expect(result.peakBytes, `runs ${JSON.stringify(runs)}, --max-memory ${maxMemory / MB} MB`).toBeLessThanOrEqual(maxMemory * 1.05);
        if (result.code === 0) break;
      }
      expect(runs.at(-1)?.code, JSON.stringify(runs)).toBe(0);
      expect(inexactRecords(db, sent, ids)).toEqual([]);
    }, 60_000);
  }
});
