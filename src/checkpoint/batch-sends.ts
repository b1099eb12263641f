// Creates sent for batches that carry no metadata (Anthropic's): what was sent and when, written before the
// create request goes out, so a create whose answer was lost can be recognised in the provider's batch list.
import type Database from 'better-sqlite3';

export interface CreateSend {
  readonly chunkId: number;
  readonly firstCustomId: string | null;
  readonly lastCustomId: string | null;
  /** Lines of the chunk: the batch's request_counts must add up to this. */
  readonly requests: number;
  /** ms since epoch, local clock, of the first create sent for this chunk. */
  readonly sentAt: number;
}

interface SendSqlRow {
  chunk_id: number;
  first_custom_id: string | null;
  last_custom_id: string | null;
  requests: number;
  sent_at: number;
}

export class BatchSends {
  constructor(private readonly db: Database.Database) {
    // Created on first use (IF NOT EXISTS), not by a numbered migration: older checkpoints simply gain it.
    db.exec(`CREATE TABLE IF NOT EXISTS batch_create_sends (
      chunk_id        INTEGER PRIMARY KEY,
      first_custom_id TEXT,
      last_custom_id  TEXT,
      requests        INTEGER NOT NULL,
      sent_at         INTEGER NOT NULL
    )`);
  }

  /** Records a send of the chunk's create; a later attempt keeps the first time (the lookback starts there). */
  record(chunkId: number, requests: number, now = Date.now()): CreateSend {
    const edge = (order: 'ASC' | 'DESC'): string | null =>
      (this.db.prepare(`SELECT custom_id FROM batch_members WHERE chunk_id = ? ORDER BY file_line ${order} LIMIT 1`).pluck().get(chunkId) as string | undefined) ?? null;
    this.db
      .prepare('INSERT OR IGNORE INTO batch_create_sends (chunk_id, first_custom_id, last_custom_id, requests, sent_at) VALUES (?, ?, ?, ?, ?)')
      .run(chunkId, edge('ASC'), edge('DESC'), requests, now);
    const sent = this.get(chunkId);
    if (sent === undefined) throw new Error(`the create of chunk ${chunkId} was not recorded`);
    return sent;
  }

  get(chunkId: number): CreateSend | undefined {
    const row = this.db.prepare('SELECT * FROM batch_create_sends WHERE chunk_id = ?').get(chunkId) as SendSqlRow | undefined;
    if (row === undefined) return undefined;
    return { chunkId: row.chunk_id, firstCustomId: row.first_custom_id, lastCustomId: row.last_custom_id, requests: row.requests, sentAt: row.sent_at };
  }
}
