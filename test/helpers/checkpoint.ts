// Reads a checkpoint the way a test wants to see it (read-only, straight SQL).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `memsafe-${prefix}-`));
}

export function query<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** `count` chat records `{"id":"r<i>","prompt":"record r<i>"}`; the prompt names the id so a server can tell. */
export function writePrompts(file: string, count: number, line: (i: number) => object = (i) => ({ id: `r${i}`, prompt: `record r${i}` })): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < count; i++) fs.writeSync(fd, `${JSON.stringify(line(i))}\n`);
  } finally {
    fs.closeSync(fd);
  }
}

/** The record id a chat request was made for (from the prompt written by writePrompts). */
export function idOfRequest(json: unknown): string | undefined {
  const messages = (json as { messages?: { content?: unknown }[] } | undefined)?.messages;
  const content = messages?.at(-1)?.content;
  return typeof content === 'string' ? /record (\S+)/.exec(content)?.[1] : undefined;
}
