// Per-test scratch space for the e2e files: a fresh temp dir before each test, and after it every server the
// test started closed and the dir removed (whatever the test left in it).
import fs from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import { tempDir } from './checkpoint.js';

interface Closable {
  close(): Promise<void>;
}

export interface TestWork {
  /** This test's temp dir (only inside a test or its hooks). */
  readonly dir: string;
  /** Closes `server` after the test; returns it. */
  track<T extends Closable>(server: T): T;
}

/** Call once at the top of a test file. */
export function useTestWork(prefix: string): TestWork {
  let current: string | undefined;
  const servers: Closable[] = [];
  beforeEach(() => {
    current = tempDir(prefix);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    if (current !== undefined) fs.rmSync(current, { recursive: true, force: true });
    current = undefined;
  });
  return {
    get dir(): string {
      if (current === undefined) throw new Error('useTestWork: dir exists only while a test runs');
      return current;
    },
    track(server) {
      servers.push(server);
      return server;
    },
  };
}
