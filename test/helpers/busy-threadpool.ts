// Holds every thread of libuv's pool busy, so any async fs call (fs.write included) waits until release():
// the "loaded machine" in which an async log write lands late, made deterministic.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface BusyThreadpool {
  /** Frees the pool and resolves once every blocked call has returned. */
  release(): Promise<void>;
}

/** False where mkfifo is missing (Windows): the caller skips with that reason. */
export function canBlockThreadpool(): boolean {
  if (process.platform === 'win32') return false;
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Each async open of a FIFO for reading blocks one pool thread until someone opens the other end. */
export function blockThreadpool(dir: string): BusyThreadpool {
  const fifo = path.join(dir, 'pool-blocker.fifo');
  execFileSync('mkfifo', [fifo]);
  const threads = Number(process.env['UV_THREADPOOL_SIZE']) || 4;
  const blocked = Array.from(
    { length: threads },
    () =>
      new Promise<void>((resolve) => {
        fs.open(fifo, 'r', (error, fd) => {
          if (error === null) fs.closeSync(fd);
          resolve();
        });
      }),
  );
  return {
    async release() {
      // O_RDWR on a FIFO never blocks on Linux and counts as a writer, so every blocked reader's open returns.
      const writer = fs.openSync(fifo, 'r+');
      await Promise.all(blocked);
      fs.closeSync(writer);
    },
  };
}
