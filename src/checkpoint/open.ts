// Opens a checkpoint file: created owner-only, WAL, a capped page cache, migrated, and checked to be ours.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { FatalError, UsageError } from '../errors.js';
import { APP_ID, MIGRATIONS, migrate } from './schema.js';

/** better-sqlite3 defaults to a 16 MB page cache per connection; 4 MB keeps RSS flat as the file grows. */
const CACHE_KIB = 4096;

export interface OpenCheckpointOptions {
  /** Create the file (mode 0600) when it does not exist. */
  create: boolean;
  readonly?: boolean;
}

export function openCheckpoint(file: string, options: OpenCheckpointOptions): Database.Database {
  const exists = fs.existsSync(file);
  if (!exists && !options.create) {
    throw new UsageError(`Checkpoint not found: ${file}`, {
      code: 'MS_CHECKPOINT_MISSING',
      hint: 'Pass the --db file that a run wrote (by default the input path with .memsafe.db).',
    });
  }
  if (!exists) {
    // Create it owner-only before SQLite opens it, so no other user can ever read a response.
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_EXCL, 0o600));
  }
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: true, timeout: 5000 });
  } catch (cause) {
    throw new FatalError(`Cannot open checkpoint ${file}: ${(cause as Error).message}`, {
      code: 'MS_CHECKPOINT_OPEN',
      cause,
    });
  }
  try {
    assertMemsafeDatabase(db, file);
    db.pragma(`cache_size = -${CACHE_KIB}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
      db.pragma('synchronous = NORMAL');
      migrate(db);
      tightenPermissions(file);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function assertMemsafeDatabase(db: Database.Database, file: string): void {
  let version: number;
  let tables: { n: number };
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
  } catch (cause) {
    throw new FatalError(`${file} is not a SQLite database (${(cause as Error).message})`, {
      code: 'MS_CHECKPOINT_NOT_SQLITE',
      cause,
      hint: 'Point --db at a memsafe checkpoint, or at a path that does not exist yet.',
    });
  }
  if (version === 0 && tables.n === 0) return; // a new, empty file: migrate() sets it up
  const app = version > 0 ? readApp(db) : undefined;
  if (app !== APP_ID) {
    throw new FatalError(`${file} is a SQLite database, but not a memsafe checkpoint; it was left untouched`, {
      code: 'MS_CHECKPOINT_FOREIGN',
      hint: 'Point --db at a memsafe checkpoint, or at a path that does not exist yet.',
    });
  }
  if (version > MIGRATIONS.length) {
    throw new FatalError(`${file} was written by a newer memsafe (schema ${version}, this one knows ${MIGRATIONS.length})`, {
      code: 'MS_CHECKPOINT_NEWER',
      hint: 'Upgrade memsafe to read it.',
    });
  }
}

function readApp(db: Database.Database): string | undefined {
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'app'").get() as { value: string } | undefined;
    return row?.value;
  } catch {
    return undefined;
  }
}

function tightenPermissions(file: string): void {
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.chmodSync(path, 0o600);
    } catch {
      // the -wal / -shm files may not exist yet; SQLite creates them with the main file's mode
    }
  }
}
