// Issue 11, "big embedding answers overshoot it further": 3,072-dimension float vectors at --batch-size 512 and
// --concurrency 8 with --max-memory at the baseline + 80 MB peaked at 1.78x. Packs must come down to fit.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeVector } from '../../src/checkpoint/embedding-manifest.js';
import { mockAnswer, mockEmbedding } from '../../src/provider/mock-answers.js';
import { runMeasured } from '../helpers/big-answers.js';
import { query } from '../helpers/checkpoint.js';
import { startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

const MB = 1024 * 1024;
const TEXTS = 1500;
const DIMENSIONS = 3072;
const HALTED = 75;
const MAX_RUNS = 8;
const work = useTestWork('admission-embeddings');
const textFor = (i: number) => `embedding text number ${i}`;

const args = (input: string, db: string, url: string, extra: string[]) => [
  'embeddings', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'embed-test', '--embedding-encoding', 'float',
  '--batch-size', '512', '--concurrency', '8', '--no-progress', '--log-level', 'warn', '--json', ...extra,
];

/** A server of `dimensions`-value float vectors (the mock's, so each can be checked). */
function vectorServer(dimensions: number) {
  return startFaultServer({
    behaviour: (request) => {
      const answer = mockAnswer('POST', request.path, JSON.stringify({ ...(request.json as object), dimensions }));
      return { status: answer.status, body: answer.body, headers: answer.headers };
    },
  });
}

function vectorsById(db: string): Map<string, number[]> {
  const rows = query<{ id: string; body: string }>(db, "SELECT r.id, p.body FROM records r JOIN responses p ON p.hash = r.hash WHERE r.status = 'done'");
  const byKey = new Map(query<{ key: string; data: Buffer }>(db, 'SELECT key, data FROM vectors').map((row) => [row.key, decodeVector(row.data)]));
  return new Map(rows.map((row) => [row.id, byKey.get((JSON.parse(row.body) as { vectors: string[] }).vectors[0] ?? '') ?? []]));
}

describe('memory admission for big embedding answers', () => {
  it('3,072-dim float vectors, --batch-size 512, --max-memory at baseline + 80 MB: peak at most 1.05x, every vector exact', async () => {
    // guards: issue 11, peak RSS 1.78x --max-memory with 512 x 3,072 float answers (about 15 MB each, unbounded)
    const input = path.join(work.dir, 'texts.jsonl');
    fs.writeFileSync(input, `${Array.from({ length: TEXTS }, (_, i) => JSON.stringify({ id: `t${i}`, text: textFor(i) })).join('\n')}\n`);
    const tiny = work.track(await vectorServer(16));
    const baseline = await runMeasured(args(input, path.join(work.dir, 'baseline.db'), tiny.url, []), { OPENAI_API_KEY: 'sk-test' });
    expect(baseline.code, baseline.stderr).toBe(0);
    const maxMemory = Math.ceil(baseline.peakBytes / MB) * MB + 80 * MB;

    const server = work.track(await vectorServer(DIMENSIONS));
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
    const vectors = vectorsById(db);
    expect(vectors.size).toBe(TEXTS);
    const wrong = [...vectors].filter(([id, vector]) => {
      const expected = Float32Array.from(mockEmbedding(textFor(Number(id.slice(1))), DIMENSIONS));
      return vector.length !== DIMENSIONS || vector.some((value, index) => value !== expected[index]);
    });
    expect(wrong.map(([id]) => id)).toEqual([]);
  }, 60_000);
});
