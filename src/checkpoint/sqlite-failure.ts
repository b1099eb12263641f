// A SQLite failure told as what it means for the checkpoint: which file, what happened, and what to do next.
import { errorMessage, FatalError } from '../errors.js';

/** SQLite's (extended) result code that better-sqlite3 puts on its errors: 'SQLITE_FULL', 'SQLITE_CORRUPT', ... */
export function sqliteCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** `doing`: what memsafe was doing with the file ("write", "read", "set up"); `code`: the MemsafeError code otherwise. */
export function checkpointFailure(file: string, error: unknown, doing: string, code: string): FatalError {
  const sqlite = sqliteCode(error) ?? '';
  const reason = errorMessage(error);
  if (sqlite.startsWith('SQLITE_CORRUPT')) {
    return new FatalError(`Checkpoint ${file} is damaged (${reason})`, {
      code: 'MS_CHECKPOINT_CORRUPT',
      cause: error,
      hint: 'Restore it from a backup, salvage what SQLite can with `sqlite3 <file> .recover`, or pass a new --db to start afresh.',
    });
  }
  return new FatalError(`cannot ${doing} the checkpoint ${file}: ${reason}`, {
    code,
    cause: error,
    ...(sqlite.startsWith('SQLITE_FULL')
      ? { hint: 'Free some disk space (or move the checkpoint files and pass the new --db), then run the same command again to resume.' }
      : {}),
  });
}
