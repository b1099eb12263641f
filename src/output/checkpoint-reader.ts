// How exporters open the checkpoints they read: all checked before any output exists, each read-only, and any
// SQLite failure while reading turned into one FatalError that names the file.
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { openCheckpoint } from '../checkpoint/open.js';
import { FatalError, MemsafeError, errorMessage } from '../errors.js';
import { OutputClosedError } from './output-file.js';

/** The checkpoint a row came from (its real path), for formats that derive ids from it. */
export interface ExportSource {
  readonly checkpoint: string;
}

export interface CheckedCheckpoint {
  /** As the user named it, for messages. */
  readonly file: string;
  readonly source: ExportSource;
}

/** Refuses a missing or foreign checkpoint before the output is created. */
export function checkCheckpoints(files: readonly string[]): CheckedCheckpoint[] {
  return files.map((file) => {
    openCheckpoint(file, { create: false, readonly: true }).close();
    return { file, source: { checkpoint: fs.realpathSync(file) } };
  });
}

export function readFailure(file: string, error: unknown): unknown {
  if (error instanceof MemsafeError || error instanceof OutputClosedError) return error;
  return new FatalError(`Cannot read checkpoint ${file}: ${errorMessage(error)}`, { code: 'MS_CHECKPOINT_READ', cause: error });
}

export async function withCheckpoint<T>(file: string, use: (db: Database.Database) => Promise<T> | T): Promise<T> {
  const db = openCheckpoint(file, { create: false, readonly: true });
  try {
    return await use(db);
  } catch (error) {
    throw readFailure(file, error);
  } finally {
    db.close();
  }
}
