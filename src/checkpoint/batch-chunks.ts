// Batch mode's chunk files and their members: every step of a chunk is written here before and after it happens.
import type Database from 'better-sqlite3';

/** A chunk's steps, in order. `writing` chunks were cut short by a crash and are abandoned on the next run. */
export const CHUNK_STEPS = ['writing', 'written', 'uploading', 'uploaded', 'creating', 'created', 'settled'] as const;
export type ChunkStep = (typeof CHUNK_STEPS)[number];

export interface ChunkRow {
  readonly id: number;
  readonly provider: string;
  readonly endpoint: string;
  readonly step: ChunkStep;
  readonly requests: number;
  readonly bytes: number;
  readonly filePath: string | null;
  readonly inputFileId: string | null;
  readonly batchId: string | null;
  readonly createdAt: number;
}

export interface MemberRow {
  readonly recordId: string;
  readonly chunkId: number;
  /** The request hash: one batch line per distinct request. */
  readonly customId: string;
  readonly line: number;
  readonly fileLine: number;
  readonly runId: number;
  readonly trimmed: boolean;
  readonly tokens: number;
  /** Embeddings: JSON {model, input, keys} of the record's texts; null for chat. */
  readonly detail: string | null;
  /** --max-cost: the line's estimated cost at batch prices, on the member that pays for it; 0 otherwise. */
  readonly reservedUsd: number;
}

interface ChunkSqlRow {
  id: number;
  provider: string;
  endpoint: string;
  step: ChunkStep;
  requests: number;
  bytes: number;
  file_path: string | null;
  input_file_id: string | null;
  batch_id: string | null;
  created_at: number;
}

interface MemberSqlRow {
  record_id: string;
  chunk_id: number;
  custom_id: string;
  line: number;
  file_line: number;
  run_id: number;
  trimmed: number;
  tokens: number;
  detail: string | null;
  reserved_usd: number;
}

const LOOKUP_CHUNK = 500;

function chunkOf(row: ChunkSqlRow): ChunkRow {
  return {
    id: row.id,
    provider: row.provider,
    endpoint: row.endpoint,
    step: row.step,
    requests: row.requests,
    bytes: row.bytes,
    filePath: row.file_path,
    inputFileId: row.input_file_id,
    batchId: row.batch_id,
    createdAt: row.created_at,
  };
}

export function memberOf(row: MemberSqlRow): MemberRow {
  return {
    recordId: row.record_id,
    chunkId: row.chunk_id,
    customId: row.custom_id,
    line: row.line,
    fileLine: row.file_line,
    runId: row.run_id,
    trimmed: row.trimmed === 1,
    tokens: row.tokens,
    detail: row.detail,
    reservedUsd: row.reserved_usd,
  };
}

export class BatchChunks {
  private readonly insertMember: Database.Statement;
  private readonly deleteMember: Database.Statement;
  private readonly membersByCustom: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertMember = db.prepare(`INSERT OR REPLACE INTO batch_members
      (record_id, chunk_id, custom_id, line, file_line, run_id, trimmed, tokens, detail, reserved_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.deleteMember = db.prepare('DELETE FROM batch_members WHERE record_id = ?');
    // INDEXED BY: the (chunk_id, file_line) index would scan a whole chunk for each line.
    this.membersByCustom = db.prepare('SELECT * FROM batch_members INDEXED BY batch_members_custom WHERE custom_id = ? AND chunk_id = ?');
  }

  /** The id naming this checkpoint in every batch's metadata (written by the batch migration). */
  checkpointId(): string {
    return (this.db.prepare("SELECT value FROM meta WHERE key = 'checkpoint_id'").pluck().get() as string | undefined) ?? 'unknown';
  }

  open(provider: string, endpoint: string, now = Date.now()): number {
    const result = this.db
      .prepare("INSERT INTO batch_chunks (provider, endpoint, step, created_at, updated_at) VALUES (?, ?, 'writing', ?, ?)")
      .run(provider, endpoint, now, now);
    return Number(result.lastInsertRowid);
  }

  setFilePath(chunkId: number, filePath: string): void {
    this.db.prepare('UPDATE batch_chunks SET file_path = ?, updated_at = ? WHERE id = ?').run(filePath, Date.now(), chunkId);
  }

  /** Call inside the caller's transaction, with the outcomes of the same intake batch. */
  addMembers(members: readonly MemberRow[]): void {
    for (const m of members) {
      this.insertMember.run(m.recordId, m.chunkId, m.customId, m.line, m.fileLine, m.runId, m.trimmed ? 1 : 0, m.tokens, m.detail, m.reservedUsd);
    }
  }

  finish(chunkId: number, requests: number, bytes: number): void {
    this.db.prepare("UPDATE batch_chunks SET step = 'written', requests = ?, bytes = ?, updated_at = ? WHERE id = ?").run(requests, bytes, Date.now(), chunkId);
  }

  setStep(chunkId: number, step: ChunkStep, fields: { inputFileId?: string; batchId?: string; clearFile?: boolean } = {}): void {
    this.db
      .prepare(`UPDATE batch_chunks SET step = ?, input_file_id = COALESCE(?, input_file_id), batch_id = COALESCE(?, batch_id),
        file_path = CASE WHEN ? THEN NULL ELSE file_path END, updated_at = ? WHERE id = ?`)
      .run(step, fields.inputFileId ?? null, fields.batchId ?? null, fields.clearFile === true ? 1 : 0, Date.now(), chunkId);
  }

  get(chunkId: number): ChunkRow | undefined {
    const row = this.db.prepare('SELECT * FROM batch_chunks WHERE id = ?').get(chunkId) as ChunkSqlRow | undefined;
    return row === undefined ? undefined : chunkOf(row);
  }

  /** Chunks between written and created: their upload or create still has to happen (or be adopted). */
  unsubmitted(): ChunkRow[] {
    const rows = this.db
      .prepare("SELECT * FROM batch_chunks WHERE step IN ('written', 'uploading', 'uploaded', 'creating') ORDER BY id")
      .all() as ChunkSqlRow[];
    return rows.map(chunkOf);
  }

  /** Chunks a crash left half written: their members go back to pending. Returns their files, to delete. */
  abandonWriting(): string[] {
    const rows = this.db.prepare("SELECT * FROM batch_chunks WHERE step = 'writing'").all() as ChunkSqlRow[];
    this.db.transaction(() => {
      for (const row of rows) {
        this.db.prepare('DELETE FROM batch_members WHERE chunk_id = ?').run(row.id);
        this.db.prepare('DELETE FROM batch_chunks WHERE id = ?').run(row.id);
      }
    })();
    return rows.map((row) => row.file_path).filter((file): file is string => file !== null);
  }

  /** Members of these record ids, i.e. the ids in a live (unsettled) chunk. */
  liveMembers(ids: readonly string[]): Map<string, MemberRow> {
    return this.lookup(ids, 'record_id', (row) => row.record_id);
  }

  /** A member for each of these request hashes that a live chunk already carries as a line. */
  liveLines(hashes: readonly string[]): Map<string, MemberRow> {
    return this.lookup(hashes, 'custom_id', (row) => row.custom_id);
  }

  membersOfLine(chunkId: number, customId: string): MemberRow[] {
    return (this.membersByCustom.all(customId, chunkId) as MemberSqlRow[]).map(memberOf);
  }

  /** Every member still unsettled in a chunk, in batch-file order (streamed, never a list of the whole chunk). */
  *remaining(chunkId: number): Generator<MemberRow> {
    const statement = this.db.prepare('SELECT * FROM batch_members WHERE chunk_id = ? ORDER BY file_line');
    for (const row of statement.iterate(chunkId) as Iterable<MemberSqlRow>) yield memberOf(row);
  }

  countRemaining(chunkId: number): number {
    return this.db.prepare('SELECT count(*) FROM batch_members WHERE chunk_id = ?').pluck().get(chunkId) as number;
  }

  /** Settled members leave the table in the transaction that writes their record. */
  removeMember(recordId: string): void {
    this.deleteMember.run(recordId);
  }

  countLive(): { chunks: number; members: number } {
    return {
      chunks: this.db.prepare("SELECT count(*) FROM batch_chunks WHERE step NOT IN ('settled', 'writing')").pluck().get() as number,
      members: this.db.prepare('SELECT count(*) FROM batch_members').pluck().get() as number,
    };
  }

  /** What each live chunk's unsettled members reserve (--max-cost), and whether its create was sent. */
  liveReservations(): { chunkId: number; usd: number; committed: boolean }[] {
    const sql = `SELECT m.chunk_id AS chunkId, total(m.reserved_usd) AS usd, c.step IN ('creating', 'created') AS committed
      FROM batch_members m JOIN batch_chunks c ON c.id = m.chunk_id WHERE c.step <> 'writing' GROUP BY m.chunk_id`;
    return (this.db.prepare(sql).all() as { chunkId: number; usd: number; committed: number }[]).map((row) => ({ ...row, committed: row.committed === 1 }));
  }

  /** Stored attempts of these records (a batch-retryable record fails for good past --max-retries). */
  attempts(ids: readonly string[]): Map<string, number> {
    const found = new Map<string, number>();
    for (let start = 0; start < ids.length; start += LOOKUP_CHUNK) {
      const part = ids.slice(start, start + LOOKUP_CHUNK);
      const sql = `SELECT id, attempts FROM records WHERE id IN (${part.map(() => '?').join(', ')})`;
      for (const row of this.db.prepare(sql).all(...part) as { id: string; attempts: number }[]) found.set(row.id, row.attempts);
    }
    return found;
  }

  private lookup(keys: readonly string[], column: 'record_id' | 'custom_id', keyOf: (row: MemberSqlRow) => string): Map<string, MemberRow> {
    const found = new Map<string, MemberRow>();
    for (let start = 0; start < keys.length; start += LOOKUP_CHUNK) {
      const part = keys.slice(start, start + LOOKUP_CHUNK);
      const sql = `SELECT * FROM batch_members WHERE ${column} IN (${part.map(() => '?').join(', ')})`;
      for (const row of this.db.prepare(sql).all(...part) as MemberSqlRow[]) found.set(keyOf(row), memberOf(row));
    }
    return found;
  }
}
