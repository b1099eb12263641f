// Charts and reports are written whole or not at all: a reader (a browser, a cron mail) never sees half a file.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

export function writeFileAtomic(file: string, text: string, option: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, text, { mode: 0o644 });
    fs.renameSync(temporary, file);
  } catch (cause) {
    fs.rmSync(temporary, { force: true });
    throw new UsageError(`Cannot write the ${option} file ${file}: ${(cause as Error).message}`, { code: 'MS_WRITE_OUTPUT', cause });
  }
}

/** Fails before the watch starts, not after an hour of it, when the output could never be written. */
export function assertWritable(file: string, option: string): void {
  try {
    fs.accessSync(path.dirname(path.resolve(file)), fs.constants.W_OK);
  } catch (cause) {
    throw new UsageError(`Cannot write the ${option} file ${file}: its directory is missing or not writable`, { code: 'MS_WRITE_OUTPUT', cause });
  }
}
