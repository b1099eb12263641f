import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasCostSchema, readCheckpointSpend, readRecordCosts, readRunSpend } from '../../../src/checkpoint/cost-queries.js';
import { openCheckpoint } from '../../../src/checkpoint/open.js';
import { DONE_RECORDS_COST_SQL, iterateDoneRecords } from '../../../src/checkpoint/done-records.js';
import { APP_ID, MIGRATIONS } from '../../../src/checkpoint/schema.js';
import { CheckpointStore, type DoneOutcome, type RunCounters } from '../../../src/checkpoint/store.js';
import type { ProviderResponse } from '../../../src/provider/provider.js';

const counters: RunCounters = {
  recordsRead: 0, done: 0, failed: 0, skipped: 0, requests: 0, cacheHits: 0, retries: 0, throttled: 0, peakRss: 0, breakerTrips: 0, breakerResets: 0, rateLimited: 0, backpressure: 0, learnedRateRps: null, heldMs: 0,
};
const response = (prompt: number, completion: number): ProviderResponse => ({
  status: 200,
  requestId: null,
  bodyText: JSON.stringify({ choices: [{ message: { content: 'ok' } }], usage: { prompt_tokens: prompt, completion_tokens: completion } }),
  usage: { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion },
  latencyMs: 5,
});
const COST_MIGRATION = MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE run_costs'));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-cost-schema-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A checkpoint as the release before the cost schema left it, with one done chat record. */
function checkpointBeforeCost(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    for (const sql of MIGRATIONS.slice(0, COST_MIGRATION)) db.exec(sql);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('app', APP_ID);
    db.pragma(`user_version = ${COST_MIGRATION}`);
    db.prepare("INSERT INTO runs (started_at, pid, mode, status, options) VALUES (1, 999999999, 'cache', 'done', '{}')").run();
    db.prepare("INSERT INTO responses (hash, endpoint, status_code, body, prompt_tokens, completion_tokens, created_at) VALUES ('h0', '/v1/chat/completions', 200, ?, 11, 22, 1)")
      .run(JSON.stringify({ choices: [{ message: { content: 'old' } }] }));
    db.prepare("INSERT INTO records (id, line, seen_run, run_id, endpoint, hash, status, attempts, updated_at) VALUES ('old', 1, 1, 1, '/v1/chat/completions', 'h0', 'done', 1, 1)").run();
  })();
  db.close();
}

function done(id: string, line: number, hash: string, model: string, prompt: number, completion: number, costUsd: number | null, cached = false): DoneOutcome {
  return {
    kind: 'done', id, line, endpoint: '/v1/chat/completions', hash, response: cached ? null : response(prompt, completion), cached, attempts: cached ? 0 : 1, trimmed: false,
    cost: { model, promptTokens: prompt, completionTokens: completion, costUsd },
  };
}

describe('the cost schema (appended to MIGRATIONS)', () => {
  it('exists, and is found by what it creates rather than by its number', () => {
    expect(COST_MIGRATION).toBeGreaterThan(0);
  });

  it('upgrades an older checkpoint in place: old records stay readable and untracked, new ones carry model, tokens and cost', () => {
    const file = path.join(dir, 'old.memsafe.db');
    checkpointBeforeCost(file);

    // status and export open read-only and do not migrate: the cost queries answer "nothing tracked".
    const reader = openCheckpoint(file, { create: false, readonly: true });
    expect(hasCostSchema(reader)).toBe(false);
    expect(readCheckpointSpend(reader)).toEqual({ usd: 0, savedUsd: 0, byModel: [], unpricedModels: [] });
    expect(readRecordCosts(reader)).toEqual({ models: [], untracked: 1 });
    expect([...iterateDoneRecords(reader)].map((record) => [record.id, record.model, record.costUsd, record.promptTokens])).toEqual([['old', null, null, 11]]);
    reader.close();

    const store = CheckpointStore.open(file);
    store.lock();
    const run = store.startRun({ mode: 'cache', input: 'in.jsonl', options: {}, initialRss: 1 });
    store.commit(run, [
      done('a@gpt-4o', 2, 'ha', 'gpt-4o', 100, 50, 0.00075),
      done('a@llama3', 3, 'hb', 'llama3', 10, 5, null),
      done('b@gpt-4o', 4, 'ha', 'gpt-4o', 100, 50, 0.00075, true),
    ], counters);
    store.commit(run, [done('c@gpt-4o', 5, 'hc', 'gpt-4o', 200, 100, 0.0015)], counters);
    expect(store.cachedUsage(['ha', 'hc', 'nope'])).toEqual(new Map([['ha', { promptTokens: 100, completionTokens: 50 }], ['hc', { promptTokens: 200, completionTokens: 100 }]]));
    store.close();

    const db = openCheckpoint(file, { create: false, readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(hasCostSchema(db)).toBe(true);
      const records = [...iterateDoneRecords(db)].map((record) => [record.id, record.model, record.promptTokens, record.costUsd]);
      expect(records).toEqual([
        ['old', null, 11, null],
        ['a@gpt-4o', 'gpt-4o', 100, 0.00075],
        ['a@llama3', 'llama3', 10, null],
        // a cache hit cost the run nothing
        ['b@gpt-4o', 'gpt-4o', 100, 0],
        ['c@gpt-4o', 'gpt-4o', 200, 0.0015],
      ]);
      const spend = readRunSpend(db, [1, run]);
      expect(spend.get(1)).toEqual({ usd: 0, savedUsd: 0, byModel: [], unpricedModels: [] });
      const mine = spend.get(run);
      expect(mine?.usd).toBeCloseTo(0.00225);
      expect(mine?.savedUsd).toBeCloseTo(0.00075);
      expect(mine?.unpricedModels).toEqual(['llama3']);
      expect(mine?.byModel).toEqual([
        { model: 'gpt-4o', requests: 2, cacheHits: 1, promptTokens: 300, completionTokens: 150, usd: expect.closeTo(0.00225, 10) as unknown, savedUsd: expect.closeTo(0.00075, 10) as unknown },
        { model: 'llama3', requests: 1, cacheHits: 0, promptTokens: 10, completionTokens: 5, usd: null, savedUsd: null },
      ]);
      const records2 = readRecordCosts(db);
      expect(records2.untracked).toBe(1);
      expect(records2.models.map((model) => [model.model, model.records, model.promptTokens, model.usd === null ? null : Number(model.usd.toFixed(6))])).toEqual([
        ['gpt-4o', 3, 400, 0.003],
        ['llama3', 1, 10, null],
      ]);
    } finally {
      db.close();
    }
  });

  it('adds each run to the checkpoint total, which outlives records rewritten by a later run', () => {
    const file = path.join(dir, 'runs.memsafe.db');
    const store = CheckpointStore.open(file);
    store.lock();
    const first = store.startRun({ mode: 'cache', input: 'in.jsonl', options: {}, initialRss: 1 });
    store.commit(first, [done('a', 1, 'h1', 'gpt-4o', 100, 100, 0.001)], counters);
    const second = store.startRun({ mode: 'cache', input: 'in.jsonl', options: {}, initialRss: 1 });
    // a refresh re-requests the same record: the record holds the newest cost, the total holds both
    store.commit(second, [done('a', 1, 'h2', 'gpt-4o', 100, 300, 0.002)], counters);
    store.close();
    const db = openCheckpoint(file, { create: false, readonly: true });
    try {
      const total = readCheckpointSpend(db);
      expect(total.usd).toBeCloseTo(0.003);
      expect(total.byModel[0]).toMatchObject({ model: 'gpt-4o', requests: 2, promptTokens: 200, completionTokens: 400 });
      expect(readRecordCosts(db).models[0]?.usd).toBeCloseTo(0.002);
    } finally {
      db.close();
    }
  });

  it('writes nothing to run_costs when a commit rolls back', () => {
    const file = path.join(dir, 'rollback.memsafe.db');
    const store = CheckpointStore.open(file);
    store.lock();
    const run = store.startRun({ mode: 'cache', input: 'in.jsonl', options: {}, initialRss: 1 });
    // a second record without a line breaks records.line NOT NULL and rolls the whole batch back
    expect(() => store.commit(run, [done('a', 1, 'h1', 'gpt-4o', 1, 1, 0.5), done('x', null as unknown as number, 'hx', 'gpt-4o', 1, 1, 0.5)], counters)).toThrow(/NOT NULL/);
    store.commit(run, [done('b', 2, 'h2', 'gpt-4o', 1, 1, 0.25)], counters);
    store.close();
    const db = openCheckpoint(file, { create: false, readonly: true });
    try {
      expect(readCheckpointSpend(db).usd).toBeCloseTo(0.25);
    } finally {
      db.close();
    }
  });

  it('exports through the records_line index, with no sort of every done row', () => {
    const file = path.join(dir, 'plan.memsafe.db');
    CheckpointStore.open(file).close();
    const db = openCheckpoint(file, { create: false, readonly: true });
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${DONE_RECORDS_COST_SQL}`).all() as { detail: string }[]).map((row) => row.detail).join('\n');
      expect(plan).toContain('records_line');
      expect(plan).not.toContain('TEMP B-TREE');
    } finally {
      db.close();
    }
  });
});
