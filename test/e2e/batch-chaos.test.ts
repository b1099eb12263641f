// guards: a kill -9 at any point of a batch job loses nothing, creates no second batch for the same records, and
// gets no record processed twice. The 200k records / 10 kills run as
// MEMSAFE_BATCH_CHAOS_RECORDS=200000 MEMSAFE_BATCH_CHAOS_KILLS=10; the default size keeps CI under a minute.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MockBatchEvent } from '../../src/provider/mock-batches.js';
import { type BatchServer, startBatchServer } from '../helpers/batch-server.js';
import { collect, spawnCli } from '../helpers/cli.js';
import { query, writePrompts } from '../helpers/checkpoint.js';
import { useTestWork } from '../helpers/test-work.js';

const RECORDS = Number(process.env['MEMSAFE_BATCH_CHAOS_RECORDS'] ?? 3000);
const KILLS = Number(process.env['MEMSAFE_BATCH_CHAOS_KILLS'] ?? 8);
const SEED = Number(process.env['MEMSAFE_BATCH_CHAOS_SEED'] ?? 14);
/** Chance of a kill each time the server reaches one of these points of a run. */
const KILL_CHANCE: Record<MockBatchEvent, number> = { upload: 0.6, create: 0.6, poll: 0.7, download: 0.8 };
/** Kills per point at most, so every point gets its share. */
const BUDGET = Math.ceil(KILLS / 4);

const work = useTestWork('batch-chaos');

/** mulberry32: a small seeded PRNG, so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('--via batch under kill -9', () => {
  it(`${RECORDS} records over at least four batches survive ${KILLS} seeded kills at submit, poll and download`, { timeout: 600_000 }, async () => {
    const random = prng(SEED);
    let child: ChildProcess | undefined;
    let exited: Promise<unknown> | undefined;
    const kills: MockBatchEvent[] = [];
    const server: BatchServer = work.track(
      await startBatchServer({
        validatingMs: 20, inProgressMs: 60, finalizingMs: 20,
        // The server holds the request at the kill point until the client is dead, then carries on (the batch created, the file half sent).
        onEvent: async (event) => {
          if (kills.length >= KILLS || kills.filter((kind) => kind === event).length >= BUDGET) return;
          if (child === undefined || exited === undefined || random() >= KILL_CHANCE[event]) return;
          kills.push(event);
          child.kill('SIGKILL');
          await exited;
        },
      }),
    );
    const input = path.join(work.dir, 'in.jsonl');
    const db = path.join(work.dir, 'in.memsafe.db');
    writePrompts(input, RECORDS);
    const args = ['cache', '--input', input, '--db', db, '--provider', 'openai', '--base-url', server.baseUrl, '--model', 'test-model',
      '--via', 'batch', '--batch-max-requests', String(Math.ceil(RECORDS / 5)), '--no-progress', '--log-level', 'warn'];
    let last: { code: number | null; stderr: string } = { code: null, stderr: '' };
    for (let run = 0; run < 80; run++) {
      child = spawnCli(args, { env: { OPENAI_API_KEY: 'sk-test-chaos' } });
      const result = collect(child);
      exited = result;
      last = await result;
      child = undefined;
      exited = undefined;
      if (last.code === 0) break;
      expect([75, null], last.stderr).toContain(last.code);
    }
    expect(last.code, last.stderr).toBe(0);
    expect(kills.length, `kill points: ${kills.join(', ')}`).toBeGreaterThanOrEqual(Math.min(KILLS, 4));
    expect(new Set(kills).size, `kill points: ${kills.join(', ')}`).toBe(Math.min(4, KILLS));

    const rows = query<{ id: string; status: string; body: string }>(db, 'SELECT r.id, r.status, p.body FROM records r JOIN responses p ON p.hash = r.hash');
    expect(rows).toHaveLength(RECORDS);
    for (const row of rows) {
      expect(row.status).toBe('done');
      expect((JSON.parse(row.body) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toContain(`record ${row.id}`);
    }
    // Every request processed exactly once by the server, however often the client died.
    expect(server.stats.processed.size).toBe(RECORDS);
    expect([...server.stats.processed.values()].filter((count) => count !== 1)).toEqual([]);
    // One batch per chunk: a lost create was adopted, never repeated.
    const batches = query<{ chunk_id: number }>(db, 'SELECT chunk_id FROM batches');
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect(new Set(batches.map((row) => row.chunk_id)).size).toBe(batches.length);
    expect(server.stats.creates).toBe(batches.length);
    expect(fs.readdirSync(work.dir).filter((name) => name.includes('.batch-'))).toEqual([]);
  });
});
