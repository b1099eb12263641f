// Embeddings over the wire as base64 (what the official SDK asks for) or as number arrays: the same stored
// vectors either way, servers that ignore encoding_format still work, and a corrupt vector fails only its records.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeVector } from '../../src/checkpoint/embedding-manifest.js';
import { base64Vector, mockAnswer, mockEmbedding } from '../../src/provider/mock-answers.js';
import { runCli } from '../helpers/cli.js';
import { query } from '../helpers/checkpoint.js';
import { type FaultRequest, type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

let server: FaultServer | undefined;
const work = useTestWork('embed-encoding');

const COUNT = 40;
const textFor = (i: number) => `encoded text ${i}`;

function writeInput(name: string, texts: readonly string[]): string {
  const input = path.join(work.dir, name);
  fs.writeFileSync(input, `${texts.map((text, i) => JSON.stringify({ id: `t${i}`, text })).join('\n')}\n`);
  return input;
}

const args = (input: string, db: string, url: string, extra: string[] = []) => [
  'embeddings', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'embed-test', '--concurrency', '2',
  '--batch-size', '8', '--no-progress', '--log-level', 'warn', '--json', ...extra,
];

interface VectorRow {
  key: string;
  dim: number;
  data: Buffer;
}

const vectorRows = (db: string) => query<VectorRow>(db, 'SELECT key, dim, data FROM vectors ORDER BY key');

/** The stored vector of each done record, by id. */
function vectorsById(db: string): Map<string, number[]> {
  const rows = query<{ id: string; body: string }>(db, "SELECT r.id, p.body FROM records r JOIN responses p ON p.hash = r.hash WHERE r.status = 'done'");
  const byKey = new Map(vectorRows(db).map((row) => [row.key, decodeVector(row.data)]));
  return new Map(rows.map((row) => [row.id, byKey.get((JSON.parse(row.body) as { vectors: string[] }).vectors[0] ?? '') ?? []]));
}

const encodingOf = (request: FaultRequest) => (request.json as { encoding_format?: unknown }).encoding_format;

/** What a server that does not know encoding_format answers: number arrays. */
function floatAnswer(request: FaultRequest, scale = 1) {
  const { encoding_format: _ignored, ...rest } = request.json as Record<string, unknown>;
  const body = JSON.parse(mockAnswer('POST', '/v1/embeddings', JSON.stringify(rest)).body) as { data: { embedding: number[] }[] };
  for (const entry of body.data) entry.embedding = entry.embedding.map((value) => value * scale);
  return { status: 200, body };
}

describe('embeddings encoding', () => {
  it('asks for base64 by default and stores the same vectors as --embedding-encoding float, which sends no encoding_format', async () => {
    const input = writeInput('texts.jsonl', Array.from({ length: COUNT }, (_, i) => textFor(i)));
    server = work.track(await startFaultServer());
    const base64Db = path.join(work.dir, 'base64.db');
    const base64Run = await runCli(args(input, base64Db, server.url));
    expect(base64Run.code, base64Run.stderr).toBe(0);
    const base64Requests = server.requests.length;
    expect(base64Requests).toBeGreaterThan(1);
    expect(server.requests.map(encodingOf)).toEqual(Array.from({ length: base64Requests }, () => 'base64'));

    const floatDb = path.join(work.dir, 'float.db');
    const floatRun = await runCli(args(input, floatDb, server.url, ['--embedding-encoding', 'float']));
    expect(floatRun.code, floatRun.stderr).toBe(0);
    const floatRequests = server.requests.slice(base64Requests);
    expect(floatRequests.length).toBeGreaterThan(1);
    for (const request of floatRequests) expect(request.json).not.toHaveProperty('encoding_format');

    expect(vectorRows(base64Db)).toHaveLength(COUNT);
    expect(vectorRows(base64Db)).toEqual(vectorRows(floatDb));
    for (const [id, vector] of vectorsById(base64Db)) expect(vector, id).toEqual([...Float32Array.from(mockEmbedding(textFor(Number(id.slice(1)))))]);
  });

  it('works with a server that ignores encoding_format and answers number arrays', async () => {
    const input = writeInput('texts.jsonl', Array.from({ length: COUNT }, (_, i) => textFor(i)));
    server = work.track(await startFaultServer({ behaviour: (request) => floatAnswer(request) }));
    const db = path.join(work.dir, 'ignored.db');
    const result = await runCli(args(input, db, server.url));
    expect(result.code, result.stderr).toBe(0);
    expect(server.requests.every((request) => encodingOf(request) === 'base64')).toBe(true);
    const vectors = vectorsById(db);
    expect(vectors.size).toBe(COUNT);
    for (const [id, vector] of vectors) expect(vector, id).toEqual([...Float32Array.from(mockEmbedding(textFor(Number(id.slice(1)))))]);
  });

  it('a base64 vector whose length is not a whole number of float32 values fails only its records, saying so', async () => {
    const texts = ['fine one', 'BROKEN text', 'fine two', 'BROKEN text', 'fine three'];
    const input = writeInput('broken.jsonl', texts);
    server = work.track(await startFaultServer({
      behaviour: (request) => {
        const body = JSON.parse(mockAnswer('POST', '/v1/embeddings', request.body).body) as { data: { index: number; embedding: string }[] };
        const sent = (request.json as { input: string[] }).input;
        for (const entry of body.data) if (sent[entry.index] === 'BROKEN text') entry.embedding = Buffer.alloc(6).toString('base64');
        return { status: 200, body };
      },
    }));
    const db = path.join(work.dir, 'broken.db');
    const result = await runCli(args(input, db, server.url));
    expect(result.code, result.stderr).toBe(3);
    const failed = query<{ id: string; error_code: string; error_message: string }>(db, "SELECT id, error_code, error_message FROM records WHERE status = 'failed' ORDER BY id");
    expect(failed.map((row) => [row.id, row.error_code])).toEqual([['t1', 'invalid_response'], ['t3', 'invalid_response']]);
    for (const row of failed) expect(row.error_message).toMatch(/vector for index \d+ is 6 bytes of base64, not a whole number of float32 values/);
    expect([...vectorsById(db).keys()].sort()).toEqual(['t0', 't2', 't4']);
    // guards: invalid_response was marked retryable but never retried within the run (issue 10, defect 2)
    const asked = server.requests.filter((request) => (request.json as { input: string[] }).input.includes('BROKEN text')).length;
    expect(asked).toBeGreaterThan(1);
    expect(query<{ retryable: number }>(db, "SELECT retryable FROM records WHERE status = 'failed'").map((row) => row.retryable)).toEqual([1, 1]);
  });

  it('--normalize scales base64 vectors to unit length, byte for byte as it scales number arrays', async () => {
    const input = writeInput('norm.jsonl', Array.from({ length: COUNT }, (_, i) => textFor(i)));
    // Vectors of length 3, so that normalizing has work to do.
    server = work.track(await startFaultServer({
      behaviour: (request) => {
        const answer = floatAnswer(request, 3);
        if (encodingOf(request) !== 'base64') return answer;
        const data = answer.body.data.map((entry) => ({ ...entry, embedding: base64Vector(entry.embedding) }));
        return { status: 200, body: { ...answer.body, data } };
      },
    }));
    const base64Db = path.join(work.dir, 'norm-base64.db');
    const floatDb = path.join(work.dir, 'norm-float.db');
    expect((await runCli(args(input, base64Db, server.url, ['--normalize']))).code).toBe(0);
    expect((await runCli(args(input, floatDb, server.url, ['--normalize', '--embedding-encoding', 'float']))).code).toBe(0);
    const vectors = vectorsById(base64Db);
    expect(vectors.size).toBe(COUNT);
    for (const [id, vector] of vectors) {
      expect(Math.hypot(...vector), id).toBeCloseTo(1, 5);
      const expected = mockEmbedding(textFor(Number(id.slice(1))));
      for (const [i, value] of vector.entries()) expect(value).toBeCloseTo(expected[i] ?? Number.NaN, 5);
    }
    expect(vectorRows(base64Db)).toEqual(vectorRows(floatDb));
  });
});
