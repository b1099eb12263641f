// Opens a checkpoint file: created owner-only, WAL, a capped page cache, migrated, and checked to be ours.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { FatalError, MemsafeError, UsageError } from '../errors.js';
import { APP_ID, MIGRATIONS, migrate } from './schema.js';
import { checkpointFailure, sqliteCode } from './sqlite-failure.js';

/** better-sqlite3 defaults to a 16 MB page cache per connection; 4 MB keeps RSS flat as the file grows. */
const CACHE_KIB = 4096;
/** WAL into the file every 10000 pages (40 MB), not 1000: pages many commits rewrite are copied once (runs 20-30% faster). */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** A WAL that grew past this (a long export held back checkpoints) is cut back to it when it is next reset. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

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
    try {
      fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_EXCL, 0o600));
    } catch (cause) {
      // EEXIST: another run started at the same moment created it; open that one (its lock decides who runs).
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FatalError(`Cannot create checkpoint ${file}: ${(cause as Error).message}`, { code: 'MS_CHECKPOINT_OPEN', cause });
      }
    }
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
      enableWal(db, file);
      // NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
      db.pragma('synchronous = NORMAL');
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
      migrate(db);
      tightenPermissions(file);
    }
    return db;
  } catch (error) {
    db.close();
    if (error instanceof MemsafeError) throw error;
    throw checkpointFailure(file, error, 'set up', 'MS_CHECKPOINT_OPEN');
  }
}

function assertMemsafeDatabase(db: Database.Database, file: string): void {
  let version: number;
  let tables: number;
  let app: string | undefined;
  try {
    // One read transaction: another run may be creating this very file's tables right now.
    ({ version, tables, app } = db.transaction(() => {
      const current = db.pragma('user_version', { simple: true }) as number;
      const count = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
      return { version: current, tables: count, app: current > 0 ? readApp(db) : undefined };
    })());
  } catch (cause) {
    if (sqliteCode(cause)?.startsWith('SQLITE_CORRUPT') === true) throw checkpointFailure(file, cause, 'read', 'MS_CHECKPOINT_OPEN');
    throw new FatalError(`${file} is not a SQLite database (${(cause as Error).message})`, {
      code: 'MS_CHECKPOINT_NOT_SQLITE',
      cause,
      hint: 'Point --db at a memsafe checkpoint, or at a path that does not exist yet.',
    });
  }
  if (version === 0 && tables === 0) return; // a new, empty file: migrate() sets it up
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

/** How long to keep trying to switch a new file to WAL while another run opening it holds a lock. */
const WAL_SWITCH_WAIT_MS = 5000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Switching to WAL takes an exclusive lock, and when two runs open a new file together SQLite answers one of
 * them SQLITE_BUSY at once (its busy timeout does not apply): try again after a short random pause.
 */
function enableWal(db: Database.Database, file: string): void {
  const until = Date.now() + WAL_SWITCH_WAIT_MS;
  for (;;) {
    try {
      if (db.pragma('journal_mode = WAL', { simple: true }) === 'wal') return;
    } catch (error) {
      if (sqliteCode(error) !== 'SQLITE_BUSY' || Date.now() > until) throw error;
    }
    if (Date.now() > until) throw new FatalError(`cannot switch the checkpoint ${file} to WAL mode`, { code: 'MS_CHECKPOINT_OPEN' });
    Atomics.wait(sleeper, 0, 0, 5 + Math.random() * 20);
  }
}

function readApp(db: Database.Database): string | undefined {
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'app'").get() as { value: string } | undefined;
    return row?.value;
  } catch (error) {
    // No meta table: another application's database. A damaged page is not that: say so (see openCheckpoint).
    if (sqliteCode(error)?.startsWith('SQLITE_CORRUPT') === true) throw error;
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
