import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeVector } from '../../../src/checkpoint/embedding-manifest.js';
import { openCheckpoint } from '../../../src/checkpoint/open.js';
import { readVectorStats } from '../../../src/checkpoint/status-snapshot.js';
import { APP_ID, MIGRATIONS } from '../../../src/checkpoint/schema.js';
import { CheckpointStore, type RunCounters } from '../../../src/checkpoint/store.js';

const counters: RunCounters = {
  recordsRead: 0, done: 0, failed: 0, skipped: 0, requests: 0, cacheHits: 0, retries: 0, throttled: 0, peakRss: 0, breakerTrips: 0, breakerResets: 0,
  rateLimited: 0, backpressure: 0, learnedRateRps: null, heldMs: 0,
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-schema-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A checkpoint as memsafe with schema 2 left it: migrations 1-2 (never edited once released) and an embeddings run's rows. */
function versionTwoCheckpoint(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    for (const sql of MIGRATIONS.slice(0, 2)) db.exec(sql);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('app', APP_ID);
    db.pragma('user_version = 2');
    db.prepare("INSERT INTO runs (started_at, pid, mode, status, options) VALUES (1, 999999999, 'embeddings', 'done', '{}')").run();
    const vector = db.prepare('INSERT INTO vectors (key, model, dim, data, created_at) VALUES (?, ?, ?, ?, 1)');
    const response = db.prepare("INSERT INTO responses (hash, endpoint, status_code, body, created_at) VALUES (?, '/v1/embeddings', 200, ?, 1)");
    const record = db.prepare("INSERT INTO records (id, line, seen_run, run_id, endpoint, hash, status, attempts, updated_at) VALUES (?, ?, 1, 1, '/v1/embeddings', ?, 'done', 1, 1)");
    const texts = [
      { id: 't1', key: 'k1', model: 'small', values: [1, 2] },
      { id: 't2', key: 'k2', model: 'small', values: [3, 4] },
      { id: 't3', key: 'k3', model: 'large', values: [5, 6, 7] },
    ];
    texts.forEach((text, i) => {
      vector.run(text.key, text.model, text.values.length, encodeVector(text.values));
      const manifest = { object: 'memsafe.embedding_manifest', model: text.model, input: 'string', vectors: [text.key], dim: text.values.length, usage: { prompt_tokens: 1, total_tokens: 1 } };
      response.run(`h${i + 1}`, JSON.stringify(manifest));
      record.run(text.id, i + 1, `h${i + 1}`);
    });
  })();
  db.close();
}

function inspect(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      models: db.prepare('SELECT model, dim FROM vector_models ORDER BY model').all(),
      indexes: db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'vectors'").pluck().all(),
    };
  } finally {
    db.close();
  }
}

describe('schema 3: vector_models', () => {
  it('a schema-2 checkpoint reads as before without migrating, then opens for writing migrated and resumes', () => {
    const file = path.join(dir, 'v2.memsafe.db');
    versionTwoCheckpoint(file);

    // status opens read-only: no migration, the dimensions come from the old index.
    const reader = openCheckpoint(file, { create: false, readonly: true });
    expect(readVectorStats(reader)).toEqual({ count: 3, dims: [2, 3] });
    expect(reader.pragma('user_version', { simple: true })).toBe(2);
    reader.close();

    const store = CheckpointStore.open(file);
    store.lock();
    expect(inspect(file)).toEqual({
      version: MIGRATIONS.length,
      models: [{ model: 'large', dim: 3 }, { model: 'small', dim: 2 }],
      indexes: ['sqlite_autoindex_vectors_1'],
    });
    expect(store.storedDimension('small')).toBe(2);
    expect(store.storedDimension('large')).toBe(3);
    expect(store.storedDimension('other')).toBeUndefined();
    expect(store.storedVectors(['k1', 'k3', 'k9'])).toEqual(new Map([['k1', 2], ['k3', 3]]));
    expect([...store.lookup(['t1', 't2', 't3'], false).values()].map((record) => record.status)).toEqual(['done', 'done', 'done']);

    // Resuming: a known model adds no row, a new one adds its own.
    const run = store.startRun({ mode: 'embeddings', input: 'in.jsonl', options: {}, initialRss: 1 });
    store.commit(run, [
      { kind: 'vector', key: 'k4', model: 'small', dim: 2, data: encodeVector([8, 9]) },
      { kind: 'vector', key: 'k5', model: 'wide', dim: 4, data: encodeVector([1, 1, 1, 1]) },
      { kind: 'vector', key: 'k6', model: 'wide', dim: 4, data: encodeVector([2, 2, 2, 2]) },
    ], counters);
    expect(store.storedDimension('wide')).toBe(4);
    store.close();

    const migrated = openCheckpoint(file, { create: false, readonly: true });
    expect(readVectorStats(migrated)).toEqual({ count: 6, dims: [2, 3, 4] });
    migrated.close();
    // Migrations run once: opening again changes nothing.
    CheckpointStore.open(file).close();
    expect(inspect(file).models).toEqual([{ model: 'large', dim: 3 }, { model: 'small', dim: 2 }, { model: 'wide', dim: 4 }]);
  });

  it('writes a model row with the first committed vector of the model, also after a commit that rolled back', () => {
    const file = path.join(dir, 'new.memsafe.db');
    const store = CheckpointStore.open(file);
    store.lock();
    const run = store.startRun({ mode: 'embeddings', input: 'in.jsonl', options: {}, initialRss: 1 });
    const vector = { kind: 'vector', key: 'k1', model: 'm', dim: 2, data: encodeVector([1, 2]) } as const;
    // A NOT NULL body fails the transaction after the vector and its model row were written.
    const broken = {
      kind: 'done', id: 'a', line: 1, endpoint: '/v1/embeddings', hash: 'h1', cached: false, attempts: 1, trimmed: false,
      response: { status: 200, requestId: null, bodyText: null as unknown as string, usage: null, latencyMs: 1 },
    } as const;
    expect(() => store.commit(run, [vector, broken], counters)).toThrow(/NOT NULL/);
    expect(inspect(file).models).toEqual([]);
    expect(store.storedDimension('m')).toBeUndefined();
    store.commit(run, [vector], counters);
    expect(inspect(file).models).toEqual([{ model: 'm', dim: 2 }]);
    expect(store.storedDimension('m')).toBe(2);
    store.close();
  });
});
