// Embeddings over real HTTP: packed requests, answers matched by index, each distinct text sent once,
// kill and resume without re-embedding, and one refused text isolated by bisection.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeVector } from '../../src/checkpoint/embedding-manifest.js';
import { mockEmbedding } from '../../src/provider/mock-answers.js';
import { collect, runCli, spawnCli } from '../helpers/cli.js';
import { query } from '../helpers/checkpoint.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

let server: FaultServer | undefined;
const work = useTestWork('embed');

const args = (input: string, db: string, url: string, extra: string[] = []) => [
  'embeddings', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'embed-test', '--concurrency', '4',
  '--batch-size', '64', '--no-progress', '--log-level', 'warn', '--json', ...extra,
];

const textsOf = (request: { json: unknown }): string[] => {
  const input = (request.json as { input?: unknown }).input;
  return Array.isArray(input) ? (input as string[]) : [String(input)];
};

/** Every fifth text repeats an earlier one, so dedup has work to do. */
const textFor = (i: number) => (i % 5 === 4 ? `text number ${i - 4}` : `text number ${i}`);

interface StoredVector {
  id: string;
  body: string;
}

function storedVectors(db: string): Map<string, number[]> {
  const rows = query<StoredVector>(db, "SELECT r.id, p.body FROM records r JOIN responses p ON p.hash = r.hash WHERE r.status = 'done'");
  const vectors = new Map(query<{ key: string; data: Buffer }>(db, 'SELECT key, data FROM vectors').map((row) => [row.key, decodeVector(row.data)]));
  return new Map(rows.map((row) => [row.id, vectors.get((JSON.parse(row.body) as { vectors: string[] }).vectors[0] ?? '') ?? []]));
}

describe('embeddings', () => {
  it('embeds 20k texts in packs, stores what the server returned for each text, survives a kill, sends each text once', async () => {
    const count = 20_000;
    const input = path.join(work.dir, 'texts.jsonl');
    fs.writeFileSync(input, `${Array.from({ length: count }, (_, i) => JSON.stringify({ id: `t${i}`, text: textFor(i) })).join('\n')}\n`);
    const db = path.join(work.dir, 'texts.memsafe.db');
    // The server answers multi-text packs in reversed order: only matching by `index` stores the right vectors.
    server = work.track(await startFaultServer({ behaviour: () => ({ slowMs: 2 }) }));
    const first = spawnCli(args(input, db, server.url));
    const firstDone = collect(first);
    for (let i = 0; i < 600 && (server.requests.length < 60); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    first.kill('SIGKILL');
    await firstDone;
    const committed = new Set(query<{ id: string }>(db, "SELECT id FROM records WHERE status = 'done'").map((row) => row.id));
    expect(committed.size).toBeGreaterThan(0);
    expect(committed.size).toBeLessThan(count);
    const committedTexts = new Set([...committed].map((id) => textFor(Number(id.slice(1)))));
    const before = server.requests.length;

    const second = await runCli(args(input, db, server.url));
    expect(second.code, second.stderr).toBe(0);

    // No committed text was embedded again after the kill.
    const resent = server.requests.slice(before).flatMap(textsOf).filter((text) => committedTexts.has(text));
    expect(resent).toEqual([]);
    // Every distinct text was sent once, apart from the packs in flight at the kill.
    const sent = server.requests.flatMap(textsOf);
    const distinct = new Set(Array.from({ length: count }, (_, i) => textFor(i)));
    expect(new Set(sent)).toEqual(distinct);
    expect(sent.length - distinct.size).toBeLessThanOrEqual(4 * 64 + 64);
    // Several texts per request.
    expect(server.requests.length).toBeLessThan(count / 10);

    const vectors = storedVectors(db);
    expect(vectors.size).toBe(count);
    for (const [id, vector] of vectors) {
      const expected = Float32Array.from(mockEmbedding(textFor(Number(id.slice(1)))));
      expect(vector, id).toEqual([...expected]);
    }
    const summary = JSON.parse(second.stdout) as { records: { cache_hits: number; skipped: number } };
    expect(summary.records.cache_hits).toBeGreaterThan(0);
  });

  it('isolates one text the server refuses with 400 in about log2(pack) extra requests; its neighbours are stored', async () => {
    const input = path.join(work.dir, 'poison.jsonl');
    fs.writeFileSync(input, Array.from({ length: 32 }, (_, i) => JSON.stringify({ id: `p${i}`, text: i === 13 ? 'POISON text' : `fine text ${i}` })).join('\n'));
    const db = path.join(work.dir, 'poison.db');
    server = work.track(await startFaultServer({
      behaviour: (request) =>
        request.body.includes('POISON') ? { status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded' } } } : 'ok',
    }));
    const result = await runCli(args(input, db, server.url, ['--batch-size', '32']));
    expect(result.code, result.stderr).toBe(3);
    const failed = query<{ id: string; error_message: string; http_status: number }>(db, "SELECT id, error_message, http_status FROM records WHERE status = 'failed'");
    expect(failed).toEqual([{ id: 'p13', http_status: 400, error_message: expect.stringContaining('maximum context length') }]);
    expect(query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n).toBe(31);
    // One pack of 32, then bisection: 2 requests per level for 5 levels at most.
    expect(server.requests.length).toBeLessThanOrEqual(1 + 2 * Math.log2(32));
  });

  it('a vector of another dimension is an error, not silent storage', async () => {
    const input = path.join(work.dir, 'dims.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ id: 'a', text: 'alpha' })}\n`);
    const db = path.join(work.dir, 'dims.db');
    server = work.track(await startFaultServer());
    expect((await runCli(args(input, db, server.url))).code).toBe(0);
    await server.close();
    server = work.track(await startFaultServer({
      behaviour: () => ({ status: 200, body: { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [1, 2, 3] }], model: 'embed-test' } }),
    }));
    fs.appendFileSync(input, `${JSON.stringify({ id: 'b', text: 'beta' })}\n`);
    const result = await runCli(args(input, db, server.url));
    expect(result.code).toBe(3);
    // guards: dimension_mismatch was stored as retryable, so every later run sent it again (issue 10, defect 2)
    const [row] = query<{ id: string; error_code: string; retryable: number }>(db, "SELECT id, error_code, retryable FROM records WHERE status = 'failed'");
    expect(row).toEqual({ id: 'b', error_code: 'dimension_mismatch', retryable: 0 });
    const requestsBefore = server.requests.length;
    expect((await runCli(args(input, db, server.url))).code).toBe(3);
    expect(server.requests.length).toBe(requestsBefore);
  });

  it('--normalize stores unit-length vectors', async () => {
    const input = path.join(work.dir, 'norm.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ id: 'a', text: 'alpha' })}\n${JSON.stringify({ id: 'b', text: ['beta', 'gamma'] })}\n`.replace('"text":["beta","gamma"]', '"text":"beta"'));
    const db = path.join(work.dir, 'norm.db');
    server = work.track(await startFaultServer());
    expect((await runCli(args(input, db, server.url, ['--normalize']))).code).toBe(0);
    for (const vector of storedVectors(db).values()) {
      expect(Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0))).toBeCloseTo(1, 5);
    }
  });

  it('packs texts only with records that ask for the same model and options', async () => {
    const input = path.join(work.dir, 'mixed.jsonl');
    const lines = Array.from({ length: 120 }, (_, i) => {
      const model = i % 3 === 0 ? 'model-a' : 'model-b';
      // The same text under another input_type is another vector; under none it keeps the plain key.
      const body = i % 4 === 0 ? { model, input: `text ${i % 60}`, input_type: 'query' } : { model, input: `text ${i % 60}` };
      return JSON.stringify({ custom_id: `m${i}`, method: 'POST', url: '/v1/embeddings', body });
    });
    fs.writeFileSync(input, `${lines.join('\n')}\n`);
    const db = path.join(work.dir, 'mixed.memsafe.db');
    server = work.track(await startFaultServer({ behaviour: () => 'ok' }));
    const result = await runCli(args(input, db, server.url));
    expect(result.code, result.stderr).toBe(0);
    const wanted = new Map<string, Set<string>>();
    for (const line of lines) {
      const { body } = JSON.parse(line) as { body: { model: string; input: string; input_type?: string } };
      const identity = JSON.stringify([body.model, body.input_type ?? null]);
      wanted.set(identity, (wanted.get(identity) ?? new Set()).add(body.input));
    }
    const sent = new Map<string, string[]>();
    for (const request of server.requests) {
      const body = request.json as { model: string; input_type?: string };
      const identity = JSON.stringify([body.model, body.input_type ?? null]);
      sent.set(identity, [...(sent.get(identity) ?? []), ...textsOf(request)]);
    }
    // Every text went out once under each identity that asked for it, and under no other.
    expect(new Map([...sent].map(([identity, texts]) => [identity, [...texts].sort()]))).toEqual(
      new Map([...wanted].map(([identity, texts]) => [identity, [...texts].sort()])),
    );
    const done = query<{ n: number }>(db, "SELECT count(*) AS n FROM records WHERE status = 'done'")[0]?.n;
    expect(done).toBe(120);
  });
});
