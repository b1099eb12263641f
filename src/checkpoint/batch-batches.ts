// The provider's batches as last seen: written when a batch is created or adopted, updated at every poll.
import type Database from 'better-sqlite3';

/** A batch as the provider describes it (times in ms since epoch). */
export interface BatchSnapshot {
  readonly id: string;
  readonly status: string;
  readonly endpoint: string;
  readonly inputFileId: string;
  readonly outputFileId: string | null;
  readonly errorFileId: string | null;
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly createdAt: number | null;
  readonly expiresAt: number | null;
  readonly metadata: Readonly<Record<string, string>>;
  /** errors.data[] of a batch that failed validation. */
  readonly errors: readonly BatchLineError[];
}

export interface BatchLineError {
  readonly code: string | null;
  readonly message: string;
  /** 1-based line of the batch file, when the server named one. */
  readonly line: number | null;
}

/** What memsafe still has to do with a batch. */
export type BatchStep = 'live' | 'output_downloaded' | 'errors_downloaded' | 'settled';

export interface BatchRow extends Omit<BatchSnapshot, 'metadata'> {
  readonly chunkId: number;
  readonly provider: string;
  readonly metadataChunk: string;
  readonly step: BatchStep;
}

interface BatchSqlRow {
  id: string;
  chunk_id: number;
  provider: string;
  endpoint: string;
  status: string;
  input_file_id: string;
  output_file_id: string | null;
  error_file_id: string | null;
  total: number;
  completed: number;
  failed: number;
  created_at: number | null;
  expires_at: number | null;
  metadata_chunk: string;
  errors: string | null;
  step: BatchStep;
}

/** Statuses after which a batch changes no more. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'expired', 'cancelled']);

function rowOf(row: BatchSqlRow): BatchRow {
  return {
    id: row.id,
    chunkId: row.chunk_id,
    provider: row.provider,
    endpoint: row.endpoint,
    status: row.status,
    inputFileId: row.input_file_id,
    outputFileId: row.output_file_id,
    errorFileId: row.error_file_id,
    total: row.total,
    completed: row.completed,
    failed: row.failed,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    metadataChunk: row.metadata_chunk,
    errors: row.errors === null ? [] : (JSON.parse(row.errors) as BatchLineError[]),
    step: row.step,
  };
}

export class BatchTable {
  constructor(private readonly db: Database.Database) {}

  /** Inserts a new batch, or updates what a poll saw (never moving its step back). */
  save(snapshot: BatchSnapshot, chunkId: number, provider: string): void {
    this.db
      .prepare(`INSERT INTO batches (id, chunk_id, provider, endpoint, status, input_file_id, output_file_id, error_file_id,
          total, completed, failed, created_at, expires_at, metadata_chunk, errors, step, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'live', ?)
        ON CONFLICT(id) DO UPDATE SET status = excluded.status, output_file_id = excluded.output_file_id,
          error_file_id = excluded.error_file_id, total = excluded.total, completed = excluded.completed,
          failed = excluded.failed, expires_at = excluded.expires_at, errors = excluded.errors, updated_at = excluded.updated_at`)
      .run(
        snapshot.id,
        chunkId,
        provider,
        snapshot.endpoint,
        snapshot.status,
        snapshot.inputFileId,
        snapshot.outputFileId,
        snapshot.errorFileId,
        snapshot.total,
        snapshot.completed,
        snapshot.failed,
        snapshot.createdAt,
        snapshot.expiresAt,
        snapshot.metadata['memsafe_chunk'] ?? String(chunkId),
        snapshot.errors.length === 0 ? null : JSON.stringify(snapshot.errors),
        Date.now(),
      );
  }

  setStep(id: string, step: BatchStep): void {
    this.db.prepare('UPDATE batches SET step = ?, updated_at = ? WHERE id = ?').run(step, Date.now(), id);
  }

  /** Batches not yet settled: still running at the provider, or finished and not fully collected. */
  unsettled(): BatchRow[] {
    return (this.db.prepare("SELECT * FROM batches WHERE step != 'settled' ORDER BY chunk_id").all() as BatchSqlRow[]).map(rowOf);
  }

  get(id: string): BatchRow | undefined {
    const row = this.db.prepare('SELECT * FROM batches WHERE id = ?').get(id) as BatchSqlRow | undefined;
    return row === undefined ? undefined : rowOf(row);
  }
}

/** Every batch, newest first (for `status` and `memsafe batches`): read-only. */
export function listBatches(db: Database.Database, limit = 1000): BatchRow[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'batches'").get() !== undefined;
  if (!exists) return [];
  return (db.prepare('SELECT * FROM batches ORDER BY chunk_id DESC LIMIT ?').all(limit) as BatchSqlRow[]).map(rowOf);
}

/** The provider of the checkpoint's unsettled batches (the newest one's), or undefined when none is unsettled. */
export function livePrimaryProvider(db: Database.Database): string | undefined {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'batches'").get() !== undefined;
  if (!exists) return undefined;
  return db.prepare("SELECT provider FROM batches WHERE step != 'settled' ORDER BY chunk_id DESC LIMIT 1").pluck().get() as string | undefined;
}
