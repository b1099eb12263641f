// Fault suite: kill -9 at many seeded points of one job, each rerun killed at the next point, then a rerun to the
// end. Every record ends done exactly once, nothing committed is ever sent again, and each kill costs at most
// the requests in flight plus one uncommitted batch.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeVector } from '../../src/checkpoint/embedding-manifest.js';
import { vectorKey } from '../../src/engine/embeddings/vector-key.js';
import { mockEmbedding } from '../../src/provider/mock-answers.js';
import { doneIds, doneWithoutResponse, finish, integrity, requestsTagged, runRows, seeded, tagArgs } from '../helpers/chaos.js';
import { spawnCli } from '../helpers/cli.js';
import { idOfRequest, query, writePrompts } from '../helpers/checkpoint.js';
import { type FaultRequest, type FaultServer, type RecordedRequest, startFaultServer } from '../helpers/fault-server.js';
import { useTestWork } from '../helpers/test-work.js';

const CONCURRENCY = 4;
const BATCH = 32;

let server: FaultServer | undefined;
const work = useTestWork('chaos-kill');

/** `kills` points spread over `total` units of work: k·total/(kills+1) plus a seeded jitter under half a gap. */
function killPoints(total: number, kills: number, seed: number): number[] {
  const random = seeded(seed);
  const gap = total / (kills + 1);
  return Array.from({ length: kills }, (_, i) => Math.round((i + 1) * gap + random() * (gap / 2)));
}

interface KillTarget {
  child: ChildProcess | undefined;
  killAt: number;
  seen: number;
}

/** A server that answers after `slowMs` and SIGKILLs the run under test once it has seen `killAt` units of work. */
async function killingServer(target: KillTarget, units: (request: FaultRequest) => number, slowMs: number): Promise<FaultServer> {
  return work.track(await startFaultServer({
    behaviour: (request) => {
      target.seen += units(request);
      if (target.child !== undefined && target.seen >= target.killAt) {
        target.child.kill('SIGKILL');
        target.child = undefined;
      }
      return { slowMs };
    },
  }));
}

/**
 * Runs `args` once per kill point, each killed by the server at its point, then once more to the end.
 * Returns what the checkpoint had committed after each run, read with `committed`.
 */
async function killSeries<T>(target: KillTarget, points: readonly number[], args: (tag: number) => string[], committed: () => T): Promise<T[]> {
  const after: T[] = [];
  for (let run = 0; run <= points.length; run++) {
    target.killAt = points[run] ?? Number.POSITIVE_INFINITY;
    const child = spawnCli(args(run));
    target.child = child;
    const result = await finish(child);
    if (run < points.length) expect(result.signal, `run ${run} should be killed at ${target.killAt}: ${result.stderr}`).toBe('SIGKILL');
    else expect(result.code, result.stderr).toBe(0);
    after.push(committed());
  }
  return after;
}

const present = <T>(value: T | undefined): value is T => value !== undefined;

describe('kill -9 and resume, cache mode', () => {
  // guards: resume must not resend committed records, however often the run is killed
  it('twenty kills at seeded points: every record done once, nothing committed resent, bounded repeats per kill', async () => {
    const count = 4200;
    const kills = 20;
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, count);
    const target: KillTarget = { child: undefined, killAt: Number.POSITIVE_INFINITY, seen: 0 };
    server = await killingServer(target, () => 1, 2);
    const url = server.url;
    const args = (tag: number) => [
      'cache', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', 'test-model', '--concurrency', String(CONCURRENCY),
      '--batch-size', String(BATCH), '--no-progress', '--log-level', 'warn', ...tagArgs(tag),
    ];
    const committed = await killSeries(target, killPoints(count, kills, 20), args, () => doneIds(db));

    const requests = server.requests;
    const idsOf = (run: number) => requestsTagged(requests, run).map((request) => idOfRequest(request.json)).filter(present);
    for (let run = 0; run <= kills; run++) {
      const sent = idsOf(run);
      expect(sent.length, `run ${run} sent requests`).toBeGreaterThan(0);
      const before = committed[run - 1] ?? new Set<string>();
      expect(sent.filter((id) => before.has(id)), `run ${run} resent records committed before it started`).toEqual([]);
      if (run < kills) {
        const lost = new Set(sent.filter((id) => !committed[run]?.has(id)));
        expect(lost.size, `requests of run ${run} not committed at its kill`).toBeLessThanOrEqual(CONCURRENCY + BATCH);
      }
    }
    const all = requests.map((request) => idOfRequest(request.json)).filter(present);
    expect(all.length - new Set(all).size).toBeLessThanOrEqual(kills * (CONCURRENCY + BATCH));

    const rows = query<{ n: number; ids: number }>(db, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM records WHERE status = 'done'");
    expect(rows[0]).toEqual({ n: count, ids: count });
    expect(committed.at(-1)).toEqual(new Set(Array.from({ length: count }, (_, i) => `r${i}`)));
    expect(doneWithoutResponse(db)).toEqual([]);
    expect(integrity(db)).toBe('ok');
    expect(runRows(db).map((run) => run.status)).toEqual([...Array<string>(kills).fill('crashed'), 'done']);
  });
});

describe('kill -9 and resume, embeddings mode', () => {
  it('five kills: every text embedded and stored, no committed vector requested again, bounded repeats per kill', async () => {
    const count = 6000;
    const kills = 5;
    const model = 'embed-test';
    // Every seventh text repeats an earlier one: shared texts must survive the kills too.
    const textFor = (i: number) => (i % 7 === 6 ? `text number ${i - 3}` : `text number ${i}`);
    const input = path.join(work.dir, 'texts.jsonl');
    fs.writeFileSync(input, `${Array.from({ length: count }, (_, i) => JSON.stringify({ id: `t${i}`, text: textFor(i) })).join('\n')}\n`);
    const db = path.join(work.dir, 'texts.memsafe.db');
    const distinct = new Set(Array.from({ length: count }, (_, i) => textFor(i)));
    const textsOf = (request: FaultRequest) => {
      const body = request.json as { input?: unknown } | undefined;
      return Array.isArray(body?.input) ? (body.input as string[]) : typeof body?.input === 'string' ? [body.input] : [];
    };
    const target: KillTarget = { child: undefined, killAt: Number.POSITIVE_INFINITY, seen: 0 };
    server = await killingServer(target, (request) => textsOf(request).length, 2);
    const url = server.url;
    const args = (tag: number) => [
      'embeddings', '--input', input, '--db', db, '--base-url', `${url}/v1`, '--model', model, '--concurrency', String(CONCURRENCY),
      '--batch-size', String(BATCH), '--no-progress', '--log-level', 'warn', ...tagArgs(tag),
    ];
    const storedKeys = () => new Set(query<{ key: string }>(db, 'SELECT key FROM vectors').map((row) => row.key));
    const committed = await killSeries(target, killPoints(distinct.size, kills, 5), args, storedKeys);

    const keyOf = (text: string) => vectorKey({ model }, text, false);
    const textsSentBy = (run: number): string[] => requestsTagged(server?.requests ?? [], run).flatMap((request: RecordedRequest) => textsOf(request));
    for (let run = 0; run <= kills; run++) {
      const sent = textsSentBy(run);
      expect(sent.length, `run ${run} sent texts`).toBeGreaterThan(0);
      const before = committed[run - 1] ?? new Set<string>();
      expect(sent.filter((text) => before.has(keyOf(text))), `run ${run} re-embedded texts stored before it started`).toEqual([]);
      if (run < kills) {
        const lost = sent.filter((text) => !committed[run]?.has(keyOf(text)));
        expect(lost.length, `texts of run ${run} not stored at its kill`).toBeLessThanOrEqual(CONCURRENCY * BATCH + BATCH);
      }
    }
    const sentTexts = server.requests.flatMap(textsOf);
    expect(new Set(sentTexts)).toEqual(distinct);
    expect(sentTexts.length - distinct.size).toBeLessThanOrEqual(kills * (CONCURRENCY * BATCH + BATCH));

    const rows = query<{ id: string; body: string }>(db, "SELECT r.id, p.body FROM records r JOIN responses p ON p.hash = r.hash WHERE r.status = 'done'");
    expect(rows.length).toBe(count);
    const vectors = new Map(query<{ key: string; data: Buffer }>(db, 'SELECT key, data FROM vectors').map((row) => [row.key, row.data]));
    expect(vectors.size).toBe(distinct.size);
    for (const row of rows) {
      const [key] = (JSON.parse(row.body) as { vectors: string[] }).vectors;
      const text = textFor(Number(row.id.slice(1)));
      expect(key, row.id).toBe(keyOf(text));
      expect(decodeVector(vectors.get(key ?? '') ?? Buffer.alloc(0)), row.id).toEqual([...Float32Array.from(mockEmbedding(text))]);
    }
    expect(integrity(db)).toBe('ok');
    expect(runRows(db).map((run) => run.status)).toEqual([...Array<string>(kills).fill('crashed'), 'done']);
  });
});
