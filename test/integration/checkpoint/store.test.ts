import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../src/checkpoint/open.js';
import { CheckpointStore, type RunCounters, type StoredAnswer } from '../../../src/checkpoint/store.js';
import { CheckpointLockedError, FatalError } from '../../../src/errors.js';
import type { ProviderResponse } from '../../../src/provider/provider.js';

const counters: RunCounters = {
  recordsRead: 0, done: 0, failed: 0, skipped: 0, requests: 0, cacheHits: 0, retries: 0, throttled: 0, peakRss: 0, breakerTrips: 0, breakerResets: 0,
  rateLimited: 0, backpressure: 0, learnedRateRps: null, heldMs: 0,
};
const response = { status: 200, requestId: 'req-1', bodyText: '{"ok":true}', usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 }, latencyMs: 12 };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-store-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('CheckpointStore', () => {
  it('creates the checkpoint readable by its owner only, in WAL mode', () => {
    const file = path.join(dir, 'a.memsafe.db');
    const store = CheckpointStore.open(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('checkpoints the WAL every 10000 pages and cuts an overgrown one back to 64 MB', () => {
    const db = openCheckpoint(path.join(dir, 'wal.db'), { create: true });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    expect(db.pragma('journal_size_limit', { simple: true })).toBe(64 * 1024 * 1024);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    db.close();
  });

  it('commits outcomes in one transaction and answers lookups by id and by request hash', () => {
    const store = CheckpointStore.open(path.join(dir, 'b.db'));
    store.lock();
    const run = store.startRun({ mode: 'cache', input: 'in.jsonl', options: {}, initialRss: 1 });
    store.commit(run, [
      { kind: 'done', id: 'a', line: 1, endpoint: '/v1/chat/completions', hash: 'h1', response, cached: false, attempts: 1, trimmed: false },
      { kind: 'done', id: 'b', line: 2, endpoint: '/v1/chat/completions', hash: 'h1', response: null, cached: true, attempts: 0, trimmed: false },
      { kind: 'failed', id: 'c', line: 3, endpoint: null, hash: null, code: 'invalid_json', message: 'bad', httpStatus: null, retryable: false, attempts: 0, trimmed: false },
      { kind: 'duplicate', id: 'a', line: 4, firstLine: 1 },
    ], { ...counters, done: 2, failed: 2 });
    const found = store.lookup(['a', 'b', 'c', 'zzz'], true);
    expect([...found.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(found.get('a')).toMatchObject({ status: 'done', hash: 'h1', seenRun: run, line: 1, responseAt: expect.any(Number) });
    expect(found.get('c')).toMatchObject({ status: 'failed', retryable: false, responseAt: null });
    // Without the join: the same records, with no fetch time.
    const plain = store.lookup(['a', 'b', 'c', 'zzz'], false);
    expect([...plain.values()]).toEqual([...found.values()].map((record) => ({ ...record, responseAt: null })));
    expect([...store.cachedResponses(['h1', 'h2']).keys()]).toEqual(['h1']);
    store.close();
  });

  it('writes each column of done and failed records and the run counters; attempts add up across commits', () => {
    const file = path.join(dir, 'columns.db');
    const store = CheckpointStore.open(file);
    store.lock();
    const run = store.startRun({ mode: 'cache', input: 'in.jsonl', options: {}, initialRss: 1 });
    store.commit(run, [
      { kind: 'failed', id: 'a', line: 1, endpoint: '/v1/chat/completions', hash: 'h1', code: 'http_503', message: 'busy', httpStatus: 503, retryable: true, attempts: 3, trimmed: true },
    ], { ...counters, failed: 1 });
    store.commit(run, [
      { kind: 'done', id: 'a', line: 2, endpoint: '/v1/chat/completions', hash: 'h1', response, cached: false, attempts: 2, trimmed: false },
      { kind: 'done', id: 'b', line: 3, endpoint: '/v1/chat/completions', hash: 'h1', response: null, cached: true, attempts: 0, trimmed: true },
    ], { recordsRead: 1, done: 2, failed: 3, skipped: 4, requests: 5, cacheHits: 6, retries: 7, throttled: 8, peakRss: 9, breakerTrips: 10, breakerResets: 11, rateLimited: 12, backpressure: 13, learnedRateRps: 14.5, heldMs: 15 });
    store.close();
    const db = new Database(file, { readonly: true });
    const records = db.prepare('SELECT * FROM records ORDER BY id').all() as Record<string, unknown>[];
    expect(records[0]).toMatchObject({
      id: 'a', line: 2, seen_run: run, run_id: run, endpoint: '/v1/chat/completions', hash: 'h1', status: 'done', retryable: 0,
      attempts: 5, http_status: 200, error_code: null, error_message: null, cached: 0, trimmed: 0, latency_ms: 12,
    });
    expect(records[1]).toMatchObject({ id: 'b', line: 3, status: 'done', attempts: 0, http_status: null, cached: 1, trimmed: 1, latency_ms: null });
    expect(db.prepare('SELECT * FROM responses').get()).toMatchObject({
      hash: 'h1', endpoint: '/v1/chat/completions', status_code: 200, request_id: 'req-1', body: '{"ok":true}',
      prompt_tokens: 3, completion_tokens: 4, total_tokens: 7,
    });
    expect(db.prepare('SELECT * FROM runs WHERE id = ?').get(run)).toMatchObject({
      records_read: 1, done: 2, failed: 3, skipped: 4, requests: 5, cache_hits: 6, retries: 7, throttled: 8, peak_rss: 9,
      breaker_trips: 10, breaker_resets: 11, rate_limited: 12, backpressure: 13, learned_rate_rps: 14.5, held_ms: 15,
    });
    db.close();
  });

  it('marks skipped records as seen by the run, at their line in this input', () => {
    const file = path.join(dir, 'seen.db');
    const store = CheckpointStore.open(file);
    store.lock();
    const first = store.startRun({ mode: 'cache', input: 'in.jsonl', options: {}, initialRss: 1 });
    store.commit(first, [
      { kind: 'done', id: 'same', line: 1, endpoint: '/v1/chat/completions', hash: 'h1', response, cached: false, attempts: 1, trimmed: false },
      { kind: 'done', id: 'moved', line: 2, endpoint: '/v1/chat/completions', hash: 'h2', response, cached: false, attempts: 1, trimmed: false },
    ], counters);
    const second = store.startRun({ mode: 'cache', input: 'in.jsonl', options: {}, initialRss: 1 });
    store.commit(second, [{ kind: 'seen', id: 'same', line: 1 }, { kind: 'seen', id: 'moved', line: 9 }], counters);
    const found = store.lookup(['same', 'moved'], false);
    expect(found.get('same')).toMatchObject({ line: 1, seenRun: second, status: 'done' });
    expect(found.get('moved')).toMatchObject({ line: 9, seenRun: second, status: 'done' });
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT id FROM records INDEXED BY records_line ORDER BY line').pluck().all()).toEqual(['same', 'moved']);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('keeps the error of a failed record in its columns', () => {
    const file = path.join(dir, 'failed.db');
    const store = CheckpointStore.open(file);
    store.lock();
    const run = store.startRun({ mode: 'cache', input: 'in.jsonl', options: {}, initialRss: 1 });
    store.commit(run, [
      { kind: 'failed', id: 'f', line: 7, endpoint: '/v1/chat/completions', hash: 'h9', code: 'http_400', message: 'too long', httpStatus: 400, retryable: false, attempts: 1, trimmed: true },
    ], counters);
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT * FROM records').get()).toMatchObject({
      id: 'f', line: 7, seen_run: run, run_id: run, hash: 'h9', status: 'failed', retryable: 0, attempts: 1, http_status: 400,
      error_code: 'http_400', error_message: 'too long', cached: 0, trimmed: 1, latency_ms: null,
    });
    db.close();
  });

  it('refuses a second live writer with exit code 4 naming the holder pid, and takes over a dead one', async () => {
    const file = path.join(dir, 'c.db');
    CheckpointStore.open(file).close();
    // A live process holds the lock.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    const db = new Database(file);
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('lock', ?)").run(JSON.stringify({ pid: holder.pid, host: os.hostname(), startedAt: Date.now() }));
    db.close();
    const store = CheckpointStore.open(file);
    try {
      expect(() => store.lock()).toThrow(CheckpointLockedError);
      expect(() => store.lock()).toThrow(new RegExp(`pid ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    expect(() => store.lock()).not.toThrow(); // the holder is dead: its lock is stale
    store.close();
  });

  it('marks runs left "running" by a dead process as crashed', () => {
    const file = path.join(dir, 'd.db');
    CheckpointStore.open(file).close();
    const db = new Database(file);
    db.prepare("INSERT INTO runs (started_at, pid, mode, status, options) VALUES (1, 999999999, 'cache', 'running', '{}')").run();
    db.close();
    const store = CheckpointStore.open(file);
    store.lock();
    store.close();
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT status FROM runs').get()).toEqual({ status: 'crashed' });
    check.close();
  });

  // guards: a rolled-back commit must forget the model rows it wrote, or the next vector of that model would have none
  it('writes the model row again after a commit that rolled back', () => {
    const store = CheckpointStore.open(path.join(dir, 'rollback.db'));
    store.lock();
    const run = store.startRun({ mode: 'embeddings', input: 'in.jsonl', options: {}, initialRss: 1 });
    const vector = { kind: 'vector', key: 'k1', model: 'm', dim: 2, data: Buffer.alloc(8) } as const;
    // A body of null breaks responses.body NOT NULL: the whole batch, model row included, rolls back.
    const broken = { ...response, bodyText: null as unknown as string };
    expect(() =>
      store.commit(run, [vector, { kind: 'done', id: 'a', line: 1, endpoint: '/v1/embeddings', hash: 'h', response: broken, cached: false, attempts: 1, trimmed: false }], counters),
    ).toThrow();
    expect(store.storedDimension('m')).toBeUndefined();
    store.commit(run, [vector], counters);
    expect(store.storedDimension('m')).toBe(2);
    store.close();
  });

  // guards: the checkpoint stores its own answer shape, and a provider's response must stay assignable to it
  it('takes a provider response as the stored answer', () => {
    const answer: ProviderResponse = { ...response, vectors: [] };
    const stored: StoredAnswer = answer;
    expect(stored.bodyText).toBe(response.bodyText);
  });

  it('refuses a file that is not a memsafe checkpoint and leaves it untouched', () => {
    const foreign = path.join(dir, 'other.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE users (id INTEGER)');
    db.close();
    const before = fs.readFileSync(foreign);
    expect(() => CheckpointStore.open(foreign)).toThrow(FatalError);
    expect(fs.readFileSync(foreign).equals(before)).toBe(true);
    const text = path.join(dir, 'notes.db');
    fs.writeFileSync(text, 'hello, not sqlite at all '.repeat(100));
    expect(() => CheckpointStore.open(text)).toThrow(/not a SQLite database|not a memsafe/);
  });
});
