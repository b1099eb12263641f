// The per-batch reads of a run: what the checkpoint already knows about a batch's ids, request hashes and vectors.
import type Database from 'better-sqlite3';

/** Token counts stored with a cached answer. */
export interface CachedUsage {
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
}

export interface StoredRecord {
  readonly id: string;
  readonly line: number;
  readonly hash: string | null;
  readonly status: 'done' | 'failed';
  readonly retryable: boolean;
  readonly seenRun: number;
  /** When the stored response was fetched: done records looked up `withResponseAt` only, else null. */
  readonly responseAt: number | null;
}

/** SQLite allows 32766 bound parameters; lookups are chunked well below it. */
const LOOKUP_CHUNK = 500;

export class RecordLookup {
  private readonly db: Database.Database;
  private readonly vectorDim: Database.Statement;
  /** Prepared IN (...) lookups by placeholder count: batch sizes repeat, so this stays small. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.db = db;
    this.vectorDim = db.prepare('SELECT dim FROM vector_models WHERE model = ?');
  }

  /**
   * What the checkpoint knows about these ids: one indexed query per chunk, never a set of every id.
   * `withResponseAt` joins responses for the fetch time; only --refresh-older-than needs it (the join triples the cost).
   */
  lookup(ids: readonly string[], withResponseAt: boolean): Map<string, StoredRecord> {
    type Row = [string, number, string | null, StoredRecord['status'], number, number, number | null];
    const columns = 'r.id, r.line, r.hash, r.status, r.retryable, r.seen_run';
    return this.lookupIn<Row, StoredRecord>(
      withResponseAt ? 'records+responseAt' : 'records',
      ids,
      (list) =>
        withResponseAt
          ? `SELECT ${columns}, p.created_at
              FROM records r LEFT JOIN responses p ON p.hash = r.hash AND r.status = 'done' WHERE r.id IN (${list})`
          : `SELECT ${columns}, NULL FROM records r WHERE r.id IN (${list})`,
      ([id, line, hash, status, retryable, seenRun, responseAt]) => [id, { id, line, hash, status, retryable: retryable === 1, seenRun, responseAt }],
    );
  }

  /** Fetch times of stored responses for these request hashes (the response cache). */
  cachedResponses(hashes: readonly string[]): Map<string, number> {
    return this.lookupIn<[string, number], number>(
      'responses',
      hashes,
      (list) => `SELECT hash, created_at FROM responses WHERE hash IN (${list})`,
      (row) => row,
    );
  }

  /** Stored token usage of these request hashes: what a cache hit would have cost (counted as saved). */
  cachedUsage(hashes: readonly string[]): Map<string, CachedUsage> {
    // Rows come back raw (arrays), as every lookup here reads them.
    return this.lookupIn<[string, number | null, number | null], CachedUsage>(
      'responses-usage',
      hashes,
      (list) => `SELECT hash, prompt_tokens, completion_tokens FROM responses WHERE hash IN (${list})`,
      ([hash, promptTokens, completionTokens]) => [hash, { promptTokens, completionTokens }],
    );
  }

  /** Which of these vector keys are stored, with their dimension. */
  storedVectors(keys: readonly string[]): Map<string, number> {
    return this.lookupIn<[string, number], number>(
      'vectors',
      keys,
      (list) => `SELECT key, dim FROM vectors WHERE key IN (${list})`,
      (row) => row,
    );
  }

  storedDimension(model: string): number | undefined {
    return (this.vectorDim.get(model) as { dim: number } | undefined)?.dim;
  }

  /**
   * `WHERE key IN (...)` in chunks below SQLite's parameter limit, each statement prepared once per size.
   * Rows come raw (arrays): no object per row with its column names (-35% of a resume's lookups).
   */
  private lookupIn<Row, Value>(
    name: string,
    keys: readonly string[],
    sql: (list: string) => string,
    entry: (row: Row) => [string, Value],
  ): Map<string, Value> {
    const found = new Map<string, Value>();
    for (let start = 0; start < keys.length; start += LOOKUP_CHUNK) {
      const chunk = keys.slice(start, start + LOOKUP_CHUNK);
      const cacheKey = `${name}:${chunk.length}`;
      let statement = this.statements.get(cacheKey);
      if (statement === undefined) {
        statement = this.db.prepare(sql(new Array<string>(chunk.length).fill('?').join(', '))).raw(true);
        this.statements.set(cacheKey, statement);
      }
      for (const row of statement.all(...chunk) as Row[]) {
        const [key, value] = entry(row);
        found.set(key, value);
      }
    }
    return found;
  }
}
