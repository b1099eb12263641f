// Failed lines for `export --errors`: failed records and duplicate-id lines, merged in input line order.
import type Database from 'better-sqlite3';

/** A failed input line: a failed record (bad lines included) or a duplicate-id line. */
export interface FailedLine {
  /** Null only for a duplicate-id line whose id could not be read. */
  readonly id: string | null;
  readonly line: number;
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number | null;
  readonly retryable: boolean;
  readonly attempts: number;
}

interface FailedRow {
  id: string | null;
  line: number;
  code: string | null;
  message: string | null;
  http_status: number | null;
  retryable: number;
  attempts: number;
}

// Both sides are read in line order (index / INTEGER PRIMARY KEY), so SQLite merges them without sorting.
export const FAILED_LINES_SQL = `
  SELECT id, line, error_code AS code, error_message AS message, http_status, retryable, attempts
    FROM records INDEXED BY records_line
   WHERE status = 'failed'
  UNION ALL
  SELECT id, line, code, message, NULL, 0, 0
    FROM line_errors
  ORDER BY line`;

/** Failed records and duplicate-id lines, merged in input line order. */
export function* iterateFailedLines(db: Database.Database): Generator<FailedLine, void, undefined> {
  for (const row of db.prepare(FAILED_LINES_SQL).iterate() as IterableIterator<FailedRow>) {
    yield {
      id: row.id,
      line: row.line,
      code: row.code ?? 'unknown_error',
      message: row.message ?? '',
      httpStatus: row.http_status,
      retryable: row.retryable !== 0,
      attempts: row.attempts,
    };
  }
}
