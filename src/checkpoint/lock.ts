// One writer per checkpoint: a lock row naming the holder's pid, taken atomically; a dead holder's lock is taken over.
import os from 'node:os';
import type Database from 'better-sqlite3';
import { CheckpointLockedError } from '../errors.js';

interface LockHolder {
  pid: number;
  host: string;
  startedAt: number;
}

/** True when a process with this pid exists (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLock(db: Database.Database, file: string, pid = process.pid): void {
  const read = db.prepare("SELECT value FROM meta WHERE key = 'lock'");
  const write = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('lock', ?)");
  // IMMEDIATE takes the write lock first, so two runs starting together cannot both see "free".
  db.transaction(() => {
    const row = read.get() as { value: string } | undefined;
    const holder = row === undefined ? undefined : parseHolder(row.value);
    if (holder !== undefined && holder.pid !== pid && holder.host === os.hostname() && processAlive(holder.pid)) {
      throw new CheckpointLockedError(
        `Checkpoint ${file} is in use by another memsafe run (pid ${holder.pid}, started ${new Date(holder.startedAt).toISOString()})`,
        { code: 'MS_CHECKPOINT_LOCKED', hint: 'Wait for that run to finish or stop it; a lock left by a killed run is taken over automatically.' },
      );
    }
    const mine: LockHolder = { pid, host: os.hostname(), startedAt: Date.now() };
    write.run(JSON.stringify(mine));
  }).immediate();
}

export function releaseLock(db: Database.Database, pid = process.pid): void {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'lock'").get() as { value: string } | undefined;
  if (row !== undefined && parseHolder(row.value)?.pid === pid) db.prepare("DELETE FROM meta WHERE key = 'lock'").run();
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    return typeof value.pid === 'number' ? { pid: value.pid, host: String(value.host ?? ''), startedAt: Number(value.startedAt ?? 0) } : undefined;
  } catch {
    return undefined;
  }
}
