// The checkpoint's tables. Migrations are numbered by PRAGMA user_version; each runs once, in order.
import type Database from 'better-sqlite3';

export const APP_ID = 'memsafe';

/** Index i upgrades a database from user_version i to i + 1. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  -- One row per run: what it was asked to do (no secrets) and how it ended.
  CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    started_at     INTEGER NOT NULL,           -- ms since epoch
    ended_at       INTEGER,
    pid            INTEGER NOT NULL,
    mode           TEXT NOT NULL,              -- cache | embeddings
    status         TEXT NOT NULL,              -- running | done | failed | halted | interrupted | crashed | error
    exit_code      INTEGER,
    options        TEXT NOT NULL,              -- JSON of the effective options, secrets removed
    input          TEXT,
    records_read   INTEGER NOT NULL DEFAULT 0, -- input records met by this run
    done           INTEGER NOT NULL DEFAULT 0, -- records this run completed (API or cache)
    failed         INTEGER NOT NULL DEFAULT 0, -- records this run failed (bad lines included)
    skipped        INTEGER NOT NULL DEFAULT 0, -- records already done by an earlier run
    requests       INTEGER NOT NULL DEFAULT 0, -- HTTP requests sent
    cache_hits     INTEGER NOT NULL DEFAULT 0,
    retries        INTEGER NOT NULL DEFAULT 0,
    throttled      INTEGER NOT NULL DEFAULT 0, -- 429 answers
    initial_rss    INTEGER,
    peak_rss       INTEGER,
    final_rss      INTEGER,
    breaker_trips  INTEGER NOT NULL DEFAULT 0,
    breaker_resets INTEGER NOT NULL DEFAULT 0,
    halt_reason    TEXT
  );

  -- One row per record id. A record is done (its response is in responses) or failed (with its error).
  CREATE TABLE records (
    id            TEXT PRIMARY KEY,
    line          INTEGER NOT NULL,            -- 1-based input line
    seen_run      INTEGER NOT NULL,            -- last run that read this id (duplicate-id detection)
    run_id        INTEGER NOT NULL,            -- run that wrote the current outcome
    endpoint      TEXT,
    hash          TEXT,                        -- request hash; NULL when the line never became a request
    status        TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    retryable     INTEGER NOT NULL DEFAULT 0,  -- failed after retries on 429/5xx/network: retried next run
    attempts      INTEGER NOT NULL DEFAULT 0,
    http_status   INTEGER,
    error_code    TEXT,
    error_message TEXT,
    cached        INTEGER NOT NULL DEFAULT 0,  -- answered from the response cache
    trimmed       INTEGER NOT NULL DEFAULT 0,  -- messages cut to --max-context-tokens
    latency_ms    INTEGER,
    updated_at    INTEGER NOT NULL
  );
  CREATE INDEX records_line ON records(line);
  CREATE INDEX records_status ON records(status);

  -- Response cache keyed by request hash: identical requests under any id share one stored answer.
  CREATE TABLE responses (
    hash              TEXT PRIMARY KEY,
    endpoint          TEXT NOT NULL,
    status_code       INTEGER NOT NULL,
    request_id        TEXT,
    body              TEXT NOT NULL,           -- JSON text, OpenAI response shape
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    total_tokens      INTEGER,
    created_at        INTEGER NOT NULL
  );

  -- Lines whose id was already taken by an earlier line of the same input: never sent.
  CREATE TABLE line_errors (
    line       INTEGER PRIMARY KEY,
    id         TEXT,
    run_id     INTEGER NOT NULL,
    code       TEXT NOT NULL,
    message    TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  -- Memory samples of each run, at least one a second (for status and report).
  CREATE TABLE samples (
    run_id      INTEGER NOT NULL,
    t           INTEGER NOT NULL,              -- ms since epoch
    rss         INTEGER NOT NULL,
    heap_used   INTEGER NOT NULL,
    batch_size  INTEGER NOT NULL,
    concurrency INTEGER NOT NULL,
    state       TEXT NOT NULL,                 -- NORMAL | CAUTIOUS | BREAKER
    done        INTEGER NOT NULL               -- records completed by the run so far
  );
  CREATE INDEX samples_run ON samples(run_id, t);

  -- Notable moments of a run: governor state changes, breaker trips and resets, halts, signals.
  CREATE TABLE events (
    run_id INTEGER NOT NULL,
    t      INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    detail TEXT NOT NULL                       -- JSON
  );
  CREATE INDEX events_run ON events(run_id, t);
  `,
  `
  -- Embedding vectors, one per distinct text per model (and per option that changes the vector), shared by
  -- every record that holds that text. A done embeddings record's responses.body is a manifest that lists
  -- its vectors' keys in input order (see src/checkpoint/embedding-manifest.ts).
  CREATE TABLE vectors (
    key        TEXT PRIMARY KEY,               -- sha256 of canonical {model, dimensions, normalize, text}
    model      TEXT NOT NULL,
    dim        INTEGER NOT NULL,
    data       BLOB NOT NULL,                  -- dim little-endian float32 values
    created_at INTEGER NOT NULL
  );
  -- status lists the dimensions without scanning every vector
  CREATE INDEX vectors_model_dim ON vectors(model, dim);
  `,
  `
  -- The dimension of each model's vectors (the first vector stored sets it; the packer refuses any other),
  -- written once per model: it replaces an index entry per vector that only status and that check read.
  CREATE TABLE vector_models (
    model TEXT PRIMARY KEY,
    dim   INTEGER NOT NULL
  );
  -- min(dim): the first dimension the index gave for a model, i.e. what the dimension check read until now.
  INSERT INTO vector_models (model, dim) SELECT model, min(dim) FROM vectors GROUP BY model;
  DROP INDEX vectors_model_dim;
  `,
  `
  -- Tokens and cost per record and model (issue 13). A NULL model: written before this schema (status counts
  -- such records as untracked); a model with a NULL cost_usd: unpriced (or an answer without usage).
  ALTER TABLE records ADD COLUMN model TEXT;
  ALTER TABLE records ADD COLUMN prompt_tokens INTEGER;
  ALTER TABLE records ADD COLUMN completion_tokens INTEGER;
  -- What the answer costs at the run's prices, USD; records.cached says whether this run paid it (cache hit: no).
  ALTER TABLE records ADD COLUMN cost_usd REAL;
  -- Spend per run and model, added to at each commit: it survives records rewritten by later runs (refreshes,
  -- retries), so status can say what each run and the whole checkpoint cost.
  CREATE TABLE run_costs (
    run_id            INTEGER NOT NULL,
    model             TEXT NOT NULL,
    requests          INTEGER NOT NULL DEFAULT 0,  -- answers paid for (API calls that succeeded)
    cache_hits        INTEGER NOT NULL DEFAULT 0,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,  -- paid tokens only
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd          REAL,                        -- NULL: unpriced
    saved_usd         REAL,                        -- what the cache hits would have cost
    PRIMARY KEY (run_id, model)
  ) WITHOUT ROWID;
  `,
  `
  -- Batch mode (--via batch): every step of a batch file recorded before and after it happens (batch-steps.ts).
  -- The checkpoint's own id names it in each batch's metadata, so a batch whose create answer was lost is adopted.
  INSERT OR IGNORE INTO meta (key, value) VALUES ('checkpoint_id', lower(hex(randomblob(16))));

  -- One row per batch file. AUTOINCREMENT: a chunk's number is never reused, so its metadata key is unique.
  CREATE TABLE batch_chunks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    provider      TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    step          TEXT NOT NULL,             -- writing | written | uploading | uploaded | creating | created | downloading | settled
    requests      INTEGER NOT NULL DEFAULT 0,  -- lines of the file (distinct request hashes)
    bytes         INTEGER NOT NULL DEFAULT 0,
    file_path     TEXT,                      -- the JSONL on disk until the batch is created
    input_file_id TEXT,
    batch_id      TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  );
  CREATE INDEX batch_chunks_step ON batch_chunks(step);

  -- The provider's batches, as last polled.
  CREATE TABLE batches (
    id             TEXT PRIMARY KEY,
    chunk_id       INTEGER NOT NULL,
    provider       TEXT NOT NULL,
    endpoint       TEXT NOT NULL,
    status         TEXT NOT NULL,            -- validating | in_progress | finalizing | completed | failed | expired | cancelling | cancelled
    input_file_id  TEXT NOT NULL,
    output_file_id TEXT,
    error_file_id  TEXT,
    total          INTEGER NOT NULL DEFAULT 0,
    completed      INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER,                  -- ms since epoch, the provider's
    expires_at     INTEGER,
    metadata_chunk TEXT NOT NULL,            -- metadata.memsafe_chunk
    errors         TEXT,                     -- JSON of errors.data[] of a failed batch
    step           TEXT NOT NULL,            -- live | output_downloaded | errors_downloaded | settled
    updated_at     INTEGER NOT NULL
  );

  -- Records in a chunk not yet settled: the row goes in the transaction that settles the record. A record with a
  -- row is in a live batch and never submitted again. custom_id is the request hash: identical requests share a line.
  CREATE TABLE batch_members (
    record_id TEXT PRIMARY KEY,
    chunk_id  INTEGER NOT NULL,
    custom_id TEXT NOT NULL,
    line      INTEGER NOT NULL,              -- the record's input line
    file_line INTEGER NOT NULL,              -- 1-based line of the batch file (errors.data[].line)
    run_id    INTEGER NOT NULL,
    trimmed   INTEGER NOT NULL DEFAULT 0,
    tokens    INTEGER NOT NULL DEFAULT 0,
    detail    TEXT                           -- embeddings: JSON {model, input, keys} to build the manifest
  );
  CREATE INDEX batch_members_chunk ON batch_members(chunk_id, file_line);
  CREATE INDEX batch_members_custom ON batch_members(custom_id, chunk_id);
  `,
  `
  -- Traffic control's view of each run (issue 12): rate refusals, backpressure, the learned rate, time held.
  ALTER TABLE runs ADD COLUMN rate_limited     INTEGER NOT NULL DEFAULT 0; -- 429s that were rate refusals
  ALTER TABLE runs ADD COLUMN backpressure     INTEGER NOT NULL DEFAULT 0; -- 503 busy / 529 overloaded
  ALTER TABLE runs ADD COLUMN learned_rate_rps REAL;                       -- requests/s paced to; NULL: unbounded
  ALTER TABLE runs ADD COLUMN held_ms          INTEGER NOT NULL DEFAULT 0; -- wall time the whole server was held
  `,
  `
  -- --max-cost with --via batch (issue 14): what each batch line was reserved at (USD, batch prices), on the member
  -- that pays for it (its copies: 0). The sum over live members is what live batches reserve after a kill -9.
  ALTER TABLE batch_members ADD COLUMN reserved_usd REAL NOT NULL DEFAULT 0;
  `,
];

export function migrate(db: Database.Database): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() >= MIGRATIONS.length) return;
  // IMMEDIATE, with the version read again under the write lock: two runs that open a new checkpoint at the
  // same moment must not both create its tables (the second finds them made).
  db.transaction(() => {
    for (let current = version(); current < MIGRATIONS.length; current++) {
      const sql = MIGRATIONS[current];
      if (sql === undefined) break;
      db.exec(sql);
      if (current === 0) db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('app', APP_ID);
      db.pragma(`user_version = ${current + 1}`);
    }
  }).immediate();
}
