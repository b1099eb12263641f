// Analysis aid, not part of `npm run bench`: what one committed chat result costs in the checkpoint, and what
// schema or statement changes would save. Writes N results in transactions of 32 (as memsafe does), first
// through memsafe's own CheckpointStore.commit (dist/, so `npm run build` first), then through raw SQL on
// variants of the records/responses tables. Prints µs per record, file size and the rate in the last tenth
// (to show whether the cost grows with the checkpoint). `embeddings` commits packed texts as memsafe does
// (a 1 KB vector, a manifest and a record per text, 64 per transaction); `--pragma` sets a PRAGMA on the
// store's connection after it opened, `--dist` measures another build (e.g. a checkout of an older commit).
//
//   node scripts/bench/checkpoint-writes.mjs [--records 200000] [--only baseline,embeddings,positional,...]
//     [--dist path/to/dist] [--pragma wal_autocheckpoint=4000 ...]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { pathToFileURL } from 'node:url';
import { markdownTable } from './report.mjs';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    only: { type: 'string' },
    dist: { type: 'string', default: new URL('../../dist', import.meta.url).pathname },
    pragma: { type: 'string', multiple: true, default: [] },
  },
});
const { CheckpointStore } = await import(pathToFileURL(path.resolve(values.dist, 'checkpoint/store.js')).href);
const N = Number(values.records);
const BATCH = 32;
/** Texts per transaction in the embeddings variant: `--batch-size 64` packs and commits 64 at a time. */
const EMBED_BATCH = 64;
const DIM = 256;
const CACHE_KIB = 4096;
const BODY = JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion', created: 1700000000, model: 'bench', choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(16) }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 } });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-writes-'));

const hashHex = (i) => createHash('sha256').update(`request ${i}`).digest('hex');
const idOf = (i) => `bench-${String(i).padStart(7, '0')}`;

function counters() {
  return { recordsRead: 0, done: 0, failed: 0, skipped: 0, requests: 0, cacheHits: 0, retries: 0, throttled: 0, peakRss: 0, breakerTrips: 0, breakerResets: 0, rateLimited: 0, backpressure: 0, learnedRateRps: null, heldMs: 0 };
}

/**
 * Times `writeBatch(first, count)` over N records: µs/record overall (wall and CPU: the machine is shared, and
 * CPU time does not count waiting for a core) and in the last tenth, the WAL's peak size and the longest commit.
 */
function timeBatches(writeBatch, file, batch = BATCH) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let lastTenthStart = started;
  let walPeak = 0;
  let longest = 0;
  for (let first = 1; first <= N; first += batch) {
    if (first <= N * 0.9 && first + batch > N * 0.9) lastTenthStart = performance.now();
    const before = performance.now();
    writeBatch(first, Math.min(batch, N - first + 1));
    // The commit blocks the event loop: its longest pause (a WAL checkpoint) stalls every request's answer.
    longest = Math.max(longest, performance.now() - before);
    // Sampled: a stat per transaction would be part of what is timed.
    if (((first - 1) / batch) % 64 === 0) walPeak = Math.max(walPeak, walSize(file));
  }
  const total = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { usPerRecord: (total * 1000) / N, cpuUsPerRecord: (used.user + used.system) / N, lastTenthUs: ((performance.now() - lastTenthStart) * 1000) / (N * 0.1), walPeak, longestMs: longest };
}

function walSize(file) {
  try {
    return fs.statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/** memsafe's store, with the `--pragma` settings applied to its connection. */
function openStore(file) {
  const store = CheckpointStore.open(file);
  for (const setting of values.pragma) store.db.pragma(setting);
  store.lock();
  return store;
}

function baseline(file) {
  const store = openStore(file);
  const run = store.startRun({ mode: 'cache', input: 'bench', options: {}, initialRss: 0 });
  const result = timeBatches((first, count) => {
    const outcomes = [];
    for (let i = first; i < first + count; i++) {
      outcomes.push({
        kind: 'done', id: idOf(i), line: i, endpoint: '/v1/chat/completions', hash: hashHex(i), cached: false, attempts: 1, trimmed: false,
        response: { status: 200, requestId: `req-${i}`, bodyText: BODY, usage: { promptTokens: 12, completionTokens: 4, totalTokens: 16 }, latencyMs: 1 },
      });
    }
    store.commit(run, outcomes, counters());
  }, file);
  store.close();
  return result;
}

/** Packed embeddings as memsafe commits them: per text its vector, then its record with a manifest response. */
function embeddings(file) {
  const store = openStore(file);
  const run = store.startRun({ mode: 'embeddings', input: 'bench', options: {}, initialRss: 0 });
  const data = Buffer.alloc(DIM * 4, 7);
  const result = timeBatches((first, count) => {
    const outcomes = [];
    for (let i = first; i < first + count; i++) {
      const key = hashHex(`vector ${i}`);
      outcomes.push({ kind: 'vector', key, model: 'bench', dim: DIM, data });
      const body = JSON.stringify({ object: 'memsafe.embedding_manifest', model: 'bench', input: 'string', vectors: [key], dim: DIM, usage: { prompt_tokens: 9, total_tokens: 9 } });
      outcomes.push({
        kind: 'done', id: idOf(i), line: i, endpoint: '/v1/embeddings', hash: hashHex(i), cached: false, attempts: 1, trimmed: false,
        response: { status: 200, requestId: null, bodyText: body, usage: { promptTokens: 9, completionTokens: null, totalTokens: 9 }, latencyMs: 1 },
      });
    }
    store.commit(run, outcomes, counters());
  }, file, EMBED_BATCH);
  store.close();
  return result;
}

/** Raw SQL on a variant of the two tables memsafe writes per result. */
function variant(file, { withoutRowid = false, statusIndex = true, blobHash = false, positional = false }) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`cache_size = -${CACHE_KIB}`);
  const hashType = blobHash ? 'BLOB' : 'TEXT';
  const tail = withoutRowid ? ' WITHOUT ROWID' : '';
  db.exec(`CREATE TABLE records (id TEXT PRIMARY KEY, line INTEGER NOT NULL, seen_run INTEGER NOT NULL, run_id INTEGER NOT NULL,
      endpoint TEXT, hash ${hashType}, status TEXT NOT NULL, retryable INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
      http_status INTEGER, error_code TEXT, error_message TEXT, cached INTEGER NOT NULL DEFAULT 0, trimmed INTEGER NOT NULL DEFAULT 0,
      latency_ms INTEGER, updated_at INTEGER NOT NULL)${tail};
    CREATE INDEX records_line ON records(line);
    ${statusIndex ? 'CREATE INDEX records_status ON records(status);' : "CREATE INDEX records_failed ON records(status) WHERE status = 'failed';"}
    CREATE TABLE responses (hash ${hashType} PRIMARY KEY, endpoint TEXT NOT NULL, status_code INTEGER NOT NULL, request_id TEXT,
      body TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER, total_tokens INTEGER, created_at INTEGER NOT NULL)${tail};
    CREATE TABLE runs (id INTEGER PRIMARY KEY, done INTEGER);
    INSERT INTO runs (id, done) VALUES (1, 0);`);
  const upsertResponse = db.prepare(positional
    ? 'INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
    : 'INSERT OR REPLACE INTO responses VALUES (@hash, @endpoint, @status, @requestId, @body, @p, @c, @t, @now)');
  const upsertRecord = db.prepare(`INSERT INTO records (id, line, seen_run, run_id, endpoint, hash, status, retryable, attempts, http_status,
      error_code, error_message, cached, trimmed, latency_ms, updated_at)
      VALUES (${positional ? '?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?' : '@id, @line, @run, @run2, @endpoint, @hash, @status, @retryable, @attempts, @http, @code, @message, @cached, @trimmed, @latency, @now'})
      ON CONFLICT(id) DO UPDATE SET line = excluded.line, status = excluded.status, attempts = records.attempts + excluded.attempts`);
  const updateRun = db.prepare('UPDATE runs SET done = ? WHERE id = 1');
  const commit = db.transaction((first, count) => {
    const now = Date.now();
    for (let i = first; i < first + count; i++) {
      const hex = hashHex(i);
      const hash = blobHash ? Buffer.from(hex, 'hex') : hex;
      if (positional) {
        upsertResponse.run(hash, '/v1/chat/completions', 200, `req-${i}`, BODY, 12, 4, 16, now);
        upsertRecord.run(idOf(i), i, 1, 1, '/v1/chat/completions', hash, 'done', 0, 1, 200, null, null, 0, 0, 1, now);
      } else {
        upsertResponse.run({ hash, endpoint: '/v1/chat/completions', status: 200, requestId: `req-${i}`, body: BODY, p: 12, c: 4, t: 16, now });
        upsertRecord.run({ id: idOf(i), line: i, run: 1, run2: 1, endpoint: '/v1/chat/completions', hash, status: 'done', retryable: 0, attempts: 1, http: 200, code: null, message: null, cached: 0, trimmed: 0, latency: 1, now });
      }
    }
    updateRun.run(first + count - 1);
  });
  const result = timeBatches((first, count) => commit(first, count), file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return result;
}

const VARIANTS = {
  baseline: { label: 'memsafe CheckpointStore.commit (as built)', run: baseline },
  embeddings: { label: 'memsafe CheckpointStore.commit, packed embeddings (vector + manifest + record per text)', run: embeddings },
  raw: { label: 'raw SQL, same tables and named parameters', run: (file) => variant(file, {}) },
  positional: { label: 'positional parameters', run: (file) => variant(file, { positional: true }) },
  'no-status-index': { label: "records_status replaced by a partial index WHERE status = 'failed'", run: (file) => variant(file, { statusIndex: false }) },
  'blob-hash': { label: 'request hash stored as a 32-byte BLOB, not 64 hex characters', run: (file) => variant(file, { blobHash: true }) },
  'without-rowid': { label: 'records and responses WITHOUT ROWID', run: (file) => variant(file, { withoutRowid: true }) },
  all: { label: 'all four changes together', run: (file) => variant(file, { positional: true, statusIndex: false, blobHash: true, withoutRowid: true }) },
};

const selected = values.only === undefined ? Object.keys(VARIANTS) : values.only.split(',');
const rows = [];
try {
  for (const key of selected) {
    const file = path.join(dir, `${key}.db`);
    process.stderr.write(`${key}…\n`);
    // The hash itself is part of every variant's cost; it is computed the same way in all of them.
    const result = VARIANTS[key].run(file);
    const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    rows.push([VARIANTS[key].label, result.usPerRecord.toFixed(1), result.cpuUsPerRecord.toFixed(1), result.lastTenthUs.toFixed(1), mb(fs.statSync(file).size), mb(result.walPeak), result.longestMs.toFixed(1)]);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const pragmas = values.pragma.length === 0 ? '' : `, PRAGMA ${values.pragma.join(', ')} on memsafe's store`;
process.stdout.write(`${N} results committed in transactions of ${BATCH} (embeddings: ${EMBED_BATCH}), cache_size ${CACHE_KIB} KiB, WAL, synchronous NORMAL${pragmas}; dist ${values.dist}.\n\n`);
process.stdout.write(`${markdownTable(['variant', 'µs per record', 'CPU µs per record', 'µs per record, last tenth', 'file size', 'WAL peak (sampled)', 'longest commit ms'], rows)}\n`);
